"""A reader's own comment history, ``GET /api/v1/me/comments``, through the HTTP API on SQLite and PostgreSQL:
newest first a page at a time (cursor, limit), every status that still has the reader's words (published, held,
rejected by the house rules, removed by a moderator with the reason) but not those they deleted, the article of
each (title, address, permalink), never another reader's or another site's, guests, a bad cursor (422 naming
``before``), signed out (401)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, Clock, auth
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor

MINE = "/api/v1/me/comments"
DAVE = auth("dave", name="Dave")
MOD = auth("mod", role="moderator")


def post(client: TestClient, thread: str, text: str, headers: dict[str, str] = DAVE, status: int = 201,
         **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **extra}, headers=headers)
    assert r.status_code == status, r.text
    return r.json()["comment"] if status == 201 else r.json()["error"]["details"]  # type: ignore[no-any-return]


def page(client: TestClient, headers: dict[str, str] = DAVE, **params: Any) -> dict[str, Any]:
    r = client.get(MINE, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    return r.json()["error"]  # type: ignore[no-any-return]


def test_statuses_articles_and_privacy(app: Townhall, client: TestClient, clock: Clock) -> None:
    first = post(client, "budget", "The budget is a fair compromise.", url="https://news.example/budget",
                 title="Budget\tpassed")
    clock.advance(minutes=1)
    reply = post(client, "budget", "And a reply of mine.", parent_id=first["id"])
    clock.advance(minutes=1)
    other = post(client, "budget", "Someone else's words.", headers=auth("erin"))
    r = client.patch("/api/v1/mod/threads/sensitive", json={"premoderated": True, "title": "A sensitive story"}, headers=MOD)
    assert r.status_code == 200, r.text
    held = post(client, "sensitive", "Waiting for a moderator.")
    assert held["status"] == "held"
    clock.advance(minutes=1)
    refused = post(client, "budget", "what the fuck", status=422)
    clock.advance(minutes=1)
    removed = post(client, "budget", "A comment the moderators take down.")
    r = client.post(f"/api/v1/mod/comments/{removed['id']}/decision", json={"action": "reject", "reason": "Off topic."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    clock.advance(minutes=1)
    gone = post(client, "budget", "Deleted by me.")
    assert client.delete(f"/api/v1/comments/{gone['id']}", headers=DAVE).status_code in (200, 204)
    clock.advance(minutes=1)
    edited = post(client, "nourl", "Typo here.")
    r = client.patch(f"/api/v1/comments/{edited['id']}", json={"text": "No typo here."}, headers=DAVE)
    assert r.status_code == 200, r.text

    got = page(client)
    assert got["next"] is None
    listed = {c["id"]: c for c in got["comments"]}
    assert [c["id"] for c in got["comments"]] == [edited["id"], removed["id"], refused["comment_id"], held["id"],
                                                  reply["id"], first["id"]]  # newest first; not the deleted one
    assert other["id"] not in listed and gone["id"] not in listed
    assert {i: c["status"] for i, c in listed.items()} == {
        edited["id"]: "published", removed["id"]: "removed", refused["comment_id"]: "rejected", held["id"]: "held",
        reply["id"]: "published", first["id"]: "published"}
    assert listed[removed["id"]]["reason"] == "Off topic."
    assert listed[refused["comment_id"]]["reason"] is None
    c = listed[first["id"]]
    assert c["text"] == "The budget is a fair compromise."
    assert c["html"] == "<p>The budget is a fair compromise.</p>"
    assert c["thread"] == {"id": "budget", "title": "Budget passed", "url": "https://news.example/budget"}
    assert c["permalink"] == f"https://news.example/budget#comment-{first['id']}"
    assert c["parent_id"] is None and listed[reply["id"]]["parent_id"] == first["id"]
    assert c["edited_at"] is None and c["created_at"].endswith("+00:00")
    e = listed[edited["id"]]
    assert e["text"] == "No typo here." and e["edited_at"] is not None
    assert e["thread"] == {"id": "nourl", "title": None, "url": None} and e["permalink"] is None
    assert listed[held["id"]]["thread"]["title"] == "A sensitive story"
    assert listed[held["id"]]["permalink"] is None  # not published: nobody else sees it there

    # Erin sees only hers; a reader with none, an empty list
    assert [c["id"] for c in page(client, auth("erin"))["comments"]] == [other["id"]]
    assert page(client, auth("nobody")) == {"comments": [], "next": None}

    # Another site: Dave's account there is another account, and neither list shows the other's comments.
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    there = auth("dave", secret=secret) | {"X-Townhall-Site": "other"}
    elsewhere = post(client, "budget", "On the other paper.", headers=there)
    assert [c["id"] for c in page(client, there)["comments"]] == [elsewhere["id"]]
    assert elsewhere["id"] not in {c["id"] for c in page(client)["comments"]}


def test_an_address_off_the_sites_origins_is_not_given_out(app: Townhall, client: TestClient) -> None:
    post(client, "a1", "On a page the site no longer names.", url="https://old.example/a1")
    post(client, "a2", "On a path.", url="/news/a2")
    from townhall.store import content

    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=["https://news.example"])
    app.services.forget("site:")
    got = {c["thread"]["id"]: c for c in page(client)["comments"]}
    assert got["a1"]["thread"]["url"] is None and got["a1"]["permalink"] is None
    assert got["a2"]["thread"]["url"] == "/news/a2"
    assert got["a2"]["permalink"] == f"/news/a2#comment-{got['a2']['id']}"


def test_pages(client: TestClient, clock: Clock) -> None:
    ids = []
    for i in range(23):
        ids.append(post(client, f"t{i % 3}", f"Comment number {i}.")["id"])
        if i % 4 == 0:  # some share a time: the id orders them
            clock.advance(seconds=1)
    newest_first = ids[::-1]
    assert [c["id"] for c in page(client)["comments"]] == newest_first[:20]  # 20 by default
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        got = page(client, limit=7, **({"before": cursor} if cursor else {}))
        seen += [c["id"] for c in got["comments"]]
        cursor = got["next"]
        if cursor is None:
            break
    assert seen == newest_first
    # a comment written meanwhile does not shift the pages
    first = page(client, limit=10)
    post(client, "t0", "Written while paging.")
    assert [c["id"] for c in page(client, limit=10, before=first["next"])["comments"]] == newest_first[10:20]
    assert [c["id"] for c in page(client, limit=50)["comments"]][1:] == newest_first
    error(client.get(MINE, params={"limit": 51}, headers=DAVE), 422, "invalid")
    error(client.get(MINE, params={"limit": 0}, headers=DAVE), 422, "invalid")


@pytest.mark.parametrize("cursor", [
    "nonsense", "%%%", base64.urlsafe_b64encode(b"[1, 2]").decode(),
    base64.urlsafe_b64encode(b'["2026-01-01T00:00:00.000000", 99999999999]').decode(),
    base64.urlsafe_b64encode(b'["2026-13-01T00:00:00.000000", 5]').decode(),
    base64.urlsafe_b64encode(b'["0001-01-01T00:00:00.000000", 5]').decode(),
    base64.urlsafe_b64encode(b'["2026-01-01T00:00:00.000000", true]').decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b'{"a": 1}').decode(),
])
def test_a_bad_cursor_is_422_naming_before(client: TestClient, cursor: str) -> None:
    post(client, "t", "Something to page over.")
    err = error(client.get(MINE, params={"before": cursor}, headers=DAVE), 422, "invalid")
    assert err["details"] == {"field": "before"}


def test_signed_out_and_guests(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, allow_guests=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        error(client.get(MINE), 401, "unauthenticated")
        error(client.get(MINE, headers={"Authorization": "Bearer not-a-token"}), 401, "unauthenticated")
        r = client.post("/api/v1/threads/guest-t/comments", json={"text": "A guest's words.", "guest_name": "Visitor"})
        assert r.status_code == 201, r.text
        guest = {"Authorization": f"Bearer {r.json()['guest_token']}"}
        post(client, "guest-t", "Dave's words.")
        got = page(client, guest)
        assert [(c["id"], c["text"], c["status"]) for c in got["comments"]] == [
            (r.json()["comment"]["id"], "A guest's words.", "published")]
        assert got["next"] is None


def test_an_erased_reader_has_none(client: TestClient) -> None:
    post(client, "t", "Soon erased.")
    r = client.delete("/api/v1/me", headers=DAVE)
    assert r.status_code == 200, r.text
    assert page(client) == {"comments": [], "next": None}  # the same token: a new account from now on
