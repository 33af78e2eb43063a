"""A site's announcement (Coral's site-wide "Announcement"): a short message its moderators show above the comments
of every article of the site ("Comments on election coverage close at 22:00 tonight."), optionally until a given
time, after which it disappears by itself.

Three nullable columns on ``sites`` rather than a table of their own: a site has one announcement at a time (a new
one replaces it, and its history is the audit log's ``site.announcement`` entries), and the site's row is what every
request already reads, cached for a few seconds (``Services.site``), so the comments listing adds it to each thread
without a query of its own. ``announcement`` is ``Text`` as ``threads.message`` is (the 1,000-character limit is the
service's, checked alike on both databases); ``announcement_until`` (null: until cleared) and ``announcement_at``
(when it was set, shown as ``since``) are times with their zone, as every other time of the schema. Null for every
site that exists: nothing is shown until a moderator sets one.

Revision ID: 0015_site_announcement
Revises: 0014_thread_message
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_site_announcement"
down_revision = "0014_thread_message"
branch_labels = None
depends_on = None

COLUMNS = ("announcement", "announcement_until", "announcement_at")


def upgrade() -> None:
    op.add_column("sites", sa.Column("announcement", sa.Text(), nullable=True))
    op.add_column("sites", sa.Column("announcement_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sites", sa.Column("announcement_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+; no index or constraint covers the columns): a batch copy of the table
    # would drop and rename a table that threads, accounts and the audit log refer to. The announcement is lost (its
    # audit entries stay); the sites stay.
    for name in reversed(COLUMNS):
        op.drop_column("sites", name)
