"""moderator sessions: a session version that ends every session, and the shortcuts setting

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy of the table), with server defaults for existing rows.
    op.add_column('moderator', sa.Column('session_version', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.add_column('moderator', sa.Column('shortcuts', sa.Boolean(), nullable=False,
                                         server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('moderator', schema=None) as batch_op:
        batch_op.drop_column('shortcuts')
        batch_op.drop_column('session_version')
