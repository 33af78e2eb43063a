"""Audit, service: a member of a confirmed cluster whose ban a moderator reverses on appeal is a reader the
moderators found was not a paid troll. The paid-troll rule must not go on holding every comment they write (the
confirmed flag is decided, so no flag would ever name them again and nothing in the queue explains the hold)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.fixtures_app import Clock, auth
from tests.trolls_service.test_cluster_ban import post_campaign

MOD = auth("mod", role="moderator")


def _verdict(client: TestClient, sub: str, thread: str, text: str) -> str:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text}, headers=auth(sub))
    assert r.status_code == 201, r.text
    return str(r.json()["verdict"])


def test_a_member_reinstated_on_appeal_posts_freely(client: TestClient, clock: Clock) -> None:
    trolls, _ = post_campaign([client], clock)
    assert client.post("/api/v1/mod/trolls/analyse", headers=MOD).status_code == 200
    flags = [f for f in client.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"] if f["kind"] == "coordination"]
    assert len(flags) == 1
    r = client.post(f"/api/v1/mod/flags/{flags[0]['id']}/decision", json={"outcome": "confirm"}, headers=MOD)
    assert r.status_code == 200, r.text
    actions = {int(a): int(x) for a, x in r.json()["actions"].items()}
    ids = {t: int(client.get("/api/v1/me", headers=auth(t)).json()["id"]) for t in trolls}
    member = next(t for t in trolls if ids[t] in actions)

    r = client.post(f"/api/v1/me/actions/{actions[ids[member]]}/appeal", json={"text": "I am a student, not a troll."},
                    headers=auth(member))
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/mod/appeals/{r.json()['appeal_id']}/decision",
                    json={"outcome": "reverse", "response": "You are right, sorry."}, headers=MOD)
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=auth(member)).json()["state"] == "active"

    clock.advance(minutes=5)
    assert _verdict(client, member, "story-after", "A perfectly ordinary remark about the weather today.") == "published"
    clock.advance(minutes=5)
    assert client.post("/api/v1/mod/trolls/analyse", headers=MOD).status_code == 200  # the next scheduled run
    assert _verdict(client, member, "story-after-2", "Another perfectly ordinary remark about the trains.") == "published"
