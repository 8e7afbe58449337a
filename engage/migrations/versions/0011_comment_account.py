"""single sign-on: a comment's account (the keyed hash of the site's user id) and badge

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('comment', sa.Column('account_hash', sa.String(length=64), nullable=True))
    op.add_column('comment', sa.Column('badge', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('badge')
        batch_op.drop_column('account_hash')
