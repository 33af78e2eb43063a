"""A short message a moderator or the publisher shows above an article's comments (Coral's per-story "Message
box"): "Please keep to the topic: the candidates' debate.", or a question the newsroom asks its readers.
``threads.message`` is null for every thread that exists, so nothing is shown until someone sets one.

``Text``, as the thread's ``title`` and ``url``: the limit (1,000 characters after trimming) is the service's
(townhall.service.thread_metadata), checked the same way for the API, the dashboard and the command line on both
databases; a ``VARCHAR(1000)`` would be enforced by PostgreSQL only (SQLite ignores the length), and a later change
of the limit would need another migration.

Revision ID: 0014_thread_message
Revises: 0013_thread_premoderated
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_thread_message"
down_revision = "0013_thread_premoderated"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("threads", sa.Column("message", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+; no index or constraint covers the column): a batch copy of the table
    # would drop and rename a table that comments refer to. The messages are lost; the threads and comments stay.
    op.drop_column("threads", "message")
