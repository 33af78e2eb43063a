"""Tables. SQLAlchemy Core; the same schema runs on SQLite and PostgreSQL."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    insert,
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: the largest id either database is asked about

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class ThreadState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CommentStatus(StrEnum):
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    DELETED = "deleted"


# Statuses a thread shows as a tombstone (no text, no author) while a reply of the comment's own is shown.
TOMBSTONES = (CommentStatus.DELETED.value, CommentStatus.REJECTED.value)


def is_featured(row: Any) -> bool:
    """Whether readers see a comment's row as a moderator's pick (townhall.service.featured): featured and
    published (never a tombstone, a held or a refused comment, though it keeps the time it was featured)."""
    return row.get("featured_at") is not None and row["status"] == CommentStatus.PUBLISHED.value


class AccountState(StrEnum):
    ACTIVE = "active"
    WARNED = "warned"
    SUSPENDED = "suspended"
    BANNED = "banned"
    PREMODERATED = "premoderated"


class Role(StrEnum):
    READER = "reader"
    MODERATOR = "moderator"
    ADMIN = "admin"


class ActionKind(StrEnum):
    STRIKE = "strike"
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    PREMODERATE = "premoderate"
    RESTORE = "restore"  # lifts a suspension, ban or premoderation


class ActorKind(StrEnum):
    POLICY = "policy"
    MODERATOR = "moderator"
    READER = "reader"
    SYSTEM = "system"


class AppealState(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REVERSED = "reversed"
    MOOT = "moot"  # closed unanswered: the action it appealed was lifted meanwhile


class DecisionSource(StrEnum):
    PIPELINE = "pipeline"
    MODERATOR = "moderator"
    IMPORT = "import"
    AUTHOR = "author"  # the reader deleted their own comment (before: recorded as a moderator's, actor account:N)


class FlagKind(StrEnum):
    EVASION = "evasion"
    COORDINATION = "coordination"


class FlagState(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


def insert_row(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """Insert one row and return its id. The values travel as bound parameters of one cached statement per
    table and column set, instead of a new statement with its own literals per call (a fifth of a post's CPU)."""
    return int(conn.execute(insert(table), values).inserted_primary_key[0])


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sso_secret", String(200), nullable=False),
    Column("allow_guests", Boolean, nullable=False, default=False),
    Column("auto_create_threads", Boolean, nullable=False, default=True),
    Column("policy_path", Text, nullable=True),
    Column("origins", JSON, nullable=False, default=list),
    _ts("created_at"),
    # The site's announcement, shown above the comments of every article of the site (plain text, paragraphs; at most
    # 1,000 characters, townhall.service.announcements); null: none. ``announcement_until``: when it disappears by
    # itself (null: until cleared); ``announcement_at``: when it was set (0015)
    Column("announcement", Text, nullable=True),
    _ts("announcement_until", nullable=True),
    _ts("announcement_at", nullable=True),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False),
    Column("external_id", String(300), nullable=False),
    Column("url", Text, nullable=True),
    Column("title", Text, nullable=True),
    Column("state", String(16), nullable=False, default=ThreadState.OPEN.value),
    _ts("created_at"),
    # When a moderator opened the thread past the site's close_after_days: it stays open (migration 0008)
    _ts("kept_open_at", nullable=True),
    # The article's publication date, set by the publisher (or an import): the age limit counts from it (0011)
    _ts("published_at", nullable=True),
    # Every new comment waits for a moderator (a sensitive article; townhall.service.comments.settle) (0013)
    Column("premoderated", Boolean, nullable=False, default=False, server_default=false()),
    # A moderator's or the publisher's message shown above the article's comments (plain text, paragraphs; at most
    # 1,000 characters, townhall.service.thread_metadata); null: none (0014)
    Column("message", Text, nullable=True),
    UniqueConstraint("site_id", "external_id", name="uq_threads_site_external"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False),
    Column("subject", String(300), nullable=False),  # SSO `sub`, or "guest:<uuid>"
    Column("display_name", String(100), nullable=False),
    Column("email", String(300), nullable=True),
    Column("supporter", Boolean, nullable=False, default=False),
    Column("role", String(16), nullable=False, default=Role.READER.value),
    Column("guest", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False, default=AccountState.ACTIVE.value),
    _ts("state_until", nullable=True),
    Column("device_hash", String(64), nullable=True),
    _ts("created_at"),
    UniqueConstraint("site_id", "subject", name="uq_accounts_site_subject"),
    Index("ix_accounts_site_state", "site_id", "state"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", Integer, ForeignKey("threads.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("parent_id", Integer, ForeignKey("comments.id"), nullable=True),
    Column("root_id", Integer, nullable=True),  # the top-level ancestor (NULL for top-level comments)
    Column("depth", Integer, nullable=False, default=0),
    Column("body", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reactions", Integer, nullable=False, default=0),
    _ts("created_at"),
    _ts("edited_at", nullable=True),
    Column("ip_hash", String(64), nullable=True),
    Column("ua_hash", String(64), nullable=True),
    Column("device_hash", String(64), nullable=True),
    Column("external_id", String(300), nullable=True),  # id in an imported archive
    # A moderator's staff pick (migration 0009): when it was featured, and by whom (the actor id); NULL: not featured
    _ts("featured_at", nullable=True),
    Column("featured_by", String(200), nullable=True),
    # The renderer's version that made ``html`` (migration 0016; 0: a Townhall before it), so a job renders older ones
    # again (townhall.service.rerender)
    Column("render_version", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_comments_thread_root", "thread_id", "root_id", "status", "created_at"),
    Index("ix_comments_thread_root_id", "thread_id", "root_id", "id"),  # a page of top-level comments, newest/oldest
    Index("ix_comments_thread_root_top", "thread_id", "root_id", "reactions", "id"),  # … by reactions
    Index("ix_comments_root", "root_id", "status", "id"),  # the replies of a page's top-level comments
    Index("ix_comments_account", "account_id", "created_at"),
    Index("ix_comments_status", "status", "created_at"),
    Index("ix_comments_device_hash", "device_hash"),
    Index("ix_comments_ip_hash", "ip_hash", "created_at"),
    Index("ix_comments_external_id", "external_id"),  # migration 0004: an import finds what it imported before
    Index("ix_comments_thread_featured", "thread_id", "featured_at"),  # migration 0009: a thread's featured comments
    Index("ix_comments_render_version", "render_version"),  # migration 0016: the comments to render again
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("comment_id", Integer, ForeignKey("comments.id"), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("hits", JSON, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("moderator", String(300), nullable=True),
    Column("reason", Text, nullable=True),
    _ts("created_at"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id"), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("kind", String(16), nullable=False),
    _ts("created_at"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("comment_id", Integer, ForeignKey("comments.id"), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("weight", Float, nullable=False, default=1.0),
    Column("resolved", Boolean, nullable=False, default=False),
    _ts("created_at"),
    UniqueConstraint("comment_id", "account_id", name="uq_reports_comment_account"),
)
# The open reports (migration 0017): the queue sums a comment's unresolved reports, and resolved ones pile up for
# ever. A partial index holds only the open ones; a query uses it where it says ``OPEN_REPORT`` as written here
# (``resolved = 0`` / ``= false``: SQLite does not take ``IS 0`` for it).
OPEN_REPORT = reports.c.resolved == false()
Index("ix_reports_open", reports.c.comment_id, reports.c.weight, reports.c.created_at, sqlite_where=OPEN_REPORT,
      postgresql_where=OPEN_REPORT)

account_actions = Table(
    "account_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(300), nullable=True),
    Column("rule", String(100), nullable=True),
    Column("comment_id", Integer, ForeignKey("comments.id"), nullable=True),
    Column("reason", Text, nullable=False),
    _ts("created_at"),
    _ts("ends_at", nullable=True),
    _ts("revoked_at", nullable=True),
    Column("policy_version", String(64), nullable=True),
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", Integer, ForeignKey("account_actions.id"), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("response", Text, nullable=True),
    Column("decided_by", String(300), nullable=True),
    _ts("created_at"),
    _ts("decided_at", nullable=True),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("author", String(300), nullable=False),
    Column("text", Text, nullable=False),
    _ts("created_at"),
)

flags = Table(
    "flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("score", Float, nullable=False, default=0.0),
    Column("accounts", JSON, nullable=False),  # account ids involved
    Column("evidence", JSON, nullable=False),
    Column("key", String(200), nullable=True),  # stable identity (e.g. cluster signature) to avoid duplicates
    _ts("created_at"),
    _ts("decided_at", nullable=True),
    Column("decided_by", String(300), nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ts("at"),
    Column("site_id", String(64), nullable=True),
    Column("actor_kind", String(16), nullable=False),
    Column("actor", String(300), nullable=True),
    Column("action", String(64), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", String(300), nullable=True),  # a thread's id too, up to 300 characters (migration 0012)
    Column("details", JSON, nullable=False),
    Column("policy_version", String(64), nullable=True),
    Index("ix_audit_site_at", "site_id", "at"),
    Index("ix_audit_subject", "subject_type", "subject_id", "id"),  # one subject's entries, newest first (0012)
)

moderators = Table(
    "moderators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(300), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("sites", JSON, nullable=False),  # site ids; admins see all
    _ts("created_at"),
)
