"""single sign-on: each site's signing secret, and the previous one during a rotation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('site', sa.Column('sso_secret', sa.String(length=128), nullable=True))
    op.add_column('site', sa.Column('sso_previous_secret', sa.String(length=128), nullable=True))
    op.add_column('site', sa.Column('sso_rotated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('sso_rotated_at')
        batch_op.drop_column('sso_previous_secret')
        batch_op.drop_column('sso_secret')
