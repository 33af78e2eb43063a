"""The running service's index agrees with a batch over the same comments: a reply taken by one process to a
comment another process took still counts toward a reply brigade, and an analysis does not hold up posts
while it computes (it holds the index's lock only to copy the index)."""

from __future__ import annotations

import random
from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, Clock, auth
from tests.trolls_service.test_cluster_ban import ORGANIC, post_campaign
from townhall.trolls import analysis

MOD = auth("mod", role="moderator")
OWN_WORDS = ["Totally wrong, and you know it.", "Where is your evidence for any of this?", "Nobody believes this nonsense.",
             "You clearly did not read the article.", "This is the kind of comment that ruins the section.",
             "Stop spreading this, it has been debunked.", "Embarrassing take, honestly.", "Try reading a book sometime."]


def _post(client: TestClient, thread: str, sub: str, text: str, parent: int | None = None) -> int:
    body: dict[str, Any] = {"text": text}
    if parent is not None:
        body["parent_id"] = parent
    r = client.post(f"/api/v1/threads/{thread}/comments", json=body, headers=auth(sub))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def test_a_reply_brigade_against_comments_another_process_took_is_found(make_app: AppFactory, db_url: str,
                                                                         clock: Clock) -> None:
    """Two Townhalls on one database. The comments under attack are posted through the first; the crew replies
    to each of them at once through the second, which has not read them yet. Its analysis must still see the
    replies as replies (recorded before the comments they answer), and both processes must agree."""
    rng = random.Random(3)
    first, second = make_app(db_url), make_app(db_url)
    crew = [f"crew{i}" for i in range(5)]
    readers = [f"reader{i}" for i in range(30)]
    with TestClient(first, raise_server_exceptions=False) as one, TestClient(second, raise_server_exceptions=False) as two:
        for story in range(10):
            thread = f"story-{story}"
            for sub in rng.sample(readers, 8):
                clock.advance(minutes=rng.uniform(5, 40))
                _post(one, thread, sub, f"{rng.choice(ORGANIC)} ({sub} on {thread})")
            clock.advance(minutes=3)
            target = _post(one, thread, f"writer{story}", f"My view on {thread}: {rng.choice(ORGANIC)}")
            for sub in crew:
                clock.advance(seconds=rng.uniform(20, 90))
                _post(two, thread, sub, f"{rng.choice(OWN_WORDS)} ({sub}, {thread})", parent=target)
        reports = []
        for client, app in ((two, second), (one, first)):
            r = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
            assert r.status_code == 200, r.text
            reports.append(app.services.trolls.index("default").report)
    assert reports[0].stats["pairs_reply_brigade"] >= 10, reports[0].stats  # every pair of the crew, ten times
    assert reports[0].stats == reports[1].stats
    assert {a: r.score for a, r in reports[0].accounts.items()} == {a: r.score for a, r in reports[1].accounts.items()}


def test_posts_go_on_while_an_analysis_computes(client: TestClient, clock: Clock, monkeypatch: Any) -> None:
    """The analysis holds the index's lock while it copies the index, not while it clusters: a post (which
    records its comment in the index, and reads its author's score first) does not wait for it."""
    post_campaign([client], clock)
    watch = client.app.services.trolls  # type: ignore[attr-defined]
    lock_free: list[bool] = []
    build = analysis.build_clusters

    def clustering(*args: Any, **kwargs: Any) -> Any:
        free = watch._lock.acquire(blocking=False)  # noqa: SLF001 - the lock posts wait on
        if free:
            watch._lock.release()  # noqa: SLF001
        lock_free.append(free)
        return build(*args, **kwargs)

    monkeypatch.setattr(analysis, "build_clusters", clustering)
    r = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
    assert r.status_code == 200, r.text
    assert lock_free == [True]
    assert r.json()["clusters"]
