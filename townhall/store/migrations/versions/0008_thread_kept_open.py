"""A moderator's "open" on a thread past the site's age limit (``[comments] close_after_days``) keeps it open:
when it was given is stored with the thread, and a moderator's closing clears it.

Revision ID: 0008_thread_kept_open
Revises: 0007_ended_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_thread_kept_open"
down_revision = "0007_ended_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("threads", sa.Column("kept_open_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+ has it): a batch copy of the table would drop and rename a table
    # that comments refer to. The thread is then open by its state, and the age limit applies to it again.
    op.drop_column("threads", "kept_open_at")
