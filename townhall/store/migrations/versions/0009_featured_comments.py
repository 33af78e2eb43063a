"""Featured comments (staff picks): when a moderator featured a comment, and who; a thread's featured
comments are listed by the time they were featured, from an index on (thread, featured_at).

Revision ID: 0009_featured_comments
Revises: 0008_thread_kept_open
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_featured_comments"
down_revision = "0008_thread_kept_open"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("featured_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("comments", sa.Column("featured_by", sa.String(200), nullable=True))
    op.create_index("ix_comments_thread_featured", "comments", ["thread_id", "featured_at"])


def downgrade() -> None:
    # The index first: SQLite's ALTER TABLE … DROP COLUMN (3.35+) refuses an indexed column. No batch copy of the
    # table: comments refer to comments, and decisions, reactions and reports to them.
    op.drop_index("ix_comments_thread_featured", "comments")
    op.drop_column("comments", "featured_by")
    op.drop_column("comments", "featured_at")
