"""``comment.published``: a publisher's webhooks hear of a comment published after it was posted (a moderator's
approval, a mend, …), once, with ``comment.created``'s data. Before, only the reply e-mail heard of it: a newsroom's
feed or search index of new comments missed every comment that went through moderation. Signed deliveries to a real
receiver on loopback (tests/ops/receiver.py), SQLite."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import enforcement, moderation, webhooks
from townhall.service.identity import Actor
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.receiver import Receiver

SECRET = "whsec-published-secret"
MOD = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
DAN = auth("dan", name="Dan")
ALICE = auth("alice", name="Alice")


@pytest.fixture
def app(make_app: Any, sqlite_url: str) -> Townhall:
    app = make_app(sqlite_url, policy=POLICY, webhooks_allow_private=True)  # the receiver is on loopback
    app.services.operations.queue.poll_seconds = 0.05
    return app  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Townhall) -> Any:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _all_sent(app: Townhall, events: list[str]) -> None:
    """The site's delivery log holds one delivery of each of ``events`` (it is written when the event is told, in
    the request or call that tells it: one not there by now never comes); wait until each is delivered."""
    assert sorted(d["event"] for d in webhooks.deliveries(app.services, "default")) == sorted(events)
    deadline = time.time() + 20
    while True:
        log = webhooks.deliveries(app.services, "default")
        if all(d["state"] == "delivered" for d in log):
            return
        assert time.time() < deadline, [(d["event"], d["state"], d["last_error"]) for d in log]
        time.sleep(0.05)


def _held_comment(app: Townhall, client: TestClient, text: str, parent_id: int | None = None) -> dict[str, Any]:
    """A comment by Dan, premoderated by a moderator: held for review."""
    dan = client.get("/api/v1/me", headers=DAN).json()["id"]
    enforcement.moderator_sanction(app.services, MOD, dan, "premoderate", "New here")
    posted = client.post("/api/v1/threads/t1/comments", json={"text": text, "parent_id": parent_id}, headers=DAN)
    assert posted.status_code == 201 and posted.json()["verdict"] == "held", posted.text
    return posted.json()["comment"]  # type: ignore[no-any-return]


def test_a_held_comment_a_moderator_approves_is_sent_once_as_comment_published(app: Townhall, client: TestClient) -> None:
    with Receiver(SECRET) as rx:
        webhooks.add(app.services, "default", rx.url + "/all", secret=SECRET)  # every event
        parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?"}, headers=ALICE)
        assert parent.status_code == 201, parent.text
        held = _held_comment(app, client, "Held, then approved.", parent_id=parent.json()["comment"]["id"])
        moderation.decide_comment(app.services, MOD, held["id"], approve=True)
        # removed and approved again: published once already, so not sent again
        moderation.decide_comment(app.services, MOD, held["id"], approve=False, reason="Checking")
        moderation.decide_comment(app.services, MOD, held["id"], approve=True)
        # Alice's comment, Dan's held one, its first publication (a premoderation is no event; the approval again is none)
        _all_sent(app, ["comment.created", "comment.held", "comment.published"])
        assert rx.bad_signatures == 0  # every delivery signed with the endpoint's secret, checked by the receiver
        events = [(a["event"], a["data"].get("comment", {}).get("id")) for a in rx.acked]
        assert sorted(events) == sorted([("comment.created", parent.json()["comment"]["id"]), ("comment.held", held["id"]),
                                         ("comment.published", held["id"])]), events

    [published] = [a for a in rx.acked if a["event"] == "comment.published"]
    [created] = [a for a in rx.acked if a["event"] == "comment.created"]
    data = published["data"]
    assert published["site"] == "default" and data["thread"] == "t1"
    dan = client.get("/api/v1/me", headers=DAN).json()["id"]
    assert data["account_id"] == dan
    comment = data["comment"]
    assert comment["id"] == held["id"] and comment["parent_id"] == parent.json()["comment"]["id"]
    assert comment["status"] == "published" and comment["verdict"] == "published" and comment["hits"] == []
    assert comment["text"] == "Held, then approved." and "Held, then approved." in comment["html"]
    assert comment["author"]["name"] == "Dan" and comment["author"]["id"] == dan
    # what comment.created carries, key for key: a receiver treats both alike
    assert set(data) == set(created["data"]) and set(comment) == set(created["data"]["comment"])


def test_a_comment_published_when_posted_is_only_comment_created(app: Townhall, client: TestClient) -> None:
    """Published when it was posted, then removed and approved again: its ``comment.created`` told it, once. The
    held comment approved beside it is the one ``comment.published``."""
    with Receiver(SECRET) as rx:
        webhooks.add(app.services, "default", rx.url + "/all", secret=SECRET)
        posted = client.post("/api/v1/threads/t1/comments", json={"text": "Published at once."}, headers=ALICE)
        assert posted.status_code == 201 and posted.json()["verdict"] == "published", posted.text
        at_once = posted.json()["comment"]["id"]
        moderation.decide_comment(app.services, MOD, at_once, approve=False, reason="Checking")
        moderation.decide_comment(app.services, MOD, at_once, approve=True)
        held = _held_comment(app, client, "Held first.")
        moderation.decide_comment(app.services, MOD, held["id"], approve=True)
        _all_sent(app, ["comment.created", "comment.held", "comment.published"])
    told = {(a["event"], a["data"].get("comment", {}).get("id")) for a in rx.acked}
    assert ("comment.created", at_once) in told and ("comment.published", at_once) not in told
    assert [a["data"]["comment"]["id"] for a in rx.acked if a["event"] == "comment.published"] == [held["id"]]


def test_only_the_endpoints_that_subscribe_to_comment_published_get_it(app: Townhall, client: TestClient) -> None:
    with Receiver(SECRET) as rx:
        webhooks.add(app.services, "default", rx.url + "/others", secret=SECRET, events=["comment.created", "comment.held"])
        webhooks.add(app.services, "default", rx.url + "/opted", secret=SECRET, events=["comment.published"])
        held = _held_comment(app, client, "Held, then approved.")
        moderation.decide_comment(app.services, MOD, held["id"], approve=True)
        _all_sent(app, ["comment.held", "comment.published"])  # /others: comment.held; /opted: comment.published
    assert rx.bad_signatures == 0
    by_path = {(a["path"], a["event"], a["data"]["comment"]["id"]) for a in rx.acked}
    assert by_path == {("/others", "comment.held", held["id"]), ("/opted", "comment.published", held["id"])}


def test_a_refused_comment_mended_into_publication_is_comment_published(app: Townhall, client: TestClient) -> None:
    with Receiver(SECRET) as rx:
        webhooks.add(app.services, "default", rx.url + "/feed", secret=SECRET,
                     events=["comment.created", "comment.published"])
        refused = client.post("/api/v1/threads/t1/comments", json={"text": "What the fuck."}, headers=ALICE)
        assert refused.status_code == 422, refused.text
        cid = refused.json()["error"]["details"]["comment_id"]
        mended = client.patch(f"/api/v1/comments/{cid}", json={"text": "What on earth."}, headers=ALICE)
        assert mended.status_code == 200 and mended.json()["verdict"] == "published", mended.text
        _all_sent(app, ["comment.published"])  # the refusal (comment.rejected) is not subscribed to
    [published] = rx.acked
    assert published["event"] == "comment.published" and published["data"]["comment"]["id"] == cid
    assert published["data"]["comment"]["text"] == "What on earth." and "fuck" not in published["data"]["comment"]["html"]
