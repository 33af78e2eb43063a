"""`townhall import` run while readers post must not fail on a thread a reader just started.

A reader's first comment on an article creates its thread (townhall.service.comments.get_or_create_thread, which
expects a concurrent creator: a savepoint and a read-back on IntegrityError). The importer creates the threads of
the archive with a plain insert (townhall/service/importing.py, ``_thread``): where a reader's first comment on one
of those articles commits between the importer's look-up and its insert (PostgreSQL), the import dies with the
database's unique-constraint error ("duplicate key value violates unique constraint uq_threads_site_external")
and the rest of the archive is not imported.

The interleaving is made deterministic with a real PostgreSQL table lock held by the test (the reader's request has
created the thread and waits to insert its comment; the import has looked the thread up and waits on the reader's
insert); on SQLite the writers queue (BEGIN IMMEDIATE) and the test passes.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from tests.ops.pg_race import until_waiting
from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importing import run_import

STORY = "https://ex.org/story"


def _archive() -> str:
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><link>{STORY}</link><title>T</title></thread>'
            '<post dsq:id="1"><message>An archived comment</message><createdAt>2020-01-01T00:00:00Z</createdAt>'
            '<author><name>Ann</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post></disqus>')


def test_an_import_survives_a_readers_first_comment_on_one_of_its_threads(app: Townhall, client: TestClient) -> None:
    svc = app.services
    results: dict[str, Any] = {}

    def reader() -> None:
        r = client.post(f"/api/v1/threads/{STORY}/comments", json={"text": "First!"}, headers=auth("dave"))
        results["reader"] = r.status_code

    def importer() -> None:
        try:
            results["import"] = run_import(svc, disqus.read(_archive()), "default").comments_new
        except Exception as exc:  # noqa: BLE001
            results["import"] = exc

    post, imp = threading.Thread(target=reader), threading.Thread(target=importer)
    if svc.db.is_sqlite:
        post.start(); imp.start()  # noqa: E702
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql("LOCK TABLE comments IN SHARE MODE")  # reads go on, inserts of comments wait
                post.start()
                until_waiting(blocker, 1)  # the reader's request created the thread, and waits to insert its comment
                imp.start()
                until_waiting(blocker, 2)  # the import did not see that thread, and waits on the reader's insert of it
    post.join(60); imp.join(60)  # noqa: E702
    assert results["reader"] == 201, results
    assert results["import"] == 1, f"the import failed: {results['import']!r}"
    with svc.db.read() as conn:
        bodies = sorted(conn.execute(sa.text("SELECT c.body FROM comments c JOIN threads t ON t.id = c.thread_id "
                                             "WHERE t.external_id = :t"), {"t": STORY}).scalars())
    assert bodies == ["An archived comment", "First!"], bodies
