"""A reader's double click on "e-mail me replies" is no 500.

``PUT /api/v1/me/notifications`` (townhall.service.mail.set_reply_notifications) stores the choice with an update
that, finding no row, inserts one (townhall.store.prefs.set_replies). Two such requests at once from a reader who
never chose before (a double click, a second tab) both find no row on PostgreSQL (READ COMMITTED) and both insert:
the second fails on the primary key, a 500 ("internal").

Made deterministic with a real PostgreSQL table lock the test holds until both requests wait to write; on SQLite the
writers queue (BEGIN IMMEDIATE) and the test passes.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import auth
from tests.ops.pg_race import until_waiting
from townhall.app import Townhall


def test_two_opt_ins_at_once_are_no_500(app: Townhall, client: TestClient) -> None:
    svc = app.services
    alice = auth("alice", name="Alice", email="alice@example.org")
    assert client.get("/api/v1/me/notifications", headers=alice).json()["replies"] is False  # signed in, never chose
    answers: list[Any] = []

    def opt_in() -> None:
        answers.append(client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice))

    clicks = [threading.Thread(target=opt_in) for _ in range(2)]
    if svc.db.is_sqlite:
        for t in clicks:
            t.start()
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql("LOCK TABLE reader_prefs IN SHARE MODE")  # reads go on, writes wait
                for t in clicks:
                    t.start()
                until_waiting(blocker, 2)  # both found no choice stored, and wait to store theirs
    for t in clicks:
        t.join(60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert client.get("/api/v1/me/notifications", headers=alice).json()["replies"] is True
