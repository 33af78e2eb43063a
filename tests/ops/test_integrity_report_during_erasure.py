"""A report note sent as its reader is erased outlives the erasure (PostgreSQL).

An erasure (townhall.service.privacy.erase_account: `townhall erase`, ``DELETE /api/v1/me``) scrubs the reader's own
writing, report notes included (townhall.store.privacy.scrub_reader_writing), under a lock on the account row; what
comes in for an account erased meanwhile is refused ("erased while this request was on its way: nothing is added",
townhall.service.accounts.require_can_post). ``POST /api/v1/comments/{id}/reports`` checks the reader without that
lock (``require_can_post(conn, svc, id)``, townhall/service/comments.py ``report``): on PostgreSQL the check passes
before the erasure commits, and the report, note and all, is stored after it, attached to the erased account.

Deterministic with a real row lock held by the test on the reader's account: the erasure waits for it first, then
the report (its checks done, its insert waiting on the same row for its foreign key); the lock is released and
they go on in that order. On SQLite writers queue (BEGIN IMMEDIATE) and the test passes.

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
from townhall.service.privacy import erase_account

NOTE = "Dave's own words about why this is spam, which his erasure must take with it."


def test_a_report_sent_during_its_readers_erasure_keeps_no_note(app: Townhall, client: TestClient) -> None:
    svc = app.services
    dave = auth("dave", name="Dave")
    target = client.post("/api/v1/threads/story/comments", json={"text": "Buy cheap watches here."}, headers=auth("erin"))
    assert target.status_code == 201, target.text
    me = client.get("/api/v1/me", headers=dave).json()["id"]
    got: dict[str, Any] = {}

    def erase() -> None:
        got["erased"] = erase_account(svc, me, actor="cli")

    def report() -> None:
        got["report"] = client.post(f"/api/v1/comments/{target.json()['comment']['id']}/reports",
                                    json={"reason": "spam", "note": NOTE}, headers=dave)

    eraser, reporter = threading.Thread(target=erase), threading.Thread(target=report)
    if svc.db.is_sqlite:
        eraser.start(); eraser.join(60)  # noqa: E702
        reporter.start()
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql(f"SELECT id FROM accounts WHERE id = {int(me)} FOR UPDATE").all()
                eraser.start()
                until_waiting(blocker, 1)  # the erasure waits for the account
                reporter.start()
                until_waiting(blocker, 2)  # the report has checked the reader, and waits to store itself
    eraser.join(60); reporter.join(60)  # noqa: E702
    assert got["erased"]["erased"] is True
    with svc.db.read() as conn:
        notes = list(conn.execute(sa.text("SELECT note FROM reports WHERE account_id = :a AND note IS NOT NULL"),
                                  {"a": me}).scalars())
    assert notes == [], f"the erased reader's report note was stored after the erasure ({got['report'].status_code})"
