"""Found by an audit (2026-11-28; each test failed before its fix): one comment is one strike, however it is mended. A moderator who approves the *mended* text (a "Keep" of
the published, reported comment, or approving a mend the rules held) says nothing about the insult the rules refused
with a strike; the strike and the warning it brought were lifted all the same."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.enforcement.test_enforcement_audit2 import _me, _struck
from tests.enforcement.test_ladder import MOD, abusive_texts
from tests.enforcement.test_trust import borderline
from tests.fixtures_app import auth


def test_keeping_the_mended_text_of_a_struck_comment_keeps_the_strike(app, client: TestClient) -> None:
    reader = auth("launderer")
    cid = _struck(client, reader, abusive_texts(app)[0])
    assert _me(client, reader)["active_strikes"] == 1
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "I take that back; the budget vote was rushed."}, headers=reader)
    assert r.status_code == 200 and r.json()["verdict"] == "published", r.text
    # reported, and a moderator keeps it: the text now published is fine
    r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "approve", "reason": "Keep"}, headers=MOD)
    assert r.status_code == 200, r.text
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned", me["actions"]


def test_approving_a_held_mend_of_a_struck_comment_keeps_the_strike(app, client: TestClient) -> None:
    reader = auth("launderer-2")
    cid = _struck(client, reader, abusive_texts(app)[0])
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": borderline(app)}, headers=reader)
    assert r.status_code == 200 and r.json()["verdict"] == "held", r.text
    r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "approve"}, headers=MOD)
    assert r.status_code == 200, r.text
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned", me["actions"]
