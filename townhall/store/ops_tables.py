"""Tables for operations (jobs, webhooks, reader preferences and ignore lists, shared rate limits, ended dashboard
sessions), on the shared metadata.

Created by migration 0004_operations (``ended_sessions``: 0007_ended_sessions; ``ignored_accounts``:
0010_ignored_accounts).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from townhall.store.schema import metadata


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # queued, running, done, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False, default=8),
    _ts("run_at"),
    Column("locked_by", String(100), nullable=True),
    _ts("locked_at", nullable=True),
    Column("last_error", Text, nullable=True),
    _ts("created_at"),
    _ts("finished_at", nullable=True),
    Index("ix_jobs_state_run_at", "state", "run_at"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("events", JSON, nullable=False),  # event names; empty means all
    Column("active", Boolean, nullable=False, default=True),
    _ts("created_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("site_id", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    _ts("created_at"),
    _ts("delivered_at", nullable=True),
    _ts("next_attempt_at", nullable=True),
    Index("ix_webhook_deliveries_site", "site_id", "id"),
)

reader_prefs = Table(
    "reader_prefs",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("notify_replies", Boolean, nullable=False, default=False),
    _ts("updated_at"),
)

rate_windows = Table(
    "rate_windows",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("window", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

ignored_accounts = Table(  # a reader's ignore list (migration 0010): whose comments the reader chose not to see
    "ignored_accounts",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("ignored_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    _ts("created_at"),
    Index("ix_ignored_accounts_ignored", "ignored_id"),
)

ended_sessions = Table(  # dashboard sessions signed out before their cookie runs out (kept until it would have)
    "ended_sessions",
    metadata,
    Column("nonce", String(64), primary_key=True),
    _ts("expires_at"),
)
