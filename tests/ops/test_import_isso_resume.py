"""An Isso import killed with SIGKILL half-way and run again has every comment once, with its thread and its
place under its parent (the Disqus and WordPress runs are tested in test_audit_import2_resume.py and
test_import_limits.py; an Isso database is read through its own path, store/isso_source.py). SQLite only."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from townhall.app import Townhall
from townhall.service.importers import isso
from townhall.service.importing import run_import
from tests.ops.conftest import POLICY
from tests.ops.import_runs import count_comments, imported, kill_half_way, start
from tests.ops.isso_schema import ISSO_TABLES

THREADS, PER_THREAD = 4, 200  # 800 comments: batches of 200


@pytest.fixture
def app(make_app: Any, sqlite_url: str) -> Townhall:
    return make_app(sqlite_url, policy=POLICY)  # type: ignore[no-any-return]


def _isso_db(path: Path) -> None:
    """Four threads of 200 comments; every comment but each third answers the one before it."""
    conn = sqlite3.connect(path)
    conn.executescript(ISSO_TABLES)
    conn.executemany("INSERT INTO threads VALUES (?, ?, ?)", [(t + 1, f"/post-{t}/", f"Post {t}") for t in range(THREADS)])
    conn.executemany(
        "INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author, email, voters) "
        "VALUES (?, ?, ?, ?, 1, '127.0.0.0', ?, ?, ?, x'')",
        [(t + 1, cid, cid - 1 if n % 3 else None, 1690000000.0 + cid, f"comment {t}/{n}", f"R{cid % 10}",
          f"r{cid % 10}@example.org")
         for t in range(THREADS) for n in range(PER_THREAD) for cid in [t * PER_THREAD + n + 1]])
    conn.commit()
    conn.close()


def test_an_isso_import_killed_half_way_and_run_again_has_every_comment_once(app: Townhall, sqlite_url: str,
                                                                             tmp_path: Path) -> None:
    total = THREADS * PER_THREAD
    source = tmp_path / "comments.db"
    _isso_db(source)
    before = kill_half_way(app, start("isso", source, sqlite_url, tmp_path), total)
    with isso.read(source) as archive:  # run again, in this process
        report = run_import(app.services, archive, "default")
    assert (report.comments_existing, report.comments_new) == (before, total - before)
    assert report.problems == []
    rows, accounts = imported(app)
    assert len(rows) == total and accounts == 10
    for t in range(THREADS):
        for n in range(PER_THREAD):
            cid = t * PER_THREAD + n + 1
            row = rows[f"isso:{cid}"]
            assert row["thread"] == f"/post-{t}/" and row["depth"] == n % 3
            if n % 3:
                assert row["parent_id"] == rows[f"isso:{cid - 1}"]["id"]
    assert count_comments(app) == total
