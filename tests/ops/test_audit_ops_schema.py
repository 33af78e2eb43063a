"""Operations audit, schema: a database a newer Townhall migrated is refused in one clear line by every entry point
(and left as it is), `migrate` from every earlier revision with rows in it keeps them all, every migration's
downgrade-then-upgrade keeps the rows of the tables it does not own, and two processes migrating one old database
at once migrate it once, keeping every row, and only the one that did says it applied the steps."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.store.db import Database, _alembic_config
from tests.ops.conftest import POLICY
from tests.ops.test_migrations import DATA, _kept, _snapshot, empty_db  # noqa: F401 - empty_db is a fixture

FUTURE = "0099_later_step"


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(_alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _filled_to(url: str, last: str) -> Database:
    """The database upgraded step by step to ``last``, each step's rows inserted after it (as in test_migrations)."""
    db = Database(url)
    cfg = _alembic_config(url)
    for revision in _revisions(url):
        with db.write_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        with db.write_engine.begin() as conn:
            DATA[revision](conn)
        if revision == last:
            break
    return db


def _set_revision(db: Database, revision: str) -> None:
    with db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


@pytest.mark.parametrize("args", [["migrate"], ["users", "list-moderators"], ["jobs", "list"], ["privacy", "purge-signals"],
                                  ["serve", "--port", "1"]], ids=lambda a: "-".join(a[:2]))
def test_a_database_from_a_newer_townhall_is_refused_in_one_clear_line(empty_db: str, args: list[str]) -> None:  # noqa: F811
    """An operator who rolls back the code after an upgrade (or points an old server at a new database) is told
    what happened, in one line and exit status 1, and the database is not touched; alembic's "Can't locate revision"
    (a traceback from most commands) says neither."""
    db = _filled_to(empty_db, "0017_open_reports_index")
    _set_revision(db, FUTURE)
    with db.read() as conn:
        before = _snapshot(conn)
    try:
        done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), [*args, "--db", empty_db])
        assert done.exit_code == 1, (done.output, done.exception)
        assert isinstance(done.exception, SystemExit), done.exception  # no traceback
        text = " ".join(done.output.split())
        assert FUTURE in text and "newer" in text, text
        assert "Can't locate revision" not in text, text
        assert db.current_revision() == FUTURE
        with db.read() as conn:
            assert _kept(before, _snapshot(conn)) == []
    finally:
        db.dispose()


def test_the_doctor_does_not_advise_migrating_a_database_from_a_newer_townhall(tmp_path: Path) -> None:
    """`townhall migrate` cannot help there (and must not be told to try): the doctor says the schema is newer."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    db = Database(url)
    db.migrate()
    _set_revision(db, FUTURE)
    db.dispose()
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["doctor", "--db", url])
    text = " ".join(done.output.split())
    assert done.exit_code == 1, text
    assert f"migrations: database at {FUTURE}" in text and "newer" in text, text
    assert "run `townhall migrate`" not in text, text


def test_every_downgrade_then_upgrade_keeps_the_rows_it_does_not_own(empty_db: str) -> None:  # noqa: F811
    """From the head, full of every step's rows: each migration undone and done again keeps every row of the
    tables (and columns) that existed before it, on both databases; the steps before 0008 were not tested so."""
    revisions = _revisions(empty_db)
    db = _filled_to(empty_db, revisions[-1])
    cfg = _alembic_config(empty_db)
    script = ScriptDirectory.from_config(cfg)
    try:
        for revision in reversed(revisions[1:]):
            down = script.get_revision(revision).down_revision
            with db.read() as conn:
                before = _snapshot(conn)
            with db.write_engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, str(down))
            with db.read() as conn:
                middle = _snapshot(conn)
            owned_before = {name: (cols, rows) for name, (cols, rows) in before.items() if name in middle}
            # keep only the columns that survive the downgrade
            expected = {}
            for name, (cols, rows) in owned_before.items():
                keep = [i for i, c in enumerate(cols) if c in middle[name][0]]
                expected[name] = ([cols[i] for i in keep], [tuple(r[i] for i in keep) for r in rows])
            assert _kept(expected, middle) == [], f"downgrade of {revision} lost rows"
            with db.write_engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            with db.read() as conn:
                assert _kept(expected, _snapshot(conn)) == [], f"upgrade after undoing {revision} lost rows"
        assert db.current_revision() == revisions[-1]
    finally:
        db.dispose()


@pytest.mark.parametrize("start", list(DATA)[:-1])
def test_the_real_migrate_from_any_earlier_revision_with_rows_keeps_every_row(empty_db: str, start: str) -> None:  # noqa: F811
    """`townhall migrate` (and every start) from a database left at ``start`` with rows of every step up to it: all
    the remaining steps in one go, as an installation upgraded after several releases does; every row is kept."""
    db = _filled_to(empty_db, start)
    try:
        with db.read() as conn:
            before = _snapshot(conn)
        applied = db.migrate()
        assert applied == list(DATA)[list(DATA).index(start) + 1:]
        with db.read() as conn:
            assert _kept(before, _snapshot(conn)) == []
        assert db.current_revision() == db.head_revision()
    finally:
        db.dispose()


@pytest.mark.slow
def test_two_migrate_commands_at_once_on_an_old_database_keep_every_row(empty_db: str, tmp_path: Path) -> None:  # noqa: F811
    """Real processes, started together on a database at 0004 with rows in it: both end well, the database is at
    the head once, and every row is still there."""
    db = _filled_to(empty_db, "0004_operations")
    with db.read() as conn:
        before = _snapshot(conn)
    env = {**os.environ, "TOWNHALL_POLICY": POLICY}
    procs = [subprocess.Popen([sys.executable, "-m", "townhall.cli", "migrate", "--db", empty_db], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        outputs = [p.communicate(timeout=180)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    try:
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert db.current_revision() == db.head_revision()
        with db.read() as conn:
            assert _kept(before, _snapshot(conn)) == []
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_process_that_waited_for_another_ones_migration_says_it_applied_none(postgres: Any) -> None:
    """PostgreSQL: a process starting while another migrates waits for the advisory lock, then finds the head. It
    read the revision before taking the lock, and reported every step from there as applied by itself (`townhall
    migrate` printed them twice across the two processes)."""
    from townhall.store.db import _EXCLUSIVE_LOCK_ID

    name = f"{postgres.prefix}_race_{os.getpid()}"
    with postgres.admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    postgres.created.append(name)
    url = postgres.url(name)
    first = _filled_to(url, "0004_operations")
    second = Database(url)
    result: dict[str, Any] = {}

    def run_second() -> None:
        try:
            result["applied"] = second.migrate()
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    thread = threading.Thread(target=run_second)
    try:
        cfg = _alembic_config(url)
        with first.write_engine.begin() as conn:  # the first process, migrating under the lock
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_EXCLUSIVE_LOCK_ID})")
            thread.start()
            deadline = time.monotonic() + 60
            while True:  # the second process waits for the lock
                with postgres.admin.connect() as admin:
                    waiting = admin.execute(sa.text("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                                                    "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = :n"),
                                            {"n": name}).scalar_one()
                if waiting or "error" in result or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert waiting, result
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        thread.join(60)
        assert not thread.is_alive() and "error" not in result, result
        assert result["applied"] == [], result
        assert second.current_revision() == second.head_revision()
    finally:
        first.dispose()
        second.dispose()
