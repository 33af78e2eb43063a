"""Operations audit, backups: `townhall backup` of a live SQLite database taken while readers post is consistent and
restores into a working installation; a WAL's content is in it even after the writer was killed; paths with spaces
and non-ASCII characters work; a source that is not a database, or an empty one, and a disk that fills up during the
copy end in one line, leaving no file."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.store.db import Database
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY


def _backup(source: Path, out: Path) -> Any:
    return CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["backup", "--db", f"sqlite:///{source}",
                                                                             "--out", str(out)])


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_a_backup_taken_while_readers_post_restores_into_a_working_installation(make_app: Any, tmp_path: Path) -> None:
    live = tmp_path / "live" / "townhall.db"
    app: Townhall = make_app(f"sqlite:///{live}", policy=POLICY)
    stop, some = threading.Event(), threading.Event()
    posted: list[int] = []

    def post() -> None:
        with TestClient(app) as writer:
            i = 0
            while not stop.is_set() or i < 5:
                answer = writer.post("/api/v1/threads/t/comments", json={"text": f"comment number {i}"}, headers=auth(f"u{i % 3}"))
                assert answer.status_code == 201, answer.text
                posted.append(answer.json()["comment"]["id"])
                i += 1
                if i == 5:
                    some.set()

    thread = threading.Thread(target=post)
    thread.start()
    try:
        assert some.wait(60), "no comment was posted"
        out = tmp_path / "backups" / "copy.db"
        done = _backup(live, out)
    finally:
        stop.set()
        thread.join(60)
    assert done.exit_code == 0, done.output
    comments = _count(out, "SELECT count(*) FROM comments")
    assert 0 < comments <= len(posted)
    # one snapshot: every comment in the copy has its decision, and its thread
    assert _count(out, "SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.comment_id = c.id)") == 0
    assert _count(out, "SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM threads t WHERE t.id = c.thread_id)") == 0

    restored = tmp_path / "restored" / "townhall.db"
    restored.parent.mkdir()
    shutil.copyfile(out, restored)
    again: Townhall = make_app(f"sqlite:///{restored}", policy=POLICY)
    with TestClient(again) as client:
        listed = client.get("/api/v1/threads/t/comments?limit=100").json()
        assert len(listed["comments"]) == comments
        new = client.post("/api/v1/threads/t/comments", json={"text": "after the restore"}, headers=auth("u9"))
        assert new.status_code == 201, new.text
        new_id = new.json()["comment"]["id"]
        assert new_id > max(c["id"] for c in listed["comments"])
        removed = client.post(f"/api/v1/mod/comments/{new_id}/decision", json={"action": "reject", "reason": "Test"},
                              headers=auth("mod", role="moderator"))
        assert removed.status_code == 200, removed.text
        ids = [c["id"] for c in client.get("/api/v1/threads/t/comments?limit=100").json()["comments"]]
        assert new_id not in ids and len(ids) == comments


WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint=0")
for i in range(300):
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"wal-{i}", "x" * 500))
print("written", flush=True)
sys.stdin.readline()
"""


def test_a_backup_holds_what_is_only_in_the_wal_of_a_killed_writer(tmp_path: Path) -> None:
    source = tmp_path / "data dä ✓ #1" / "townhall.db"
    Database(f"sqlite:///{source}").migrate()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(source)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
        wal = Path(f"{source}-wal")
        assert wal.stat().st_size > 100_000  # the rows are in the WAL, not in the main file
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    out = tmp_path / "bäck up ✓" / "copy of townhall.db"
    done = _backup(source, out)
    assert done.exit_code == 0, done.output
    assert "integrity ok" in done.output
    assert _count(out, "SELECT count(*) FROM meta WHERE key LIKE 'wal-%'") == 300
    assert not Path(f"{out}-wal").exists() and not Path(f"{out}.partial").exists()


def test_a_source_that_is_not_a_sqlite_database_is_refused_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "townhall.db"
    source.write_text("this is not a database, it is a note\n" * 200, encoding="utf-8")
    out = tmp_path / "copy.db"
    done = _backup(source, out)
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (done.output, done.exception)
    assert done.output.strip().startswith("Error: ") and "\n" not in done.output.strip(), done.output
    assert "not a database" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["townhall.db"]  # no copy, no .partial


def test_an_empty_source_is_not_reported_as_a_backup(tmp_path: Path) -> None:
    """An empty file (or an empty SQLite database) at the database's path copied "successfully" as "schema None,
    integrity ok": a backup that restores an empty installation. It is refused, naming the path."""
    def empty_sqlite(path: Path) -> None:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 1")
        conn.close()

    for name, make in (("zero.db", lambda p: p.write_bytes(b"")), ("empty.db", empty_sqlite)):
        source = tmp_path / name
        make(source)
        out = tmp_path / f"copy-{name}"
        done = _backup(source, out)
        assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (name, done.output, done.exception)
        assert str(source) in " ".join(done.output.split()) and "empty" in done.output, done.output
        assert not out.exists() and not Path(f"{out}.partial").exists()


def _no_bigger_files_than(limit: int) -> Callable[[], None]:
    def apply() -> None:  # in the child: writes past ``limit`` bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_backup_onto_a_full_disk_fails_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """The disk fills up during the copy (simulated without root: the process may not write files past 64 KiB, the
    database being 250 KB). SQLite's "disk I/O error" came out as a traceback, and the copy's -wal and -shm files
    were left beside the target."""
    source = tmp_path / "data" / "townhall.db"
    db = Database(f"sqlite:///{source}")
    db.migrate()
    db.dispose()  # the last connection checkpoints the WAL into the file
    assert source.stat().st_size > 128 * 1024
    backups = tmp_path / "backups"
    backups.mkdir()
    done = subprocess.run([sys.executable, "-m", "townhall.cli", "backup", "--db", f"sqlite:///{source}",
                           "--out", str(backups / "copy.db")], env={**os.environ, "TOWNHALL_POLICY": POLICY},
                          preexec_fn=_no_bigger_files_than(64 * 1024), capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and output.strip().startswith("Error: ") and "\n" not in output.strip(), output
    assert sorted(p.name for p in backups.iterdir()) == []  # no copy, no .partial, no .partial-wal or -shm
