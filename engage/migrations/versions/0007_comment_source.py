"""comment source: where an imported comment came from, once per thread

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:45:00

No batch mode: on SQLite it would copy the table and rebuild the listing indexes without
their DESC orders (their partial WHERE survives, their order does not). ADD COLUMN and a
unique index need no copy anywhere.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('comment', sa.Column('source', sa.String(length=16), nullable=True))
    op.add_column('comment', sa.Column('source_id', sa.String(length=64), nullable=True))
    op.create_index('uq_comment_thread_id_source_source_id', 'comment',
                    ['thread_id', 'source', 'source_id'], unique=True)


def downgrade():
    op.drop_index('uq_comment_thread_id_source_source_id', table_name='comment')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
