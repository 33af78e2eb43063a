"""The first page of a thread as signed-out readers see it is reused for ``page_cache_seconds``: a new
comment may reach it that late, but a removal, an edit or a deletion empties it at once, and signed-in
readers always read afresh. Through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

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
