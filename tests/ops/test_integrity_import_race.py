"""`townhall import` of the same archive run twice at once must not import a comment twice.

The importer's promise (townhall/service/importing.py, module docstring): "Idempotent and resumable ... a re-run
adds only what is missing." On PostgreSQL (READ COMMITTED) two runs of one archive both look up what was imported
(nothing yet), then both insert: every comment is imported twice (no unique key on comments.external_id).

The interleaving is made deterministic with a real PostgreSQL table lock held by the test: both runs have done
their look-up and wait to insert; the lock is released and both go on. On SQLite the runs queue for the writer
(BEGIN IMMEDIATE) and the look-up happens inside the write transaction, so the test passes there.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from tests.ops.pg_race import until_waiting
from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importing import run_import


def _archive(posts: list[int]) -> str:
    body = "".join(
        f'<post dsq:id="{pid}"><message>Comment number {pid}</message><createdAt>2020-01-0{pid}T00:00:00Z</createdAt>'
        f'<author><name>Ann</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post>'
        for pid in posts)
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><link>https://ex.org/story</link><title>T</title></thread>{body}</disqus>')


def _count(app: Townhall, ext: str) -> int:
    with app.services.db.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM comments WHERE external_id = :e"), {"e": ext}).scalar_one())


def test_two_imports_of_one_archive_at_once_import_each_comment_once(app: Townhall) -> None:
    svc = app.services
    # an earlier run imported the thread and its author (an interrupted run, or an earlier archive of the blog)
    assert run_import(svc, disqus.read(_archive([1])), "default").comments_new == 1
    archive = _archive([1, 2, 3])
    errors: list[BaseException] = []
    reports: list[Any] = []

    def one_run() -> None:
        try:
            reports.append(run_import(svc, disqus.read(archive), "default"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    if svc.db.is_sqlite:
        for t in runs:
            t.start()
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql("SELECT id FROM threads FOR UPDATE").all()  # reads go on, inserts of comments wait (FK)
                for t in runs:
                    t.start()
                until_waiting(blocker, 2)  # both runs have looked up what is imported and wait to insert
    for t in runs:
        t.join(60)
    assert not errors, errors
    counts = {ext: _count(app, ext) for ext in ("disqus:1", "disqus:2", "disqus:3")}
    assert counts == {"disqus:1": 1, "disqus:2": 1, "disqus:3": 1}, f"imported more than once: {counts}"
    assert sum(r.comments_new for r in reports) == 2, [r.comments_new for r in reports]
