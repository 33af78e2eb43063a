"""A thread id may be up to 300 characters (townhall.service.comments.MAX_THREAD_ID), and every audited action on
a thread names it in the audit log: closing and opening it, and setting its article data. On PostgreSQL the audit
log's subject once held 64 characters, so those actions failed for longer ids (and nothing was saved)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, auth

MOD = auth("editor", role="moderator")


@pytest.mark.parametrize("length", [65, 300])
def test_every_audited_thread_action_takes_the_longest_thread_id(make_app: AppFactory, db_url: str, length: int) -> None:
    thread = "news/" + "a" * (length - len("news/"))
    assert len(thread) == length
    with TestClient(make_app(db_url), raise_server_exceptions=False) as client:
        posted = client.post(f"/api/v1/threads/{thread}/comments", json={"text": "First."}, headers=auth("alice"))
        assert posted.status_code == 201, posted.text
        for state in ("closed", "open"):
            r = client.put(f"/api/v1/mod/threads/{thread}/state", json={"state": state}, headers=MOD)
            assert r.status_code == 200 and r.json()["state"] == state, r.text
        r = client.patch(f"/api/v1/mod/threads/{thread}", json={"title": "A long one"}, headers=MOD)
        assert r.status_code == 200 and r.json()["title"] == "A long one", r.text
        audit = client.get("/api/v1/mod/audit", params={"subject_type": "thread", "subject_id": thread}, headers=MOD)
        assert audit.status_code == 200, audit.text
        actions = [line for line in audit.text.splitlines() if line]
        assert len(actions) == 3, actions
        assert all(f'"subject_id": "{thread}"' in line for line in actions), actions
