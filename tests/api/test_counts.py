"""Comment counts for listing pages (``GET /api/v1/counts``, what count.js asks), through the HTTP API on SQLite
and PostgreSQL: each thread counts what its listing counts for signed-out readers (published comments, replies
included; held, rejected and deleted ones not), unknown threads count 0 and are not created, at most 50 threads
a request, one site at a time, one query for all threads, and the page cache and headers of the thread listing."""

from __future__ import annotations

import time
from typing import Any, Iterator

import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

COUNTS = "/api/v1/counts"
MOD = auth("mod", role="moderator")
F_WORD = "Honestly, what the fuck is this drawdown?"


def comments_url(thread: str) -> str:
    return f"/api/v1/threads/{thread}/comments"


def post(client: TestClient, thread: str, text: str, who: str = "alice", parent_id: int | None = None,
         status: str = "published", **params: str) -> int:
    r = client.post(comments_url(thread), json={"text": text, "parent_id": parent_id}, headers=auth(who), params=params)
    assert r.status_code == 201 and r.json()["comment"]["status"] == status, r.text
    return int(r.json()["comment"]["id"])


def counts(client: TestClient, *threads: str, **params: str) -> dict[str, int]:
    r = client.get(COUNTS, params={"thread": list(threads), **params})
    assert r.status_code == 200, r.text
    return r.json()["counts"]  # type: ignore[no-any-return]


def sanction(client: TestClient, who: str, kind: str) -> None:
    account = client.get("/api/v1/me", headers=auth(who)).json()["id"]
    r = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": kind, "reason": "Checking"}, headers=MOD)
    assert r.status_code in (200, 201), r.text


def listing(client: TestClient, thread: str) -> dict[str, Any]:
    """The thread as a signed-out reader's widget lists it (every top-level comment on one page)."""
    r = client.get(comments_url(thread), params={"limit": 100})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def shown(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from shown(item["replies"])


def test_counts_are_what_the_listing_shows(make_app: AppFactory, db_url: str) -> None:
    """Published comments and replies at any depth count; a deleted comment and one a moderator removed do not,
    though their tombstones stay listed to hold their replies; a held comment and one the house rules refused
    do not either. The count is the listing's own ``thread.count`` and the published comments it lists."""
    app = make_app(db_url, page_cache_seconds=0)
    with TestClient(app) as client:
        a, b, quiet = "article-a", "article-b", "article-quiet"
        root = post(client, a, "The first comment.")
        reply = post(client, a, "A reply.", who="bob", parent_id=root)
        post(client, a, "A reply to the reply.", who="carol", parent_id=reply)
        deleted = post(client, a, "I will delete this one.", who="dan")
        post(client, a, "An answer that keeps the deleted comment's place.", who="eve", parent_id=deleted)
        removed = post(client, a, "A moderator will remove this one.", who="fay")
        post(client, a, "An answer that keeps the removed comment's place.", who="gus", parent_id=removed)
        lone = post(client, a, "Deleted, with nothing under it.", who="hal")
        assert client.delete(f"/api/v1/comments/{deleted}", headers=auth("dan")).status_code == 204
        assert client.delete(f"/api/v1/comments/{lone}", headers=auth("hal")).status_code == 204
        r = client.post(f"/api/v1/mod/comments/{removed}/decision", json={"action": "reject", "reason": "Off topic"}, headers=MOD)
        assert r.status_code == 200, r.text
        r = client.post(comments_url(a), json={"text": F_WORD}, headers=auth("ivy"))
        assert r.status_code == 422, r.text  # refused by the house rules: stored as rejected, never listed
        sanction(client, "jon", "premoderate")
        post(client, a, "Held for review.", who="jon", status="held")
        post(client, a, "A held reply.", who="jon", parent_id=root, status="held")
        post(client, b, "The only comment on B.")
        post(client, quiet, "Soon gone.", who="kim")
        gone = listing(client, quiet)["comments"][0]["id"]
        assert client.delete(f"/api/v1/comments/{gone}", headers=auth("kim")).status_code == 204

        got = counts(client, a, b, quiet)
        assert got == {a: 5, b: 1, quiet: 0}
        for thread in (a, b, quiet):
            page = listing(client, thread)
            assert got[thread] == page["thread"]["count"]
            assert got[thread] == sum(1 for c in shown(page["comments"]) if c["status"] == "published")
        statuses = sorted(c["status"] for c in shown(listing(client, a)["comments"]))
        assert statuses == ["deleted", "published", "published", "published", "published", "published", "rejected"]

        # a signed-in reader's token changes nothing: the counts are the signed-out reader's, also for the author
        # of the held comments (the listing shows them to him)
        r = client.get(COUNTS, params={"thread": [a]}, headers=auth("jon"))
        assert r.json() == {"counts": {a: 5}}


def test_a_reply_under_a_comment_held_again_counts_as_the_listing_counts_it(client: TestClient) -> None:
    """A comment held again after an edit hides its published replies from other readers; neither the listing's
    count nor the counts count them (what a signed-out reader sees), so that the front page and the widget agree."""
    thread = "held-again"
    root = post(client, thread, "A comment.", who="ann")
    middle = post(client, thread, "A reply.", who="ben", parent_id=root)
    post(client, thread, "A reply to the reply.", who="cat", parent_id=middle)
    sanction(client, "ben", "premoderate")
    r = client.patch(f"/api/v1/comments/{middle}", json={"text": "A reply, edited."}, headers=auth("ben"))
    assert r.status_code == 200 and r.json()["comment"]["status"] == "held", r.text
    page = client.get(comments_url(thread), headers=auth("observer")).json()  # fresh, as a reader who never posted
    assert [c["status"] for c in shown(page["comments"])] == ["published"]
    assert counts(client, thread) == {thread: page["thread"]["count"]} == {thread: 1}


def test_replies_at_any_depth_under_a_held_comment_are_not_counted(client: TestClient) -> None:
    """Held again at depth 1 with published replies at depths 2 and 3 under it, beside a published sibling; a
    top-level comment held again with a published reply; a held comment under a held one: the listing's count and
    the counts are the published comments a signed-out reader is shown (audit of the new features)."""
    deep, top = "held-deep", "held-top"
    root = post(client, deep, "A comment.", who="ann")
    middle = post(client, deep, "A reply.", who="ben", parent_id=root)
    second = post(client, deep, "A reply to the reply.", who="cat", parent_id=middle)
    third = post(client, deep, "A reply to that.", who="dan", parent_id=second)
    post(client, deep, "Another reply.", who="eve", parent_id=root)
    post(client, deep, "Under the third.", who="fay", parent_id=third)
    opener = post(client, top, "Opens.", who="ben")
    post(client, top, "Answers.", who="cat", parent_id=opener)
    sanction(client, "ben", "premoderate")
    sanction(client, "dan", "premoderate")
    for comment, thread in ((middle, deep), (opener, top)):
        r = client.patch(f"/api/v1/comments/{comment}", json={"text": "Edited, held again."}, headers=auth("ben"))
        assert r.status_code == 200 and r.json()["comment"]["status"] == "held", r.text
    r = client.patch(f"/api/v1/comments/{third}", json={"text": "Edited too."}, headers=auth("dan"))
    assert r.status_code == 200 and r.json()["comment"]["status"] == "held", r.text
    for thread, expected in ((deep, 2), (top, 0)):
        page = listing(client, thread)
        assert sum(1 for c in shown(page["comments"]) if c["status"] == "published") == expected
        assert page["thread"]["count"] == expected
    assert counts(client, deep, top) == {deep: 2, top: 0}


def test_unknown_threads_count_zero_and_are_not_created(app: Townhall, client: TestClient) -> None:
    post(client, "known", "Hello.")
    r = client.get(COUNTS, params={"thread": ["never-commented", "known", "never-commented", "known"]})
    assert r.status_code == 200 and r.json() == {"counts": {"never-commented": 0, "known": 1}}, r.text
    assert list(r.json()["counts"]) == ["never-commented", "known"]  # each once, in the order first asked
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "default", "never-commented") is None
        assert [t["external_id"] for t in content.list_threads(conn, "default")] == ["known"]
    odd = "ünïcode / with spaces?&=#"
    assert counts(client, odd) == {odd: 0}
    r = client.get(COUNTS, params={"thread": "x", "site": "nowhere"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text


def test_more_than_fifty_threads_or_bad_ids_are_refused_in_the_envelope(client: TestClient) -> None:
    fifty = [f"article-{n}" for n in range(50)]
    assert counts(client, *fifty) == {t: 0 for t in fifty}
    for threads in ([*fifty, "article-50"], [*fifty, "article-0"], []):  # 51 (one named twice: still 51), none
        r = client.get(COUNTS, params={"thread": threads})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid" and any("thread" in d["loc"] for d in error["details"]), error
    for bad in ("", "x" * 301, "tab\there", "nul\x00"):
        r = client.get(COUNTS, params={"thread": ["fine", bad]})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (bad, r.text)
        details = r.json()["error"]["details"]
        assert details == {"field": "thread"} or any("thread" in d["loc"] for d in details), details
    assert counts(client, "x" * 300) == {"x" * 300: 0}


def test_another_sites_threads_are_not_counted(app: Townhall, client: TestClient) -> None:
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    post(client, "shared-slug", "On the default site.")
    for who in ("olga", "omar"):
        r = client.post(comments_url("shared-slug"), json={"text": "On the other site."}, params={"site": "other"},
                        headers=auth(who, secret=secret))
        assert r.status_code == 201, r.text
    post(client, "default-only", "Only here.")
    assert counts(client, "shared-slug", "default-only") == {"shared-slug": 1, "default-only": 1}
    assert counts(client, "shared-slug", "default-only", site="other") == {"shared-slug": 2, "default-only": 0}
    r = client.get(COUNTS, params={"thread": "shared-slug"}, headers={"X-Townhall-Site": "other"})
    assert r.json() == {"counts": {"shared-slug": 2}}


def test_one_query_counts_every_thread(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=0)
    with TestClient(app) as client:
        threads = [f"story-{n}" for n in range(50)]
        for n, thread in enumerate(threads[:5]):
            for k in range(n):
                post(client, thread, f"Comment {k}.", who=f"reader{k}")
        statements: list[str] = []

        def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        engine = app.services.db.read_engine
        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            got = counts(client, *threads)
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        assert got == {t: (n if n < 5 else 0) for n, t in enumerate(threads)}
        on_comments = [s for s in statements if "comments" in s]
        assert len(on_comments) == 1, statements
        assert len(statements) <= 3, statements  # the site, the counts (and SQLite's connection set-up)


def test_counts_are_cached_as_the_listing_is_and_answer_with_its_headers(make_app: AppFactory, db_url: str) -> None:
    """From the page cache beside the thread's pages: a new comment reaches the counts within page_cache_seconds,
    a deletion or a removal at once. The same cache headers as the thread listing's (the page cache is
    server-side; nothing tells a browser or proxy to keep the answer longer), and no cookie."""
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app) as client:
        first = post(client, "cached", "First.")
        assert counts(client, "cached", "other") == {"cached": 1, "other": 0}
        second = post(client, "cached", "Second.", who="bob")
        post(client, "cached", "Third.", who="carol")
        post(client, "other", "Elsewhere.")
        # as the listing: a new one comes late; a thread that did not exist when first asked for was not kept
        assert counts(client, "cached", "other") == {"cached": 1, "other": 1}
        assert counts(client, "other", "fresh-one") == {"other": 1, "fresh-one": 0}
        post(client, "other", "Elsewhere again.", who="bob")  # "other" is kept now: its count stays 1 for a while
        assert client.delete(f"/api/v1/comments/{first}", headers=auth("alice")).status_code == 204
        assert counts(client, "cached", "other") == {"cached": 2, "other": 1}  # the deletion dropped its entry only
        r = client.post(f"/api/v1/mod/comments/{second}/decision", json={"action": "reject", "reason": "Off topic"}, headers=MOD)
        assert r.status_code == 200, r.text
        assert counts(client, "cached", "other") == {"cached": 1, "other": 1}

        r = client.get(COUNTS, params={"thread": "cached"})
        page = client.get(comments_url("cached"))
        assert r.headers["content-type"] == "application/json"
        assert r.headers.get("cache-control") == page.headers.get("cache-control")
        assert "set-cookie" not in r.headers

    app = make_app(db_url, page_cache_seconds=0.3)
    with TestClient(app) as client:
        assert counts(client, "cached") == {"cached": 1}
        post(client, "cached", "Fourth.")
        assert counts(client, "cached") == {"cached": 1}
        time.sleep(0.35)
        assert counts(client, "cached") == {"cached": 2}

    app = make_app(db_url, page_cache_seconds=0)
    with TestClient(app) as client:
        assert counts(client, "cached") == {"cached": 2}
        post(client, "cached", "Fifth.")
        assert counts(client, "cached") == {"cached": 3}
        assert len(app.services.pages) == 0


def test_a_publishers_front_page_may_ask_across_origins(app: Townhall, client: TestClient) -> None:
    """count.js asks from the publisher's pages with a plain GET (no credentials, no custom header: no preflight);
    CORS lets the page read the answer, also where the site names its pages' origins (reads are never refused)."""
    post(client, "front", "Hello.")
    page = "https://news.example"
    r = client.get(COUNTS, params={"thread": "front"}, headers={"Origin": page})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*", r.headers
    assert "access-control-allow-credentials" not in r.headers
    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=[page])
    app.services.forget_site("default")
    r = client.get(COUNTS, params={"thread": "front"}, headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*", r.headers
    assert r.json() == {"counts": {"front": 1}}


def test_made_up_threads_are_answered_without_filling_the_page_cache(make_app: AppFactory, db_url: str) -> None:
    """A thread that does not exist is counted 0 and not kept: 50 made-up ids a request must not push 50 real
    pages out of the shared cache (a real thread's count is kept as before)."""
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app, raise_server_exceptions=False) as client:
        post(client, "real", "First.")
        assert counts(client, "real") == {"real": 1}
        kept = len(app.services.pages)
        made_up = [f"nope-{i}" for i in range(50)]
        r = client.get(COUNTS, params={"thread": made_up})
        assert r.status_code == 200 and set(r.json()["counts"].values()) == {0}, r.text
        assert len(app.services.pages) == kept
        post(client, "nope-1", "Now it exists.")
        assert counts(client, "nope-1", "real") == {"nope-1": 1, "real": 1}  # at once: nothing stale was kept
