"""A thread whose every new comment waits for a moderator (Coral's per-story "Pre-moderate all comments"): a
newsroom premoderates a sensitive article. ``threads.premoderated`` is false for every thread that exists (a
server default, on SQLite and PostgreSQL alike), so nothing changes until a moderator sets it.

Revision ID: 0013_thread_premoderated
Revises: 0012_audit_subject
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_thread_premoderated"
down_revision = "0012_audit_subject"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("threads", sa.Column("premoderated", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+; no index or constraint covers the column): a batch copy of the table
    # would drop and rename a table that comments refer to. The comments it held stay held, for a moderator.
    op.drop_column("threads", "premoderated")
