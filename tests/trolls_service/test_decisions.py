"""A moderator's decision on a coordination flag sticks: a dismissed cluster is not flagged again and its
members post freely, a confirmed (banned) cluster is not flagged again, and only materially new evidence (an
account the decision did not cover) opens a new flag. The policy's automatic ban applies to a flag whose
score rises past it; a flag always names accounts; a cluster keeps its flag when a newer account joins it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, Clock, auth
from tests.trolls_service.test_cluster_ban import TALKING_POINTS, post_campaign
from townhall.service.trolls import record_clusters
from townhall.trolls.report import AccountResult, Cluster, ClusterState, Report, Signal

MOD = auth("mod", role="moderator")
SITE = "default"


def open_coordination_flags(client: TestClient) -> list[dict[str, Any]]:
    items = client.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"]
    return [f for f in items if f["kind"] == "coordination"]


def account_id(client: TestClient, sub: str) -> int:
    return int(client.get("/api/v1/me", headers=auth(sub)).json()["id"])


def analyse(client: TestClient) -> dict[str, Any]:
    r = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def decide(client: TestClient, flag_id: int, outcome: str) -> dict[str, Any]:
    r = client.post(f"/api/v1/mod/flags/{flag_id}/decision", json={"outcome": outcome, "reason": "colleagues"}, headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def verdict(client: TestClient, sub: str, thread: str, text: str) -> str:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text}, headers=auth(sub))
    assert r.status_code == 201, r.text
    return str(r.json()["verdict"])


def test_a_dismissed_cluster_stays_dismissed_and_its_members_post_freely(client: TestClient, clock: Clock) -> None:
    trolls, _ = post_campaign([client], clock)
    analyse(client)
    flags = open_coordination_flags(client)
    assert len(flags) == 1
    decide(client, flags[0]["id"], "dismiss")
    clock.advance(minutes=5)
    assert verdict(client, trolls[0], "story-x", "A perfectly ordinary remark about the weather today.") == "published"
    for _ in range(2):  # the schedule runs again and again
        clock.advance(minutes=5)
        analyse(client)
        assert open_coordination_flags(client) == []
        assert verdict(client, trolls[1], "story-y", "Another perfectly ordinary remark about the trains.") == "published"


def test_a_confirmed_cluster_is_not_flagged_again(client: TestClient, clock: Clock) -> None:
    trolls, _ = post_campaign([client], clock)
    analyse(client)
    flags = open_coordination_flags(client)
    decide(client, flags[0]["id"], "confirm")
    for _ in range(2):
        clock.advance(minutes=5)
        analyse(client)
        assert open_coordination_flags(client) == []


def test_a_dismissed_cluster_is_flagged_again_when_an_account_it_did_not_cover_joins(client: TestClient, clock: Clock) -> None:
    trolls, _ = post_campaign([client], clock)
    analyse(client)
    dismissed = open_coordination_flags(client)[0]
    decide(client, dismissed["id"], "dismiss")
    newcomer = "troll-new"
    for thread in range(10, 18):
        for i, t in enumerate(trolls + [newcomer]):
            clock.advance(seconds=30)
            body = {"text": TALKING_POINTS[(thread + i) % len(TALKING_POINTS)], "device": "troll-farm-laptop"}
            r = client.post(f"/api/v1/threads/story-{thread}/comments", json=body, headers=auth(t))
            assert r.status_code == 201, r.text
    analyse(client)
    flags = open_coordination_flags(client)
    assert len(flags) == 1 and flags[0]["id"] != dismissed["id"]
    assert account_id(client, newcomer) in flags[0]["accounts"]


def _report(ids: list[int], score: float, now: datetime, member_score: float | None = None) -> Report:
    names = tuple(str(i) for i in ids)
    each = score if member_score is None else member_score
    cluster = Cluster("c-test", names, score, ClusterState.FLAGGED, {Signal.TEXT_REUSE: 1.0, Signal.DEVICE: 1.0}, (),
                      {n: each for n in names}, 0.8)
    return Report(now, 0.8, (cluster,), {n: AccountResult(n, each, "c-test", each >= 0.8) for n in names})


def _members(client: TestClient, subs: list[str]) -> list[int]:
    for sub in subs:
        assert verdict(client, sub, "s", "hello there everyone") == "published"
    return [account_id(client, sub) for sub in subs]


def test_the_policy_ban_applies_when_an_open_flags_score_rises_past_it(make_app: AppFactory, db_url: str, clock: Clock,
                                                                        tmp_path: Path) -> None:
    from importlib import resources

    policy = resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
    path = tmp_path / "ban_at.policy.toml"
    assert "\nban_at = 0 " in policy
    path.write_text(policy.replace("\nban_at = 0 ", "\nban_at = 0.9 ", 1), encoding="utf-8")
    app = make_app(db_url, policy=str(path))
    with TestClient(app, raise_server_exceptions=False) as client:
        subs = ["t0", "t1", "t2"]
        ids = _members(client, subs)
        record_clusters(app.services, SITE, _report(ids, 0.85, clock()))
        assert [f["score"] for f in open_coordination_flags(client)] == [0.85]
        assert {client.get("/api/v1/me", headers=auth(s)).json()["state"] for s in subs} == {"active"}
        clock.advance(minutes=5)
        record_clusters(app.services, SITE, _report(ids, 0.95, clock()))
        assert open_coordination_flags(client) == []
        assert {client.get("/api/v1/me", headers=auth(s)).json()["state"] for s in subs} == {"banned"}


def test_a_flagged_cluster_with_no_flagged_member_never_reaches_the_queue(app: Any, client: TestClient, clock: Clock) -> None:
    ids = _members(client, [f"side{i}" for i in range(5)])
    assert record_clusters(app.services, SITE, _report(ids, 0.81, clock(), member_score=0.57)) == []
    assert open_coordination_flags(client) == []


def test_a_cluster_keeps_its_flag_when_a_newer_account_joins(client: TestClient, clock: Clock) -> None:
    def post(sub: str, thread: str, device: str | None = None, minutes: float = 30) -> int:
        body = {"text": f"Comment from {sub} on {thread}"}
        if device:
            body["device"] = device
        clock.advance(minutes=minutes)
        r = client.post(f"/api/v1/threads/{thread}/comments", json=body, headers=auth(sub))
        assert r.status_code == 201, r.text
        return account_id(client, sub)

    for i in range(19):
        post(f"early{i}", f"old-{i}")
    # one phone whose operator switches accounts within seconds on each of three stories (readers taking turns on a
    # shared computer, minutes or hours apart, are not flagged on the device alone)
    first = [post(f"troll{i}", f"story-{i // 3}", "farm-phone", minutes=30 if i % 3 == 0 else 0.5) for i in range(9)]
    analyse(client)
    before = open_coordination_flags(client)
    assert len(before) == 1 and set(before[0]["accounts"]) == set(first)
    for i in range(71):
        post(f"reader{i}", f"news-{i}")
    newest = post("troll9", "story-9", "farm-phone")
    assert len(str(newest)) > len(str(min(first)))  # a newer id that sorts first as a string
    analyse(client)
    after = open_coordination_flags(client)
    assert [f["id"] for f in after] == [before[0]["id"]]
    assert set(after[0]["accounts"]) == set(first) | {newest}


def test_analyses_at_the_same_time_open_one_flag_per_cluster(make_app: AppFactory, db_url: str, clock: Clock) -> None:
    """The schedule, a moderator's "analyse now" and other processes may record the same cluster at once: the
    flags are read again inside the exclusive transaction that writes, so one flag is opened, not one each."""
    import threading
    from dataclasses import replace

    app = make_app(db_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        for round_ in range(6):
            ids = _members(client, [f"r{round_}-a", f"r{round_}-b", f"r{round_}-c"])
            report = _report(ids, 0.85, clock())
            report = Report(report.generated_at, report.threshold,
                            tuple(replace(c, id=f"c-round-{round_}") for c in report.clusters), report.accounts)
            start = threading.Barrier(4)

            def record() -> None:
                start.wait(10)
                record_clusters(app.services, "default", report)

            threads = [threading.Thread(target=record) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            named = [f for f in open_coordination_flags(client) if set(f["accounts"]) & set(ids)]
            assert len(named) == 1, named
