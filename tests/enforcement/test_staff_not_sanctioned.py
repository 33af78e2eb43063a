"""Moderators and admins are not sanctioned from the moderation tools: not a moderator's own account, nor a fellow
moderator's, nor an admin's (403 ``staff_account``, nothing taken, nothing audited). Their role is the publisher's to
take away (the SSO token's ``role``); then they are readers and the ladder applies. Before (an audit, 2026-11-28), a
moderator could ban their own account or an admin's (201) and go on moderating while banned."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.fixtures_app import auth

MOD = auth("mod", role="moderator")


def _id(client: TestClient, headers: dict[str, str]) -> int:
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def test_staff_accounts_are_refused_and_readers_are_not(client: TestClient) -> None:
    staff = {"own": MOD, "fellow": auth("mod2", role="moderator"), "admin": auth("boss", role="admin")}
    for who, headers in staff.items():
        account = _id(client, headers)
        for kind in ("warn", "suspend", "ban", "premoderate"):
            body = {"sanction": kind, "reason": "Testing the rule.", **({"hours": 2} if kind == "suspend" else {})}
            r = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json=body, headers=MOD)
            assert r.status_code == 403 and r.json()["error"]["code"] == "staff_account", (who, kind, r.text)
        assert client.get("/api/v1/me", headers=headers).json()["actions"] == [], who
    assert client.get("/api/v1/mod/queues/held", headers=MOD).status_code == 200  # still moderating, unsanctioned
    reader = _id(client, auth("reader"))
    r = client.post(f"/api/v1/mod/accounts/{reader}/sanctions", json={"sanction": "ban", "reason": "Abuse."}, headers=MOD)
    assert r.status_code == 201, r.text
