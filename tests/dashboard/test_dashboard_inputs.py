"""The dashboard's ids and text, on SQLite and PostgreSQL: an id past what the database holds (past 64 bits
for SQLite, past 32 bits for PostgreSQL) or text with a NUL character is a 422 in the error envelope,
never a 500, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.fixtures_app import auth
from townhall.app import Townhall

HUGE = [10**20, 2**31]
FETCH = {"X-Requested-With": "fetch"}


def assert_invalid(r: Any) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == "invalid", body


def signed_in_admin(app: Townhall, client: TestClient) -> str:
    add_moderator(app.services, "root@example.org", admin=True)
    assert sign_in(client, "root@example.org").status_code == 303
    return csrf_token(client.get("/admin/queue/held").text)


def audit_rows(app: Townhall) -> int:
    with app.services.db.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one())


@pytest.mark.parametrize("big", HUGE)
def test_huge_ids_in_pages_are_refused(app: Townhall, client: TestClient, big: int) -> None:
    signed_in_admin(app, client)
    for url in (f"/admin/accounts/{big}", f"/admin/clusters/{big}", f"/admin/queue/held?before={big}",
                f"/admin/audit?before={big}", f"/admin/audit?account={big}", f"/admin/audit.jsonl?account={big}"):
        assert_invalid(client.get(url))
    assert client.get("/admin/accounts/2147483647").status_code == 404  # the largest id is only unknown


@pytest.mark.parametrize("big", HUGE)
def test_huge_ids_in_actions_are_refused(app: Townhall, client: TestClient, big: int) -> None:
    token = signed_in_admin(app, client)
    account = client.post("/api/v1/threads/t/comments", json={"text": "hello"}, headers=auth("alice")).json()["comment"]
    before = audit_rows(app)
    form = {"csrf_token": token, "reason": "because", "response": "no", "text": "a note"}
    cases: list[tuple[str, dict[str, Any]]] = [
        (f"/admin/comments/{big}/decision", {"decision": "reject"}),
        (f"/admin/appeals/{big}/decision", {"outcome": "uphold"}),
        (f"/admin/accounts/{big}/restore", {}),
        (f"/admin/accounts/{big}/sanction", {"sanction": "warn"}),
        (f"/admin/accounts/{big}/reject-all", {}),
        (f"/admin/accounts/{big}/notes", {}),
        (f"/admin/clusters/{big}/dismiss", {}),
        (f"/admin/clusters/{big}/confirm", {"confirm": "yes"}),
        (f"/admin/moderators/{big}", {"role": "moderator"}),
        (f"/admin/moderators/{big}/remove", {}),
        ("/admin/bulk", {"ids": [str(big)], "decision": "approve"}),
    ]
    for url, extra in cases:
        assert_invalid(client.post(url, data={**form, **extra}, headers=FETCH))
    r = client.post(f"/admin/accounts/{account['author']['id']}/sanction",
                    data={**form, "sanction": "warn", "also_reject": str(big)}, headers=FETCH)
    assert_invalid(r)
    assert audit_rows(app) == before


def test_nul_in_dashboard_text_is_refused(app: Townhall, client: TestClient) -> None:
    token = signed_in_admin(app, client)
    comment = client.post("/api/v1/threads/t/comments", json={"text": "hello"}, headers=auth("alice")).json()["comment"]
    before = audit_rows(app)
    account = comment["author"]["id"]
    cases: list[tuple[str, dict[str, Any]]] = [
        (f"/admin/comments/{comment['id']}/decision", {"decision": "reject", "reason": "off\x00topic"}),
        (f"/admin/accounts/{account}/notes", {"text": "watch\x00"}),
        (f"/admin/accounts/{account}/sanction", {"sanction": "warn", "reason": "\x00"}),
        (f"/admin/accounts/{account}/restore", {"reason": "\x00"}),
        ("/admin/sites", {"site_id": "new", "name": "The \x00 Paper"}),
    ]
    for url, data in cases:
        assert_invalid(client.post(url, data={"csrf_token": token, **data}, headers=FETCH))
    for params in ({"actor": "mod:\x00"}, {"site": "\x00"}, {"action": "\x00"}):
        assert_invalid(client.get("/admin/audit", params=params))
        assert_invalid(client.get("/admin/audit.jsonl", params=params))
    assert_invalid(client.get("/admin/queue/held", params={"site": "\x00"}))
    assert audit_rows(app) == before
    assert client.get("/admin/audit", params={"actor": "mod:someone"}).status_code == 200


def test_sso_sign_in_with_a_nul_in_sub_is_refused(client: TestClient) -> None:
    from tests.fixtures_app import make_token

    r = client.get("/admin/sso", params={"token": make_token("mo\x00d", role="moderator")}, follow_redirects=False)
    assert r.status_code == 401
    assert "th_session=" not in r.headers.get("set-cookie", "")
