"""An index of the open reports only: the reported queue and its counts sum each comment's *unresolved* reports, and
resolved ones pile up for ever (every report a moderator answered stays, for the record). Without it the queue read
every report ever made: 300,000 resolved ones cost about 0.1 s per read of the queue on SQLite.

A partial index on ``(comment_id, weight, created_at)`` where ``resolved`` is false holds what those queries read (the
sum of the weights, the first report's time), and nothing for resolved reports. Both databases use a partial index
only where the query's condition is the index's as written: the queries say ``resolved = 0`` (SQLite) / ``resolved =
false`` (PostgreSQL), ``townhall.store.schema.OPEN_REPORT``.

Revision ID: 0017_open_reports_index
Revises: 0016_comment_render_version
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_open_reports_index"
down_revision = "0016_comment_render_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reports = sa.table("reports", sa.column("resolved", sa.Boolean()))
    is_open = reports.c.resolved == sa.false()
    op.create_index("ix_reports_open", "reports", ["comment_id", "weight", "created_at"], sqlite_where=is_open,
                    postgresql_where=is_open)


def downgrade() -> None:
    op.drop_index("ix_reports_open", "reports")
