"""An admin's "Add site" sent twice at once (a double click) is no 500.

``POST /admin/sites`` (townhall.service.moderators.add_site) checks that the site id is free, then inserts it. Two
such requests at once both find it free on PostgreSQL (READ COMMITTED) and both insert: the second fails on the
primary key and the dashboard answers 500 ("internal") instead of "That site exists already." (409). The same
check-then-insert is in ``people.upsert_moderator`` (``POST /admin/moderators``, ``townhall users add``).

Made deterministic with a real PostgreSQL table lock the test holds until both requests wait to insert; on SQLite
the writers queue (BEGIN IMMEDIATE) and the test passes.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.ops.pg_race import until_waiting
from townhall.app import Townhall


def _twice_at_once(app: Townhall, client: TestClient, path: str, form: dict[str, str], table: str) -> list[Any]:
    """An admin's form sent twice at once: on PostgreSQL both requests read first and wait to insert into ``table``
    (a lock the test holds until both wait); on SQLite the writers queue. The two answers."""
    svc = app.services
    add_moderator(svc, "root@example.org", admin=True)
    sign_in(client, "root@example.org")
    token = csrf_token(client.get("/admin/moderators").text)
    answers: list[Any] = []

    def send() -> None:
        answers.append(client.post(path, data={**form, "csrf_token": token}))

    clicks = [threading.Thread(target=send) for _ in range(2)]
    if svc.db.is_sqlite:
        for t in clicks:
            t.start()
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql(f"LOCK TABLE {table} IN SHARE MODE")  # reads go on, inserts wait
                for t in clicks:
                    t.start()
                until_waiting(blocker, 2)  # both found the key free, and wait to insert it
    for t in clicks:
        t.join(60)
    return answers


def test_adding_a_site_twice_at_once_is_no_500(app: Townhall, client: TestClient) -> None:
    answers = _twice_at_once(app, client, "/admin/sites", {"site_id": "gazette", "name": "The Gazette"}, "sites")
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [(a.status_code, a.text[:200]) for a in answers]


def test_saving_one_new_moderator_twice_at_once_is_no_500(app: Townhall, client: TestClient) -> None:
    """The same shape in ``people.upsert_moderator``: both requests find the e-mail free and insert it; the second
    failed on the unique e-mail with a 500. Now one insert-or-update: one moderator, saved twice."""
    answers = _twice_at_once(app, client, "/admin/moderators",
                             {"email": "new@example.org", "password": "a-long-passphrase", "sites": "default"},
                             "moderators")
    assert [a.status_code for a in answers] == [200, 200], [(a.status_code, a.text[:200]) for a in answers]
    with app.services.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT email FROM moderators WHERE email = 'new@example.org'").all()
    assert len(rows) == 1
