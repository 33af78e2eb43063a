"""Indexes that list a thread's top-level comments in page order (newest/oldest by id, top by reactions),
so a page of 100 is read from the index instead of sorting the whole thread on every read; and the replies
of a page's top-level comments by their root (that query scanned the whole comments table).

Revision ID: 0005_listing_indexes
Revises: 0004_operations
"""

from __future__ import annotations

from alembic import op

revision = "0005_listing_indexes"
down_revision = "0004_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_thread_root_id", "comments", ["thread_id", "root_id", "id"])
    op.create_index("ix_comments_thread_root_top", "comments", ["thread_id", "root_id", "reactions", "id"])
    op.create_index("ix_comments_root", "comments", ["root_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_comments_root", "comments")
    op.drop_index("ix_comments_thread_root_top", "comments")
    op.drop_index("ix_comments_thread_root_id", "comments")
