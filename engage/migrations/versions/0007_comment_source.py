"""comment source: where an imported comment came from, once per thread

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_comment_thread_id_source_source_id'),
            ['thread_id', 'source', 'source_id'])


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_comment_thread_id_source_source_id'),
                                 type_='unique')
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
