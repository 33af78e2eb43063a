"""The audit log's two remaining ways round migration 0002: SQLite's ``INSERT OR REPLACE`` (which deletes the
old row without firing a DELETE trigger) and PostgreSQL's ``TRUNCATE`` (which fires no row or UPDATE/DELETE
trigger). Both are refused by the database from now on.

Revision ID: 0006_audit_no_replace
Revises: 0005_listing_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0006_audit_no_replace"
down_revision = "0005_listing_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_log_no_replace")
    else:
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
