"""Paid trolls end to end: a campaign posts through the API, clustering flags it, new comments of its
accounts are held, and a moderator's confirmation bans every account in one action."""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Sequence

from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, Clock, auth

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


def post_campaign(clients: Sequence[TestClient], clock: Clock) -> tuple[list[str], list[str]]:
    """Eight articles: organic readers drift in over hours, then six accounts arrive together pushing the
    same lines from one device. The n-th post goes through ``clients[n % len(clients)]``."""
    rng = random.Random(7)
    trolls = [f"troll{i}" for i in range(6)]
    readers = [f"reader{i}" for i in range(30)]
    posts = itertools.count()

    def post(name: str, body: dict[str, str], sub: str) -> None:
        client = clients[next(posts) % len(clients)]
        r = client.post(f"/api/v1/threads/{name}/comments", json=body, headers=auth(sub))
        assert r.status_code == 201, r.text

    for thread in range(8):
        name = f"story-{thread}"
        for r in rng.sample(readers, 10):
            clock.advance(minutes=rng.uniform(5, 40))
            post(name, {"text": f"{rng.choice(ORGANIC)} ({r} on {name})"}, r)
        for i, t in enumerate(trolls):
            clock.advance(seconds=rng.uniform(10, 60))
            post(name, {"text": TALKING_POINTS[(thread + i) % len(TALKING_POINTS)], "device": "troll-farm-laptop"}, t)
    return trolls, readers


def test_campaign_is_flagged_held_and_banned_in_one_action(client: TestClient, clock: Clock) -> None:
    trolls, readers = post_campaign([client], clock)
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


def test_a_campaign_split_between_two_processes_is_found_by_each(make_app: AppFactory, db_url: str, clock: Clock) -> None:
    """Two Townhalls on one database, as several workers behind a balancer: each took half the campaign,
    and each clusters all of it, because an analysis first reads what the other processes stored."""
    first, second = make_app(db_url), make_app(db_url)
    with TestClient(first, raise_server_exceptions=False) as one, TestClient(second, raise_server_exceptions=False) as two:
        trolls, _ = post_campaign([one, two], clock)
        troll_ids = {one.get("/api/v1/me", headers=auth(t)).json()["id"] for t in trolls}
        for client in (one, two):
            report = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
            assert report.status_code == 200, report.text
            assert report.json()["clusters"], "the campaign was not found"
        flags = [f for f in two.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"] if f["kind"] == "coordination"]
        flagged = {a for f in flags for a in f["accounts"]}
        assert flagged <= troll_ids and len(flagged) >= 5


def test_likes_and_reports_taken_by_one_process_are_counted_once_by_each(make_app: AppFactory, db_url: str,
                                                                          clock: Clock) -> None:
    """Reactions count toward brigades: a process's analysis reads the likes and reports the others took, and
    one it took itself and also reads back from the database is counted once."""
    first, second = make_app(db_url), make_app(db_url)
    with TestClient(first, raise_server_exceptions=False) as one, TestClient(second, raise_server_exceptions=False) as two:
        ids = []
        for i in range(3):
            r = one.post("/api/v1/threads/story-r/comments", json={"text": f"A view worth discussing, number {i}."},
                         headers=auth(f"writer{i}"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["comment"]["id"])
        clock.advance(minutes=1)
        for fan in ("fan0", "fan1"):
            for cid in ids:
                r = one.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth(fan))
                assert r.status_code == 200, r.text
        r = one.post(f"/api/v1/comments/{ids[0]}/reports", json={"reason": "spam"}, headers=auth("fan0"))
        assert r.status_code == 201, r.text
        for client in (one, two, one):  # the first process analyses twice: its catch-up must not double them
            report = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
            assert report.status_code == 200, report.text
            assert report.json()["stats"]["reactions"] == 7, report.json()["stats"]


def test_a_restarted_townhall_reads_its_index_back_in_the_background(make_app: AppFactory, db_url: str,
                                                                      clock: Clock) -> None:
    """After a restart the coordination index is read back from the database by a background thread, so the
    server answers at once. A post goes through while that read is held up — including the ban-evasion
    check, which compares the writing of new accounts with banned ones inside the post's transaction — and
    the first analysis waits for the read and counts every comment once."""
    before = make_app(db_url)
    with TestClient(before, raise_server_exceptions=False) as client:
        post_campaign([client], clock)
        assert client.post("/api/v1/mod/trolls/analyse", headers=MOD).json()["clusters"]
        flag = next(f for f in client.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"]
                    if f["kind"] == "coordination")
        r = client.post(f"/api/v1/mod/flags/{flag['id']}/decision", json={"outcome": "confirm"}, headers=MOD)
        assert r.status_code == 200, r.text  # the site now has banned accounts: posts run the evasion check
    before.close()

    after = make_app(db_url)
    watch = after.services.trolls
    assert watch is not None
    with ExitStack() as stack, ThreadPoolExecutor(1) as pool:
        with watch._sync_lock:  # the read-back the server starts cannot finish while the test holds this
            client = stack.enter_context(TestClient(after, raise_server_exceptions=False))  # starts the server
            pending = pool.submit(client.post, "/api/v1/threads/story-after/comments",
                                  json={"text": TALKING_POINTS[0]}, headers=auth("newcomer"))
            try:
                r = pending.result(timeout=30)
            except TimeoutError:
                raise AssertionError("a post waited for the index to be read back") from None
        assert r.status_code == 201, r.text
        report = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
        assert report.status_code == 200, report.text
        assert report.json()["stats"]["comments"] == 8 * 16 + 1, report.json()["stats"]  # each comment once


def test_a_server_stopped_and_started_again_still_reads_and_analyses(make_app: AppFactory, db_url: str) -> None:
    """Stopping abandons the background read; starting again (a second lifespan of the same app) must not
    leave the watcher stopped: the analysis reads and counts the comment."""
    app = make_app(db_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/threads/story-s/comments", json={"text": "Before the stop."}, headers=auth("reader0"))
        assert r.status_code == 201, r.text
    with TestClient(app, raise_server_exceptions=False) as client:
        report = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
        assert report.status_code == 200, report.text
        assert report.json()["stats"]["comments"] == 1
