"""Engines, transactions and migrations. SQLite runs in WAL mode with immediate write transactions;
PostgreSQL is used through psycopg 3, every session in UTC. Nothing here knows about comments: see the
query modules."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool, QueuePool

_EXCLUSIVE_LOCK_ID = 0x746F776E  # "town": the advisory lock of Database.write(exclusive=True)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached right now (answered as 503 by the web layer)."""


class DatabaseBusy(DatabaseUnavailable):
    """PostgreSQL gave up a write transaction to let another one through (a deadlock, SQLSTATE 40P01, or a
    serialization failure, 40001). It was rolled back whole: nothing it wrote is kept, and the same request
    sent again will go through (answered as 503 with ``Retry-After``, not as a server error)."""


_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


class SchemaTooNew(RuntimeError):
    """The database's schema is at a revision this Townhall does not know: a newer Townhall migrated it. Nothing is
    changed (migrating it "to the head" would mean going back, and the older code cannot read what it holds)."""

    def __init__(self, current: str, head: str | None) -> None:
        super().__init__(
            f"the database's schema is at revision {current}, which this Townhall does not know (its newest is {head}): "
            "a newer version of Townhall migrated it. Run that version (or restore the backup taken before the "
            "upgrade); nothing was changed.")
        self.current = current


class Database:
    """One database: a read engine and a write engine over the same URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        # SQLite has one writer at a time. This process's threads queue for it on a lock, woken in turn,
        # instead of in SQLite's busy handler, which polls with growing sleeps: under 64 concurrent writers
        # that starved some of them for seconds (p99 1.5 s vs 0.3 s in a 48-thread test, same throughput).
        self._write_lock: threading.RLock | None = threading.RLock() if self.dialect == "sqlite" else None
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                if Path(parsed.database).is_dir():  # SQLite would only say "unable to open database file"
                    raise ValueError(f"the SQLite database path {parsed.database} is a folder, not a file: "
                                     "check --db or the data folder")
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = _postgres_engine(url)
            self.read_engine = self.write_engine
        self._on_dispose: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def write(self, *, exclusive: bool = False) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite so writers queue instead of failing).
        Callbacks registered with ``after_commit`` run once it has committed.

        ``exclusive``: such transactions run one at a time across processes (on PostgreSQL a transaction-level
        advisory lock; SQLite's BEGIN IMMEDIATE already serialises writers) — for check-then-insert work such
        as the first start of several processes at once."""
        after: list[Callable[[], None]] = []
        try:
            with self._write_lock or nullcontext(), self.write_engine.begin() as conn:
                if exclusive and not self.is_sqlite:
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_EXCLUSIVE_LOCK_ID})")
                conn.info["after_commit"] = after
                try:
                    yield conn
                finally:
                    if not conn.invalidated:  # a lost connection would raise here instead of below
                        conn.info.pop("after_commit", None)
        except OperationalError as exc:
            if _is_unavailable(exc):
                raise DatabaseUnavailable(str(exc.orig)) from exc
            if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
                raise DatabaseBusy(str(exc.orig)) from exc
            raise
        for callback in after:
            callback()

    @staticmethod
    def after_commit(conn: Connection, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the write transaction of ``conn`` has committed (dropped if it rolls back)."""
        conn.info.setdefault("after_commit", []).append(callback)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.read_engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            if _is_unavailable(exc):
                raise DatabaseUnavailable(str(exc.orig)) from exc
            raise

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def migrate(self) -> list[str]:
        """Bring the schema to the newest revision; returns the revisions applied."""
        cfg = _alembic_config(self.url)
        script = ScriptDirectory.from_config(cfg)
        with self.write_engine.begin() as conn:
            if not self.is_sqlite:  # processes starting at once migrate one after another
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_EXCLUSIVE_LOCK_ID})")
            # read under the lock: a process that waited for another one's migration applies (and reports) none
            before = MigrationContext.configure(conn).get_current_revision()
            if before is not None and not self.knows_revision(before):
                raise SchemaTooNew(before, script.get_current_head())
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        applied = []
        for rev in script.iterate_revisions("head", before or "base"):
            if rev.revision != before:
                applied.append(rev.revision)
        return list(reversed(applied))

    def current_revision(self) -> str | None:
        with self.read_engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def knows_revision(self, revision: str) -> bool:
        """Whether ``revision`` is one of this Townhall's migrations (not one a newer Townhall added)."""
        script = ScriptDirectory.from_config(_alembic_config(self.url))
        return any(r.revision == revision for r in script.walk_revisions("base", "heads"))

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(_alembic_config(self.url)).get_current_head()

    def on_dispose(self, close: Callable[[], None]) -> None:
        """Close ``close`` too when the database is disposed of (e.g. a command's connection to the relay)."""
        self._on_dispose.append(close)

    def dispose(self) -> None:
        while self._on_dispose:
            self._on_dispose.pop()()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    connect_args = {"check_same_thread": False, "timeout": 30}
    if make_url(url).database in (None, "", ":memory:"):
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    else:
        # Keep a few connections open: opening one (and its PRAGMAs) cost about a quarter of the CPU of a
        # posted comment. Overflow is unbounded, so a busy server never waits for the pool.
        engine = create_engine(url, poolclass=QueuePool, pool_size=8, max_overflow=-1, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        _wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _wal(cur: sqlite3.Cursor, attempts: int = 100) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another connection holds the database: on a new database
    (still in rollback-journal mode) several processes starting at once each switch it, and SQLite answers the one
    that would deadlock "database is locked" at once, without waiting for the busy timeout (seen once in a CI run
    of tests/ops/test_first_start.py, and 2 times in 100 starts of six engines on a loaded machine). Waits up to
    about 50 seconds in all; once the database is in WAL mode the pragma changes nothing and takes no lock."""
    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def _postgres_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Every session in UTC, whatever the server's or the database's TimeZone: a timestamptz turned into a
        # date (the dashboard's days) or text is then read as on SQLite, which stores UTC.
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.autocommit = autocommit

    return engine


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("townhall.store") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _is_unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(s in text for s in (
        "connection refused", "server closed", "terminating connection", "could not connect", "connection is closed",
        "the database system is",
        # psycopg 3 wording for a server that went away mid-connect or mid-query
        "connection failed", "connection reset", "consuming input failed", "no connection to the server",
        "connection timed out", "timeout expired",
    ))
