"""Erasing your account is no way out of a sanction (townhall/service/privacy.py), premoderation included.

A moderator's premoderation ("premoderate" beside warn, suspend and ban: POST /api/v1/mod/accounts/{id}/sanctions)
lasts until a moderator lifts it. The erasure kept the sign-in subject (a keyed hash) only while a ban or suspension
was in force, so a premoderated reader sent DELETE /api/v1/me and, with the very same publisher token, was a fresh
account whose comments published at once (found by an audit, 2026-11-28). Now a premoderation in force keeps the
subject too (``enforcement.outlives_erasure``), and the same sign-in finds the account and its premoderation again.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import auth

MOD = auth("mod", role="moderator")


def _post(client: TestClient, text: str, who: dict[str, str]) -> dict:
    r = client.post("/api/v1/threads/premod-escape/comments", json={"text": text}, headers=who)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_premoderated_reader_cannot_erase_their_way_out_of_premoderation(sec_app: Townhall, sec_client: TestClient) -> None:
    troll = auth("troll", name="Troll")
    first = _post(sec_client, "A first, ordinary comment.", troll)
    account_id = first["comment"]["author"]["id"]
    r = sec_client.post(f"/api/v1/mod/accounts/{account_id}/sanctions",
                        json={"sanction": "premoderate", "reason": "Flooding the threads"}, headers=MOD)
    assert r.status_code == 201, r.text
    assert _post(sec_client, "Held for a moderator, as decided.", troll)["verdict"] == "held"

    assert sec_client.delete("/api/v1/me", headers=troll).status_code == 200

    # the same sign-in, a moment later: the moderator's premoderation must still hold
    again = _post(sec_client, "And now straight onto the page.", troll)
    assert again["verdict"] == "held", again
    me = sec_client.get("/api/v1/me", headers=troll).json()
    assert me["premoderation"] is not None and me["premoderation"]["source"] == "sanction", me


def test_a_suspended_reader_cannot_erase_their_way_out_either(sec_app: Townhall, sec_client: TestClient) -> None:
    """What the erasure guaranteed before for a suspension (the control case)."""
    reader = auth("suspended-one")
    account_id = _post(sec_client, "Hello.", reader)["comment"]["author"]["id"]
    r = sec_client.post(f"/api/v1/mod/accounts/{account_id}/sanctions",
                        json={"sanction": "suspend", "reason": "Cool off", "hours": 24}, headers=MOD)
    assert r.status_code == 201, r.text
    assert sec_client.delete("/api/v1/me", headers=reader).status_code == 200
    again = sec_client.post("/api/v1/threads/premod-escape/comments", json={"text": "Back?"}, headers=reader)
    assert again.status_code == 403, again.text
