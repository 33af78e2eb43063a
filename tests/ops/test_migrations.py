"""Migrations from every earlier schema version: from an empty database, step by step to head, with data
inserted at each step; after every step all earlier rows are still there, unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from townhall.store.db import Database, _alembic_config

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _tables(conn: sa.Connection) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return dict(meta.tables)


def _put(conn: sa.Connection, table: str, **values: Any) -> None:
    conn.execute(sa.insert(_tables(conn)[table]).values(**values))


def _data_0001(conn: sa.Connection) -> None:
    _put(conn, "sites", id="s1", name="Site", sso_secret="x", allow_guests=False, auto_create_threads=True, origins=[], created_at=T0)
    _put(conn, "threads", id=1, site_id="s1", external_id="t1", url="https://e.example/t1", title="Tï", state="open", created_at=T0)
    _put(conn, "accounts", id=1, site_id="s1", subject="sub-1", display_name="Ann", email="a@example.org", supporter=True,
         role="reader", guest=False, state="warned", created_at=T0)
    _put(conn, "comments", id=1, thread_id=1, account_id=1, parent_id=None, root_id=None, depth=0, body="Hello ✓", html="<p>Hello ✓</p>",
         status="published", reactions=0, created_at=T0, ip_hash="ip1", ua_hash="ua1", device_hash="dev1", external_id="disqus:1")
    _put(conn, "decisions", id=1, comment_id=1, source="pipeline", verdict="publish", hits=[], scores={"abusive": 0.1},
         policy_version="v1", created_at=T0)
    _put(conn, "account_actions", id=1, account_id=1, kind="warn", actor_kind="moderator", actor="m", reason="r", created_at=T0)
    _put(conn, "appeals", id=1, action_id=1, account_id=1, text="please", state="open", created_at=T0)
    _put(conn, "notes", id=1, account_id=1, author="m", text="note", created_at=T0)
    _put(conn, "audit_log", id=1, at=T0, site_id="s1", actor_kind="system", action="test.one", subject_type="site", details={"k": 1})
    _put(conn, "meta", key="migration-test", value="1")


def _data_0002(conn: sa.Connection) -> None:
    _put(conn, "audit_log", id=2, at=T0, site_id="s1", actor_kind="system", action="test.two", subject_type="site", details={})
    with pytest.raises(sa.exc.DBAPIError):  # from here on the audit log refuses changes
        with conn.begin_nested():
            conn.execute(sa.text("UPDATE audit_log SET action = 'changed' WHERE id = 1"))


def _data_0003(conn: sa.Connection) -> None:
    _put(conn, "comments", id=2, thread_id=1, account_id=1, parent_id=1, root_id=1, depth=1, body="Reply", html="<p>Reply</p>",
         status="held", reactions=0, created_at=T0, device_hash="dev2")


def _data_0004(conn: sa.Connection) -> None:
    _put(conn, "jobs", id=1, kind="k", payload={"a": 1}, state="failed", attempts=3, max_attempts=3, run_at=T0, created_at=T0,
         last_error="boom")
    _put(conn, "webhooks", id=1, site_id="s1", url="https://hooks.example", secret="s", events=[], active=True, created_at=T0)
    _put(conn, "webhook_deliveries", id=1, webhook_id=1, site_id="s1", event="comment.created", event_id="e1", payload={"x": 1},
         state="delivered", attempts=1, created_at=T0)
    _put(conn, "reader_prefs", account_id=1, notify_replies=True, updated_at=T0)
    _put(conn, "rate_windows", key="ip:x", window=1, count=2)


def _data_0005(conn: sa.Connection) -> None:
    _put(conn, "comments", id=3, thread_id=1, account_id=1, parent_id=None, root_id=None, depth=0, body="Top", html="<p>Top</p>",
         status="published", reactions=7, created_at=T0)
    names = {ix["name"] for ix in sa.inspect(conn).get_indexes("comments")}
    assert {"ix_comments_thread_root_id", "ix_comments_thread_root_top", "ix_comments_root"} <= names


def _data_0006(conn: sa.Connection) -> None:
    _put(conn, "audit_log", id=3, at=T0, site_id="s1", actor_kind="system", action="test.three", subject_type="site", details={})
    around = ("INSERT OR REPLACE INTO audit_log (id, at, actor_kind, action, subject_type, details) "
              "VALUES (1, '2024-01-02', 'system', 'forged', 'site', '{}')") if conn.dialect.name == "sqlite" else "TRUNCATE audit_log"
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with conn.begin_nested():
            conn.execute(sa.text(around))


def _data_0007(conn: sa.Connection) -> None:
    _put(conn, "ended_sessions", nonce="n-1", expires_at=T0)


def _data_0008(conn: sa.Connection) -> None:
    _put(conn, "threads", id=2, site_id="s1", external_id="t2", state="open", created_at=T0, kept_open_at=T0)


def _data_0009(conn: sa.Connection) -> None:
    _put(conn, "comments", id=4, thread_id=1, account_id=1, parent_id=None, root_id=None, depth=0, body="Pick", html="<p>Pick</p>",
         status="published", reactions=0, created_at=T0, featured_at=T0, featured_by="mod:m@example.org")
    assert "ix_comments_thread_featured" in {ix["name"] for ix in sa.inspect(conn).get_indexes("comments")}


def _data_0010(conn: sa.Connection) -> None:
    _put(conn, "accounts", id=2, site_id="s1", subject="sub-2", display_name="Bo", supporter=False, role="reader", guest=False,
         state="active", created_at=T0)
    _put(conn, "ignored_accounts", account_id=1, ignored_id=2, created_at=T0)
    with pytest.raises(sa.exc.IntegrityError):  # once per pair
        with conn.begin_nested():
            _put(conn, "ignored_accounts", account_id=1, ignored_id=2, created_at=T0)


def _data_0011(conn: sa.Connection) -> None:
    _put(conn, "threads", id=3, site_id="s1", external_id="t3", state="open", created_at=T0, published_at=T0)
    # no index covers published_at, so SQLite's DROP COLUMN can undo it
    assert all("published_at" not in ix["column_names"] for ix in sa.inspect(conn).get_indexes("threads"))


def _data_0012(conn: sa.Connection) -> None:
    long_id = "news/" + "x" * 295  # a thread id of 300 characters, as the API takes it
    _put(conn, "audit_log", id=4, at=T0, site_id="s1", actor_kind="moderator", action="thread.closed", subject_type="thread",
         subject_id=long_id, details={})
    assert "ix_audit_subject" in {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_log")}


def _data_0013(conn: sa.Connection) -> None:
    _put(conn, "threads", id=5, site_id="s1", external_id="t5", state="open", created_at=T0, premoderated=True)
    # the threads before it are not premoderated (the server default, on both databases)
    rows = conn.execute(sa.text("SELECT id FROM threads WHERE premoderated = :on ORDER BY id"), {"on": True}).all()
    assert [r[0] for r in rows] == [5]
    assert all("premoderated" not in ix["column_names"] for ix in sa.inspect(conn).get_indexes("threads"))


MESSAGE = "Please keep to the topic: the candidates' debate.\n\nWhat did you make of it?"


def _data_0014(conn: sa.Connection) -> None:
    _put(conn, "threads", id=7, site_id="s1", external_id="t7", state="open", created_at=T0, message=MESSAGE)
    # the threads before it have no message (null), and no index covers the column (SQLite's DROP COLUMN undoes it)
    rows = conn.execute(sa.text("SELECT id, message FROM threads ORDER BY id")).all()
    assert [tuple(r) for r in rows if r[1] is not None] == [(7, MESSAGE)] and len(rows) > 1
    assert all("message" not in ix["column_names"] for ix in sa.inspect(conn).get_indexes("threads"))


ANNOUNCEMENT = "Comments on election coverage close at 22:00 tonight.\n\nThank you for your patience."
T1 = datetime(2024, 1, 3, 22, 0, 0, tzinfo=UTC)


def _data_0015(conn: sa.Connection) -> None:
    _put(conn, "sites", id="s2", name="Other", sso_secret="y", allow_guests=False, auto_create_threads=True, origins=[],
         created_at=T0, announcement=ANNOUNCEMENT, announcement_until=T1, announcement_at=T0)
    # the sites before it have none (nulls), and no index covers the columns (SQLite's DROP COLUMN undoes them)
    rows = conn.execute(sa.text("SELECT id, announcement FROM sites ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("s1", None), ("s2", ANNOUNCEMENT)]
    table = _tables(conn)["sites"]
    until, at = conn.execute(sa.select(table.c.announcement_until, table.c.announcement_at)
                             .where(table.c.id == "s2")).one()
    assert (until, at) == (T1, T0) or (until, at) == (T1.replace(tzinfo=None), T0.replace(tzinfo=None))  # SQLite: naive
    assert sa.inspect(conn).get_indexes("sites") == []


def _data_0016(conn: sa.Connection) -> None:
    _put(conn, "comments", id=9, thread_id=1, account_id=1, parent_id=None, root_id=None, depth=0, body="> q\nNew",
         html="<blockquote><p>q</p></blockquote><p>New</p>", status="published", reactions=0, created_at=T0, render_version=1)
    # the comments before it are version 0 (the server default, on both databases): an older Townhall's HTML
    rows = conn.execute(sa.text("SELECT id, render_version FROM comments ORDER BY id")).all()
    assert [tuple(r) for r in rows if r[1] != 0] == [(9, 1)] and len(rows) > 1
    assert "ix_comments_render_version" in {ix["name"] for ix in sa.inspect(conn).get_indexes("comments")}


def _data_0017(conn: sa.Connection) -> None:
    _put(conn, "reports", id=1, comment_id=1, account_id=1, reason="spam", weight=1.0, resolved=False, created_at=T0)
    _put(conn, "reports", id=2, comment_id=9, account_id=1, reason="spam", weight=0.25, resolved=True, created_at=T0)
    assert "ix_reports_open" in {ix["name"] for ix in sa.inspect(conn).get_indexes("reports")}


DATA: dict[str, Callable[[sa.Connection], None]] = {
    "0001_initial": _data_0001, "0002_audit_append_only": _data_0002, "0003_signal_indexes": _data_0003,
    "0004_operations": _data_0004, "0005_listing_indexes": _data_0005, "0006_audit_no_replace": _data_0006,
    "0007_ended_sessions": _data_0007, "0008_thread_kept_open": _data_0008, "0009_featured_comments": _data_0009,
    "0010_ignored_accounts": _data_0010, "0011_thread_published_at": _data_0011,
    "0012_audit_subject": _data_0012, "0013_thread_premoderated": _data_0013, "0014_thread_message": _data_0014,
    "0015_site_announcement": _data_0015, "0016_comment_render_version": _data_0016,
    "0017_open_reports_index": _data_0017,
}


def _snapshot(conn: sa.Connection) -> dict[str, tuple[list[str], list[tuple[str, ...]]]]:
    out = {}
    for name, table in _tables(conn).items():
        if name == "alembic_version":
            continue
        cols = [c.name for c in table.columns]
        rows = [tuple(str(v) for v in row) for row in conn.execute(sa.select(table))]
        out[name] = (cols, rows)
    return out


def _kept(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    lost = []
    for name, (cols, rows) in before.items():
        if name not in after:
            lost.append(f"table {name} is gone")
            continue
        after_cols, after_rows = after[name]
        index = [after_cols.index(c) for c in cols if c in after_cols]
        if len(index) != len(cols):
            lost.append(f"{name}: columns {set(cols) - set(after_cols)} are gone")
            continue
        projected = {tuple(r[i] for i in index) for r in after_rows}
        lost += [f"{name}: row {r} lost or changed" for r in rows if r not in projected]
    return lost


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steps.db'}"
    pg = request.getfixturevalue("postgres")
    name = f"{pg.prefix}_mig_{uuid.uuid4().hex[:6]}"
    with pg.admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg.created.append(name)
    return pg.url(name)  # type: ignore[no-any-return]


def test_step_by_step_from_base_keeps_every_row(empty_db: str) -> None:
    db = Database(empty_db)
    cfg = _alembic_config(empty_db)
    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads")))]
    assert revisions == list(DATA)  # the test knows every step: a new migration adds its data here
    snapshot: dict[str, Any] = {}
    try:
        for revision in revisions:
            with db.write_engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            with db.write_engine.begin() as conn:
                after = _snapshot(conn)
                assert _kept(snapshot, after) == [], f"upgrade to {revision} lost data"
                if revision in DATA:
                    DATA[revision](conn)
                snapshot = _snapshot(conn)
        assert db.current_revision() == db.head_revision() == revisions[-1]
        assert sum(len(rows) for _, rows in snapshot.values()) >= 17
        assert db.migrate() == []  # at head: nothing more to apply
    finally:
        db.dispose()


def test_cli_migrate_applies_every_step_then_reports_up_to_date(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from townhall.cli import build_cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cfg = _alembic_config(url)
    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(cfg).walk_revisions("base", "heads")))]
    first = CliRunner().invoke(build_cli(), ["migrate", "--db", url])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"applied: {', '.join(revisions)}"
    again = CliRunner().invoke(build_cli(), ["migrate", "--db", url])
    assert again.exit_code == 0 and again.output.strip() == f"up to date at {revisions[-1]}"


def test_the_migrated_schema_is_the_one_the_code_declares(empty_db: str) -> None:
    """The migrations and ``townhall/store/schema.py`` describe the same tables, columns and indexes (the code's
    queries are built on the latter; an index the migrations make but the code does not know of was found)."""
    from townhall.store.schema import metadata

    db = Database(empty_db)
    try:
        db.migrate()
        with db.read() as conn:
            inspector = sa.inspect(conn)
            in_db = {name for name in inspector.get_table_names() if name != "alembic_version"}
            assert in_db == set(metadata.tables)
            for name, table in metadata.tables.items():
                assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name
                indexed = {i["name"] for i in inspector.get_indexes(name) if not i.get("unique")}
                assert indexed == {i.name for i in table.indexes if not i.unique}, name
    finally:
        db.dispose()


@contextmanager
def _migrated(url: str) -> Iterator[tuple[Database, Any]]:
    """A database migrated to the head, with its Alembic configuration; at the end it must be at the head again."""
    db = Database(url)
    cfg = _alembic_config(url)
    try:
        db.migrate()
        yield db, cfg
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()


def _down_and_up(db: Database, cfg: Any, before: str) -> Iterator[bool]:
    """Downgrade a migrated database to the revision ``before`` a step, then upgrade it to the head again; yields
    after each (False: the step is undone, True: done again)."""
    for up in (False, True):
        with db.write_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, "head" if up else before)
        yield up


def test_thread_kept_open_downgrades_and_upgrades_again_keeping_the_threads(empty_db: str) -> None:
    """0008 adds ``threads.kept_open_at`` (a moderator's "open" past the site's close_after_days); its downgrade
    drops the column only (on SQLite too, where the threads that comments refer to must not be copied away)."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _put(conn, "threads", id=2, site_id="s1", external_id="t2", state="open", created_at=T0, kept_open_at=T0)
        for up in _down_and_up(db, cfg, "0007_ended_sessions"):
            with db.read() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns("threads")}
                assert ("kept_open_at" in columns) is up
                rows = conn.execute(sa.text("SELECT id, external_id, state FROM threads ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "t1", "open"), (2, "t2", "open")]
                assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar_one() == 1


def test_featured_comments_downgrade_and_upgrade_again_keeping_the_comments(empty_db: str) -> None:
    """0009 adds ``comments.featured_at`` and ``featured_by`` with an index on (thread_id, featured_at); its
    downgrade drops the index and the columns only (on SQLite too: no copy of the table that others refer to),
    and the upgrade after it adds them again, empty."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0003(conn)  # a reply, which refers to comment 1
            _data_0009(conn)
        for up in _down_and_up(db, cfg, "0008_thread_kept_open"):
            with db.read() as conn:
                inspector = sa.inspect(conn)
                columns = {c["name"] for c in inspector.get_columns("comments")}
                assert columns & {"featured_at", "featured_by"} == ({"featured_at", "featured_by"} if up else set())
                assert ("ix_comments_thread_featured" in {ix["name"] for ix in inspector.get_indexes("comments")}) is up
                rows = conn.execute(sa.text("SELECT id, parent_id, body, status FROM comments ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, None, "Hello ✓", "published"), (2, 1, "Reply", "held"),
                                                    (4, None, "Pick", "published")]
                if up:
                    assert conn.execute(sa.text("SELECT count(*) FROM comments WHERE featured_at IS NOT NULL")).scalar_one() == 0
                assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar_one() == 1


def test_thread_published_at_downgrades_and_upgrades_again_keeping_the_threads(empty_db: str) -> None:
    """0011 adds ``threads.published_at`` (the article's publication date, from which the age limit counts); its
    downgrade drops the column only (on SQLite too: no copy of the table that comments refer to), and the upgrade
    after it adds it again, empty."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0011(conn)
        for up in _down_and_up(db, cfg, "0010_ignored_accounts"):
            with db.read() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns("threads")}
                assert ("published_at" in columns) is up
                rows = conn.execute(sa.text("SELECT id, external_id, state FROM threads ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "t1", "open"), (3, "t3", "open")]
                if up:
                    assert conn.execute(sa.text("SELECT count(*) FROM threads WHERE published_at IS NOT NULL")).scalar_one() == 0
                assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar_one() == 1


def test_ignored_accounts_downgrade_and_upgrade_again_keeping_the_accounts(empty_db: str) -> None:
    """0010 adds the ``ignored_accounts`` table (readers' ignore lists); its downgrade drops it (and its index)
    only, and the upgrade after it creates it again, empty."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0010(conn)
        for up in _down_and_up(db, cfg, "0009_featured_comments"):
            with db.read() as conn:
                assert ("ignored_accounts" in sa.inspect(conn).get_table_names()) is up
                rows = conn.execute(sa.text("SELECT id, display_name FROM accounts ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "Ann"), (2, "Bo")]
                if up:
                    assert conn.execute(sa.text("SELECT count(*) FROM ignored_accounts")).scalar_one() == 0


def test_audit_subject_downgrade_keeps_the_wide_subjects_and_upgrades_again(empty_db: str) -> None:
    """0012 widens ``audit_log.subject_id`` to 300 characters (PostgreSQL) and indexes (subject_type, subject_id, id);
    its downgrade drops the index only, keeping the entries that need the width; the upgrade after it is clean."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0012(conn)
        for up in _down_and_up(db, cfg, "0011_thread_published_at"):
            with db.read() as conn:
                assert ("ix_audit_subject" in {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_log")}) is up
                subjects = conn.execute(sa.text("SELECT id, length(subject_id) FROM audit_log ORDER BY id")).all()
                assert [tuple(r) for r in subjects] == [(1, None), (4, 300)]


def test_thread_premoderated_downgrades_and_upgrades_again_keeping_the_threads(empty_db: str) -> None:
    """0013 adds ``threads.premoderated`` (not null, false for the threads already there, on both databases); its
    downgrade drops the column only (on SQLite too: no copy of the table that comments refer to), and the upgrade
    after it adds it again, false for every thread."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0013(conn)
        for up in _down_and_up(db, cfg, "0012_audit_subject"):
            with db.read() as conn:
                columns = {c["name"]: c for c in sa.inspect(conn).get_columns("threads")}
                assert ("premoderated" in columns) is up
                rows = conn.execute(sa.text("SELECT id, external_id, state FROM threads ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "t1", "open"), (5, "t5", "open")]
                if up:
                    assert columns["premoderated"]["nullable"] is False
                    flags = conn.execute(sa.text("SELECT id, premoderated FROM threads ORDER BY id")).all()
                    assert [(r[0], bool(r[1])) for r in flags] == [(1, False), (5, False)]
                assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar_one() == 1
        with db.write_engine.begin() as conn:  # a thread inserted without the column (the code before) gets false
            conn.execute(sa.text("INSERT INTO threads (id, site_id, external_id, state, created_at) "
                                 "VALUES (6, 's1', 't6', 'open', :t)"), {"t": T0})
            assert bool(conn.execute(sa.text("SELECT premoderated FROM threads WHERE id = 6")).scalar_one()) is False


def test_thread_message_downgrades_and_upgrades_again_keeping_the_threads(empty_db: str) -> None:
    """0014 adds ``threads.message`` (nullable text, null for the threads already there, on both databases; 1,000
    characters and more are kept: the limit is the service's); its downgrade drops the column only (on SQLite too:
    no copy of the table that comments refer to), and the upgrade after it adds it again, null for every thread."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0014(conn)
            long = "ä" * 999 + "\n" + "ß" * 1000  # not cut by the column, whatever the database
            conn.execute(sa.text("UPDATE threads SET message = :m WHERE id = 1"), {"m": long})
            assert conn.execute(sa.text("SELECT message FROM threads WHERE id = 1")).scalar_one() == long
        for up in _down_and_up(db, cfg, "0013_thread_premoderated"):
            with db.read() as conn:
                columns = {c["name"]: c for c in sa.inspect(conn).get_columns("threads")}
                assert ("message" in columns) is up
                rows = conn.execute(sa.text("SELECT id, external_id, state FROM threads ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "t1", "open"), (7, "t7", "open")]
                if up:
                    assert columns["message"]["nullable"] is True
                    assert conn.execute(sa.text("SELECT count(*) FROM threads WHERE message IS NOT NULL")).scalar_one() == 0
                assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar_one() == 1
        with db.write_engine.begin() as conn:  # a thread inserted without the column (the code before) has none
            conn.execute(sa.text("INSERT INTO threads (id, site_id, external_id, state, created_at) "
                                 "VALUES (8, 's1', 't8', 'open', :t)"), {"t": T0})
            assert conn.execute(sa.text("SELECT message FROM threads WHERE id = 8")).scalar_one() is None


def test_site_announcement_downgrades_and_upgrades_again_keeping_the_sites(empty_db: str) -> None:
    """0015 adds ``sites.announcement`` (nullable text: 1,000 characters and more are kept, the limit is the
    service's), ``announcement_until`` and ``announcement_at`` (nullable times with their zone), null for the sites
    already there; its downgrade drops the three columns only (on SQLite too: no copy of the table that threads,
    accounts and the audit log refer to), and the upgrade after it adds them again, null for every site."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0015(conn)
            long = "ä" * 999 + "\n" + "ß" * 1000
            conn.execute(sa.text("UPDATE sites SET announcement = :a WHERE id = 's1'"), {"a": long})
            assert conn.execute(sa.text("SELECT announcement FROM sites WHERE id = 's1'")).scalar_one() == long
        added = {"announcement", "announcement_until", "announcement_at"}
        for up in _down_and_up(db, cfg, "0014_thread_message"):
            with db.read() as conn:
                columns = {c["name"]: c for c in sa.inspect(conn).get_columns("sites")}
                assert (added <= set(columns)) is up and (added & set(columns) == set()) is not up
                rows = conn.execute(sa.text("SELECT id, name, sso_secret FROM sites ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [("s1", "Site", "x"), ("s2", "Other", "y")]
                if up:
                    assert all(columns[name]["nullable"] is True for name in added)
                    assert conn.execute(sa.text("SELECT count(*) FROM sites WHERE announcement IS NOT NULL OR "
                                                "announcement_until IS NOT NULL OR announcement_at IS NOT NULL")
                                        ).scalar_one() == 0
                assert conn.execute(sa.text("SELECT count(*) FROM threads")).scalar_one() == 1
                assert conn.execute(sa.text("SELECT count(*) FROM comments")).scalar_one() == 1
        with db.write_engine.begin() as conn:  # a site inserted without the columns (the code before) has none
            conn.execute(sa.text("INSERT INTO sites (id, name, sso_secret, allow_guests, auto_create_threads, origins, "
                                 "created_at) VALUES ('s3', 'Third', 'z', false, true, '[]', :t)"), {"t": T0})
            assert conn.execute(sa.text("SELECT announcement FROM sites WHERE id = 's3'")).scalar_one() is None


def test_comment_render_version_downgrades_and_upgrades_again_keeping_the_comments(empty_db: str) -> None:
    """0016 adds ``comments.render_version`` (0 for the comments already there: an older Townhall's HTML, which the
    ``comments.rerender`` job renders again) with an index; its downgrade drops the index and the column only (on
    SQLite too: no copy of the table that decisions, reactions and reports refer to), keeping text and HTML, and the
    upgrade after it adds them again, 0 for every comment."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0016(conn)
        for up in _down_and_up(db, cfg, "0015_site_announcement"):
            with db.read() as conn:
                inspector = sa.inspect(conn)
                assert ("render_version" in {c["name"] for c in inspector.get_columns("comments")}) is up
                assert ("ix_comments_render_version" in {ix["name"] for ix in inspector.get_indexes("comments")}) is up
                rows = conn.execute(sa.text("SELECT id, body, html FROM comments ORDER BY id")).all()
                assert [tuple(r) for r in rows] == [(1, "Hello ✓", "<p>Hello ✓</p>"),
                                                    (9, "> q\nNew", "<blockquote><p>q</p></blockquote><p>New</p>")]
                if up:
                    assert conn.execute(sa.text("SELECT count(*) FROM comments WHERE render_version <> 0")).scalar_one() == 0


def test_open_reports_index_downgrades_and_upgrades_again_keeping_the_reports(empty_db: str) -> None:
    """0017 adds a partial index of the unresolved reports; its downgrade drops it (the reports stay), the upgrade
    makes it again. The queue's query uses it (SQLite's plan names it)."""
    with _migrated(empty_db) as (db, cfg):
        with db.write_engine.begin() as conn:
            _data_0001(conn)
            _data_0016(conn)
            _data_0017(conn)
        for up in _down_and_up(db, cfg, "0016_comment_render_version"):
            with db.read() as conn:
                assert ("ix_reports_open" in {ix["name"] for ix in sa.inspect(conn).get_indexes("reports")}) is up
                rows = conn.execute(sa.text("SELECT id, comment_id, resolved FROM reports ORDER BY id")).all()
                assert [(r[0], r[1], bool(r[2])) for r in rows] == [(1, 1, False), (2, 9, True)]
        if db.is_sqlite:  # the queue's own query, as the code sends it, is planned on the index
            from townhall.store.dashboard import reported_comments

            sent: list[tuple[str, Any]] = []
            listen = lambda conn, cursor, statement, params, context, many: sent.append((statement, params))  # noqa: E731
            sa.event.listen(db.read_engine, "before_cursor_execute", listen)
            try:
                with db.read() as conn:
                    assert [r["id"] for r in reported_comments(conn, "s1", min_weight=1, limit=10)] == [1]
            finally:
                sa.event.remove(db.read_engine, "before_cursor_execute", listen)
            statement, params = next((q, p) for q, p in sent if "FROM reports" in q)
            with db.read_engine.connect() as conn:
                plan = " ".join(str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all())
            assert "ix_reports_open" in plan, plan
