"""A reader's first requests often arrive together (the widget asks for the thread and for /me at once): the
first sign-in must make one account, and neither request may fail (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from starlette.testclient import TestClient

from tests.fixtures_app import auth


def test_simultaneous_first_sign_ins_make_one_account_and_no_error(client: TestClient) -> None:
    for i in range(12):
        reader = auth(f"first-{i}", name="New Reader", email=f"first-{i}@example.org")
        barrier, answers = threading.Barrier(3), []

        def ask() -> None:
            barrier.wait()
            r = client.get("/api/v1/me", headers=reader)
            answers.append((r.status_code, r.json().get("id")))

        threads = [threading.Thread(target=ask) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [code for code, _ in answers] == [200, 200, 200], answers
        assert len({account for _, account in answers}) == 1, answers
