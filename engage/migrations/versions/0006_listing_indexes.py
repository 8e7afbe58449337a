"""listing indexes: a partial index per sort of top-level comments, senders by time

The partial indexes replace ix_comment_thread_listing, which made a page of a big thread
read and sort all its top-level comments. Replies are found by parent for cascades.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:20:00

On a big table, build them beforehand with CREATE INDEX CONCURRENTLY under the same names
(README, Performance): this migration then finds nothing left to do for them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TOP_LEVEL = sa.text('parent_id IS NULL')
REPLIES = sa.text('parent_id IS NOT NULL')
ROOTS: dict[str, list[str | sa.TextClause]] = {
    'ix_comment_roots_oldest': ['thread_id', sa.text('featured DESC'), 'id'],
    'ix_comment_roots_newest': ['thread_id', sa.text('featured DESC'), sa.text('id DESC')],
    'ix_comment_roots_top': ['thread_id', sa.text('featured DESC'), sa.text('like_count DESC'),
                             'id'],
}


def upgrade():
    # if_not_exists: on a big table an operator builds them beforehand, CONCURRENTLY (README).
    for name, columns in ROOTS.items():
        op.create_index(name, 'comment', columns, unique=False, if_not_exists=True,
                        postgresql_where=TOP_LEVEL, sqlite_where=TOP_LEVEL)
    op.create_index('ix_comment_thread_id', 'comment', ['thread_id'], unique=False,
                    if_not_exists=True)
    op.create_index('ix_comment_parent_id', 'comment', ['parent_id'], unique=False,
                    if_not_exists=True, postgresql_where=REPLIES, sqlite_where=REPLIES)
    op.create_index('ix_comment_reader_hash_created_at', 'comment',
                    ['reader_hash', 'created_at'], unique=False, if_not_exists=True)
    op.create_index('ix_comment_ip_hash_created_at', 'comment', ['ip_hash', 'created_at'],
                    unique=False, if_not_exists=True)
    for name in ('ix_comment_thread_listing', 'ix_comment_reader_hash', 'ix_comment_ip_hash'):
        op.drop_index(name, table_name='comment', if_exists=True)


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_ip_hash_created_at')
        batch_op.drop_index('ix_comment_reader_hash_created_at')
        batch_op.create_index('ix_comment_ip_hash', ['ip_hash'], unique=False)
        batch_op.create_index('ix_comment_reader_hash', ['reader_hash'], unique=False)
        batch_op.drop_index('ix_comment_parent_id')
        batch_op.drop_index('ix_comment_thread_id')
        batch_op.create_index('ix_comment_thread_listing',
                              ['thread_id', 'parent_id', 'status', 'featured', 'id'], unique=False)
    for name in ROOTS:
        op.drop_index(name, table_name='comment')
