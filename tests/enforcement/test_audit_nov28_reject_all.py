"""Found by an audit (2026-11-28; each test failed before its fix): a moderator's rejection of a comment the rules held as abusive is a strike — also when it is
rejected with the account's other comments (reject-all), not only one by one."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, T
from tests.enforcement.test_trust import borderline
from tests.fixtures_app import auth


def test_reject_all_counts_the_strike_of_a_held_abusive_comment(app, client: TestClient) -> None:
    held = borderline(app)
    one, many = auth("one-by-one"), auth("all-at-once")
    for reader in (one, many):
        r = client.post(T, json={"text": held}, headers=reader)
        assert r.status_code == 201 and r.json()["verdict"] == "held", r.text
    # one by one: the moderator confirms the rule, the author gets the strike (README, "We will ban you")
    cid = client.get("/api/v1/mod/queues/held", headers=MOD).json()["items"]
    first = next(i["id"] for i in cid if i["author"]["name"].lower().startswith("one"))
    r = client.post(f"/api/v1/mod/comments/{first}/decision", json={"action": "reject", "reason": "An insult."}, headers=MOD)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=one).json()["active_strikes"] == 1
    # all at once: the same rejection of the same kind of comment
    aid = client.get("/api/v1/me", headers=many).json()["id"]
    r = client.post(f"/api/v1/mod/accounts/{aid}/reject-all", json={"reason": "An insult."}, headers=MOD)
    assert r.status_code == 200 and len(r.json()["rejected"]) == 1, r.text
    me = client.get("/api/v1/me", headers=many).json()
    assert me["active_strikes"] == 1 and me["state"] == "warned", me
