"""The first page of a thread as signed-out readers see it is reused for ``page_cache_seconds``: a new
comment may reach it that late, but a removal, an edit or a deletion empties it at once, and signed-in
readers always read afresh. Through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

from starlette.testclient import TestClient

from townhall.service.pages import PageCache

from tests.fixtures_app import AppFactory, auth

THREAD = "cached-article"
URL = f"/api/v1/threads/{THREAD}/comments"
MOD = auth("mod", role="moderator")


def texts(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [c["html"].removeprefix("<p>").removesuffix("</p>") for c in page["comments"]]


def post(client: TestClient, text: str, who: str = "alice") -> int:
    r = client.post(URL, json={"text": text}, headers=auth(who))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def test_new_comments_reach_anonymous_pages_within_the_setting(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=0.5)
    with TestClient(app) as client:
        post(client, "First.")
        assert texts(client.get(URL).json()) == ["First."]
        post(client, "Second.")
        assert texts(client.get(URL).json()) == ["First."]  # the page built a moment ago
        assert texts(client.get(URL, headers=auth("bob")).json()) == ["Second.", "First."]  # signed in: fresh
        assert texts(client.get(URL, params={"sort": "oldest"}).json()) == ["First.", "Second."]  # another page
        time.sleep(0.55)
        assert texts(client.get(URL).json()) == ["Second.", "First."]


def test_removals_edits_and_deletions_empty_the_page_at_once(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app) as client:
        keep, edited, removed, deleted = (post(client, t) for t in ("Keep me.", "Typo hear.", "Remove me.", "Delete me."))
        assert len(client.get(URL).json()["comments"]) == 4

        r = client.post(f"/api/v1/mod/comments/{removed}/decision", json={"action": "reject", "reason": "Off topic"}, headers=MOD)
        assert r.status_code == 200, r.text
        assert "Remove me." not in texts(client.get(URL).json())

        assert client.patch(f"/api/v1/comments/{edited}", json={"text": "Typo here."}, headers=auth("alice")).status_code == 200
        assert "Typo here." in texts(client.get(URL).json())

        assert client.delete(f"/api/v1/comments/{deleted}", headers=auth("alice")).status_code == 204
        assert texts(client.get(URL).json()) == ["Typo here.", "Keep me."]
        assert keep


def test_zero_turns_the_cache_off(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=0)
    with TestClient(app) as client:
        post(client, "First.")
        client.get(URL)
        post(client, "Second.")
        assert texts(client.get(URL).json()) == ["Second.", "First."]
        assert len(app.services.pages) == 0


def test_a_reader_who_knows_of_a_newer_comment_gets_a_page_that_shows_it(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app) as client:
        first = post(client, "First.")
        assert texts(client.get(URL).json()) == ["First."]
        second = post(client, "Second.")  # the live stream tells the widget about it; it asks for the page
        assert texts(client.get(URL, params={"since": first}).json()) == ["First."]  # the cached page will do
        assert texts(client.get(URL, params={"since": second}).json()) == ["Second.", "First."]
        assert texts(client.get(URL).json()) == ["Second.", "First."]  # and that page is kept for everyone
        assert client.get(URL, params={"since": 0}).status_code == 422


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_while_one_reader_rebuilds_a_page_the_others_get_the_one_it_replaces() -> None:
    clock = Ticks()
    cache = PageCache(1.0, clock=clock)
    key = ("site", "article", "newest", 20)
    builds: list[int] = []
    started, release = threading.Event(), threading.Event()

    def build(n: int, wait: bool = False) -> dict:  # type: ignore[type-arg]
        builds.append(n)
        if wait:
            started.set()
            assert release.wait(5)
        return {"comments": [{"id": n, "replies": []}]}

    assert cache.get_or_build(key, lambda: build(1)).newest == 1
    clock.now += 1.5  # expired
    slow = threading.Thread(target=lambda: cache.get_or_build(key, lambda: build(2, wait=True)))
    slow.start()
    assert started.wait(5)
    assert cache.get_or_build(key, lambda: build(3)).newest == 1  # the old page, no second build
    assert cache.get_or_build(key, lambda: build(4), since=2).newest == 4  # unless it must show comment 2
    release.set()
    slow.join(5)
    assert builds == [1, 2, 4]
    clock.now += 2.5  # too old to stand in for anything: built again
    assert cache.get_or_build(key, lambda: build(5)).newest == 5


def test_a_page_built_while_the_thread_changed_is_not_kept() -> None:
    cache = PageCache(60.0, clock=Ticks())
    key = ("site", "article", "newest", 20)

    def build_during_a_removal() -> dict:  # type: ignore[type-arg]
        cache.on_event("site", "article", {"type": "comment.removed", "id": 1})  # lands mid-build
        return {"comments": [{"id": 1, "replies": []}]}

    assert cache.get_or_build(key, build_during_a_removal).newest == 1  # this reader gets what was read
    assert len(cache) == 0  # but it is not kept for the next one
    assert cache.get_or_build(key, lambda: {"comments": []}).newest == 0
    assert len(cache) == 1
