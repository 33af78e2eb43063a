"""A thread's article publication date, as its publisher (or an imported archive) gives it: the site's age limit
(``[comments] close_after_days``) counts from it where it is known, else from the thread's start.

Revision ID: 0011_thread_published_at
Revises: 0010_ignored_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_thread_published_at"
down_revision = "0010_ignored_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("threads", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+; no index covers the column): a batch copy of the table would drop
    # and rename a table that comments refer to. The threads' age limit then counts from their start again.
    op.drop_column("threads", "published_at")
