"""Paid trolls end to end: a campaign posts through the API, clustering flags it, new comments of its
accounts are held, and a moderator's confirmation bans every account in one action."""

from __future__ import annotations

import random

from starlette.testclient import TestClient

from tests.fixtures_app import Clock, auth

MOD = auth("mod", role="moderator")
TALKING_POINTS = [
    "The sanctions are hurting ordinary families far more than they hurt any government official anywhere",
    "Every independent observer on the ground says the ceasefire was broken by the other side first again",
    "Our taxes should be spent on hospitals and schools at home instead of weapons sent to foreign wars",
    "Nobody in the mainstream press will tell you who really profits from this endless conflict overseas",
    "The real story here is the pipeline deal that was signed quietly last spring behind closed doors",
]
ORGANIC = [
    "I read the whole piece and I think the drawdown is more symbolic than real.",
    "Interesting that the strike aircraft went home first; that says something about priorities.",
    "Does anyone know how many personnel remain at the base after this announcement?",
    "The ceasefire exclusions matter more than the headline suggests, in my opinion.",
    "I would like to see a map of where the remaining forces are actually deployed.",
    "This reads like a press release; where is the independent reporting on it?",
    "Good article. The quote from the deputy minister is the key paragraph for me.",
    "I remember similar announcements years ago that turned out very differently.",
]


def test_campaign_is_flagged_held_and_banned_in_one_action(client: TestClient, clock: Clock) -> None:
    rng = random.Random(7)
    trolls = [f"troll{i}" for i in range(6)]
    readers = [f"reader{i}" for i in range(30)]
    for thread in range(8):
        name = f"story-{thread}"
        for r in rng.sample(readers, 10):  # organic readers drift in over hours
            clock.advance(minutes=rng.uniform(5, 40))
            text = f"{rng.choice(ORGANIC)} ({r} on {name})"
            assert client.post(f"/api/v1/threads/{name}/comments", json={"text": text}, headers=auth(r)).status_code == 201
        for i, t in enumerate(trolls):  # the campaign arrives together, pushing the same lines
            clock.advance(seconds=rng.uniform(10, 60))
            point = TALKING_POINTS[(thread + i) % len(TALKING_POINTS)]
            r = client.post(f"/api/v1/threads/{name}/comments", json={"text": point, "device": "troll-farm-laptop"}, headers=auth(t))
            assert r.status_code == 201, r.text

    report = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
    assert report.status_code == 200, report.text
    clusters = report.json()["clusters"]
    assert clusters, "the campaign was not flagged"
    troll_ids = {client.get("/api/v1/me", headers=auth(t)).json()["id"] for t in trolls}
    reader_ids = {client.get("/api/v1/me", headers=auth(r)).json()["id"] for r in readers}
    flags = client.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"]
    coordination = [f for f in flags if f["kind"] == "coordination"]
    flagged = {a for f in coordination for a in f["accounts"]}
    assert flagged <= troll_ids and len(flagged) >= 5
    assert not flagged & reader_ids

    # the default policy holds new comments from a flagged cluster for a moderator
    r = client.post("/api/v1/threads/story-9/comments", json={"text": "Just asking questions."}, headers=auth(trolls[0]))
    assert r.status_code == 201 and r.json()["verdict"] == "held"
    r = client.post("/api/v1/threads/story-9/comments", json={"text": "Just asking questions."}, headers=auth(readers[0]))
    assert r.json()["verdict"] == "published"

    flag_id = coordination[0]["id"]
    r = client.post(f"/api/v1/mod/flags/{flag_id}/decision", json={"outcome": "confirm"}, headers=MOD)
    assert r.status_code == 200 and {int(a) for a in r.json()["actions"]} == set(coordination[0]["accounts"])
    for t in trolls:
        me = client.get("/api/v1/me", headers=auth(t)).json()
        if me["id"] in coordination[0]["accounts"]:
            assert me["state"] == "banned" and me["sanction"]["rule"] == "paid_troll"
    assert client.post(f"/api/v1/mod/flags/{flag_id}/decision", json={"outcome": "confirm"}, headers=MOD).status_code == 409
