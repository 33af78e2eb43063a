"""Operations: background jobs, webhooks and their delivery log, reader notification preferences,
shared rate-limit windows, and an index for imported comments' archive ids.

Revision ID: 0004_operations
Revises: 0003_signal_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_operations"
down_revision = "0003_signal_indexes"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        _ts("run_at"),
        sa.Column("locked_by", sa.String(100), nullable=True),
        _ts("locked_at", True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("finished_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_webhooks_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("delivered_at", True),
        _ts("next_attempt_at", True),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_deliveries_webhook_id_webhooks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_site", "webhook_deliveries", ["site_id", "id"])
    op.create_table(
        "reader_prefs",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("notify_replies", sa.Boolean(), nullable=False),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_reader_prefs_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_reader_prefs")),
    )
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_windows")),
    )
    op.create_index("ix_comments_external_id", "comments", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_comments_external_id", "comments")
    op.drop_table("rate_windows")
    op.drop_table("reader_prefs")
    op.drop_index("ix_webhook_deliveries_site", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_index("ix_jobs_state_run_at", "jobs")
    op.drop_table("jobs")
