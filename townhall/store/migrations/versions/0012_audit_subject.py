"""The audit log names any thread, and finds a subject's entries by an index.

A thread id may be 300 characters (townhall.service.comments.MAX_THREAD_ID); the audit log's ``subject_id``
held 64, so on PostgreSQL closing, opening or describing a thread with a longer id failed (SQLite does not
enforce a VARCHAR's length). It now holds 300. And an index on (subject_type, subject_id, id) serves the
entries of one subject, newest first (a dashboard article's page, the audit API's ``subject_id`` filter),
which scanned the site's whole log.

The downgrade drops the index and keeps the wider column: narrowing it would refuse the rows that need the
width, and the append-only log cannot be changed to fit (a wider column is no harm to the code before).

Revision ID: 0012_audit_subject
Revises: 0011_thread_published_at
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_audit_subject"
down_revision = "0011_thread_published_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps any length; its table copy would drop the triggers
        op.alter_column("audit_log", "subject_id", type_=sa.String(300), existing_type=sa.String(64), existing_nullable=True)
    op.create_index("ix_audit_subject", "audit_log", ["subject_type", "subject_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_subject", "audit_log")
