"""Live events for changes that used to send none, through a real server: an erasure, a moderator's removal of
all of a reader's comments (held ones too), a thread closed and opened again, a refused comment mended into a published one;
and none where readers see no change (a moderator approving a comment already published)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_live_audit import Events, Stream, post, subscribed
from tests.fixtures_app import LiveServer, auth
from townhall.app import Townhall

THREAD = "audit-article"  # the thread Stream and post use by default
MOD = auth("mod", role="moderator")
F_WORD = "Honestly, what the fuck is this drawdown?"


def ids_of(events: Events, kind: str) -> list[int]:
    return [int(d["id"]) for k, _, d in events if k == kind]


def account_id(server: LiveServer, who: str) -> int:
    r = httpx.get(f"{server.url}/api/v1/me", headers=auth(who))
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def test_an_erasure_takes_the_readers_published_comments_off_open_pages(app: Townhall, live_server: LiveServer) -> None:
    mine = [post(live_server, f"Alice's comment number {n} on the drawdown.") for n in range(3)]
    other = post(live_server, "Bob stays.", who="bob")
    reply = httpx.post(f"{live_server.url}/api/v1/threads/{THREAD}/comments", json={"text": "Alice replies to Bob.",
                       "parent_id": other}, headers=auth("alice"))
    assert reply.status_code == 201, reply.text
    mine.append(int(reply.json()["comment"]["id"]))
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        r = httpx.delete(f"{live_server.url}/api/v1/me", headers=auth("alice"))
        assert r.status_code == 200 and r.json()["mode"] == "remove", r.text
        # on PostgreSQL the posts' own events may still reach the new stream: wait for the deletions themselves
        got = stream.events(lambda e: len(ids_of(e, "comment.deleted")) >= len(mine))
        assert sorted(ids_of(got, "comment.deleted")) == sorted(mine), got
        assert {d["id"]: d["parent_id"] for k, _, d in got if k == "comment.deleted"}[mine[-1]] == other
        assert all(i is not None for _, i, _ in got)  # replayable after a reconnect, like every event
    finally:
        stream.close()


def test_rejecting_all_of_a_readers_comments_removes_them_live(app: Townhall, live_server: LiveServer) -> None:
    """The published ones leave every reader's page, and a held one its author's page (which shows it to them
    as held), as a moderator's rejection of that one comment would."""
    bobs = [post(live_server, f"Bob's comment {n} about the drawdown.", who="bob") for n in range(2)]
    elsewhere = post(live_server, "Bob elsewhere.", thread="audit-elsewhere", who="bob")
    bob = account_id(live_server, "bob")
    r = httpx.post(f"{live_server.url}/api/v1/mod/accounts/{bob}/sanctions", json={"sanction": "premoderate", "reason": "x"},
                   headers=MOD)
    assert r.status_code == 201, r.text
    held = httpx.post(f"{live_server.url}/api/v1/threads/{THREAD}/comments", json={"text": "Bob, held for review."},
                      headers=auth("bob"))
    assert held.status_code == 201 and held.json()["comment"]["status"] == "held", held.text
    bobs.append(int(held.json()["comment"]["id"]))
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        r = httpx.post(f"{live_server.url}/api/v1/mod/accounts/{bob}/reject-all",
                       json={"reason": "Spam run."}, headers=MOD)
        assert r.status_code == 200 and sorted(r.json()["rejected"]) == sorted([*bobs, elsewhere]), r.text
        got = stream.events(lambda e: len(ids_of(e, "comment.removed")) >= len(bobs))
        assert sorted(ids_of(got, "comment.removed")) == sorted(bobs), got
        marker = post(live_server, "Alice after the sweep.")
        later = stream.events(lambda e: any(d["id"] == marker for _, _, d in e))
        assert [d["id"] for _, _, d in later] == [marker]  # nothing for the other thread's comment
    finally:
        stream.close()


def test_closing_and_opening_a_thread_tells_its_readers_once(app: Townhall, live_server: LiveServer) -> None:
    early = post(live_server, "Before the thread closes.")
    stream = Stream(live_server)

    def state(value: str) -> None:
        r = httpx.put(f"{live_server.url}/api/v1/mod/threads/{THREAD}/state", json={"state": value}, headers=MOD)
        assert r.status_code == 200, r.text

    try:
        subscribed(app, 1)
        state("closed")
        # on PostgreSQL the first post's own event may still reach the new stream: wait for the closing itself
        got = stream.events(lambda e: any(k == "thread.closed" for k, _, _ in e))
        assert [(k, d) for k, _, d in got if (k, d.get("id")) != ("comment.published", early)] == [
            ("thread.closed", {"type": "thread.closed", "closed_reason": "moderator"})]
        state("closed")  # no change: no event
        state("open")
        got = stream.events(lambda e: bool(e))
        assert [k for k, _, _ in got] == ["thread.opened"] and got[0][1] is not None
        state("open")
        marker = post(live_server, "After it opened again.")
        assert [(k, d["id"]) for k, _, d in stream.events(lambda e: bool(e))] == [("comment.published", marker)]
    finally:
        stream.close()


def test_a_refused_comment_mended_into_a_published_one_is_announced_as_new(app: Townhall, live_server: LiveServer) -> None:
    r = httpx.post(f"{live_server.url}/api/v1/threads/{THREAD}/comments", json={"text": F_WORD}, headers=auth("alice"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    cid = int(r.json()["error"]["details"]["comment_id"])
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        mended = httpx.patch(f"{live_server.url}/api/v1/comments/{cid}", json={"text": "Honestly, what is this drawdown?"},
                             headers=auth("alice"))
        assert mended.status_code == 200 and mended.json()["comment"]["status"] == "published", mended.text
        got = stream.events(lambda e: bool(e))
        assert [(k, d["id"]) for k, _, d in got] == [("comment.published", cid)]
        # an edit of a comment readers already see stays an edit
        again = httpx.patch(f"{live_server.url}/api/v1/comments/{cid}", json={"text": "What is this drawdown, really?"},
                            headers=auth("alice"))
        assert again.status_code == 200, again.text
        assert [(k, d["id"]) for k, _, d in stream.events(lambda e: bool(e))] == [("comment.edited", cid)]
    finally:
        stream.close()


def _decide(server: LiveServer, cid: int, action: str, **extra: Any) -> None:
    r = httpx.post(f"{server.url}/api/v1/mod/comments/{cid}/decision", json={"action": action, **extra}, headers=MOD)
    assert r.status_code == 200, r.text


def test_a_decision_that_changes_nothing_sends_nothing(app: Townhall, live_server: LiveServer) -> None:
    shown = post(live_server, "A comment someone reported, which the moderator keeps.")
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        _decide(live_server, shown, "approve")  # already published: readers would see a false "new comment"
        _decide(live_server, shown, "reject", reason="Off topic.")
        got = stream.events(lambda e: bool(e))
        assert [(k, d["id"]) for k, _, d in got] == [("comment.removed", shown)]
        again = httpx.post(f"{live_server.url}/api/v1/mod/comments/{shown}/decision",
                           json={"action": "reject", "reason": "Off topic, really."}, headers=MOD)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"  # rejected already
        _decide(live_server, shown, "approve")  # back: published again, a change readers see
        got = stream.events(lambda e: bool(e))
        assert [(k, d["id"]) for k, _, d in got] == [("comment.published", shown)], got
    finally:
        stream.close()


def test_an_anonymising_erasure_tells_open_pages_the_comments_changed(app: Townhall, live_server: LiveServer) -> None:
    """In "anonymise" mode the text stays under "Former reader": open pages are told each published comment changed
    (``comment.edited``, as for an edit: the widget offers to show them afresh), not that it went; none for a held one."""
    from townhall.service.privacy import set_erasure_mode

    set_erasure_mode(app.services, app.settings.default_site, "anonymise")
    mine = [post(live_server, f"Carol's comment number {n} on the drawdown.", who="carol") for n in range(2)]
    held = httpx.post(f"{live_server.url}/api/v1/threads/{THREAD}/comments", json={"text": F_WORD}, headers=auth("carol"))
    assert held.status_code in (201, 422), held.text  # refused or held: not on readers' pages either way
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        r = httpx.delete(f"{live_server.url}/api/v1/me", headers=auth("carol"))
        assert r.status_code == 200 and r.json()["mode"] == "anonymise", r.text
        got = stream.events(lambda e: len(ids_of(e, "comment.edited")) >= len(mine))
        assert sorted(ids_of(got, "comment.edited")) == sorted(mine) and ids_of(got, "comment.deleted") == [], got
        listed = httpx.get(f"{live_server.url}/api/v1/threads/{THREAD}/comments").json()["comments"]
        assert {c["author"]["name"] for c in listed if c["id"] in mine} == {"Former reader"}, listed
    finally:
        stream.close()
