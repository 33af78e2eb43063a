"""Featured comments (moderators' picks) through the HTTP API, on SQLite and PostgreSQL: featuring and
unfeaturing (idempotent, audited), who may, which comments may be featured, the ``featured`` flag in every
list, the thread's featured list (order, limit, what drops out of it) and the page cache of signed-out readers."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.test_live_audit import relay_settled
from tests.fixtures_app import AppFactory, Clock, auth
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content, moderation

THREAD = "featured-article"
COMMENTS = f"/api/v1/threads/{THREAD}/comments"
FEATURED = f"/api/v1/threads/{THREAD}/featured"
MOD = auth("mod", role="moderator")
F_WORD = "Honestly, what the fuck is this drawdown?"


def post(client: TestClient, text: str, who: str = "alice", thread: str = THREAD, **body: Any) -> int:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **body}, headers=auth(who))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def feature(client: TestClient, cid: int, on: bool = True, headers: dict[str, str] = MOD, **params: str) -> Any:
    return client.put(f"/api/v1/mod/comments/{cid}/featured", json={"featured": on}, headers=headers, params=params)


def featured_ids(client: TestClient, **params: Any) -> list[int]:
    r = client.get(FEATURED, params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"]]


def audited(app: Townhall, action: str, cid: int) -> list[Any]:
    with app.services.db.read() as conn:
        return list(moderation.audit_entries(conn, action=action, subject_id=str(cid)))


def test_feature_and_unfeature_are_idempotent_and_audited_once(app: Townhall, client: TestClient) -> None:
    cid = post(client, "A careful reading of the drawdown figures.")
    other = post(client, "Another view.", who="bob")
    for _ in range(2):  # the second changes nothing
        r = feature(client, cid)
        assert r.status_code == 200 and r.json() == {"comment_id": cid, "featured": True}, r.text
    listing = {c["id"]: c["featured"] for c in client.get(COMMENTS, headers=auth("carol")).json()["comments"]}
    assert listing == {cid: True, other: False}
    assert featured_ids(client) == [cid]
    entries = audited(app, "comment.featured", cid)
    assert [(e["actor"], e["actor_kind"], e["site_id"]) for e in entries] == [("sso:default:mod", "moderator", "default")]
    assert entries[0]["details"]["thread"] == THREAD
    with app.services.db.read() as conn:
        row = content.get_comment(conn, cid)
        assert row["featured_at"] is not None and row["featured_by"] == "sso:default:mod"

    for _ in range(2):
        r = feature(client, cid, False)
        assert r.status_code == 200 and r.json() == {"comment_id": cid, "featured": False}, r.text
    assert featured_ids(client) == []
    assert all(c["featured"] is False for c in client.get(COMMENTS).json()["comments"])
    assert len(audited(app, "comment.unfeatured", cid)) == 1 and len(audited(app, "comment.featured", cid)) == 1
    with app.services.db.read() as conn:
        row = content.get_comment(conn, cid)
        assert row["featured_at"] is None and row["featured_by"] is None
    assert feature(client, other, False).status_code == 200  # unfeaturing what never was: nothing happens
    assert audited(app, "comment.unfeatured", other) == []


def test_who_may_feature(app: Townhall, client: TestClient) -> None:
    cid = post(client, "Worth featuring.")
    r = feature(client, cid, headers=auth("bob"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert feature(client, cid, headers={}).status_code == 401
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    r = feature(client, cid, headers=auth("boss", role="moderator", secret=secret), site="other")
    assert r.status_code == 403 and r.json()["error"]["message"] == "You do not moderate this site.", r.text
    assert featured_ids(client) == [] and audited(app, "comment.featured", cid) == []
    assert feature(client, cid, headers=auth("chief", role="admin")).status_code == 200


def test_unknown_comments_and_bad_bodies_are_clear_errors(client: TestClient) -> None:
    cid = post(client, "Something.")
    r = feature(client, 999_999)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    for body in ({"featured": "yes"}, {"featured": 1}, {}, {"featured": True, "why": "good"}):
        r = client.put(f"/api/v1/mod/comments/{cid}/featured", json=body, headers=MOD)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (body, r.text)
    assert client.put("/api/v1/mod/comments/0/featured", json={"featured": True}, headers=MOD).status_code == 422
    assert client.put(f"/api/v1/mod/comments/{2**31}/featured", json={"featured": True}, headers=MOD).status_code == 422


def test_only_published_comments_can_be_featured(app: Townhall, client: TestClient) -> None:
    r = client.post(COMMENTS, json={"text": F_WORD}, headers=auth("alice"))
    assert r.status_code == 422, r.text
    refused = int(r.json()["error"]["details"]["comment_id"])
    deleted = post(client, "I will delete this.")
    assert client.delete(f"/api/v1/comments/{deleted}", headers=auth("alice")).status_code == 204
    for cid, status in ((refused, "rejected"), (deleted, "deleted")):
        r = feature(client, cid)
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "not_published" and r.json()["error"]["details"] == {"status": status}
        assert feature(client, cid, False).status_code == 200  # unfeaturing is always allowed
    assert audited(app, "comment.featured", refused) == []


def test_the_featured_list_most_recent_first_within_its_limit(client: TestClient, clock: Clock) -> None:
    ids = [post(client, f"Comment {n} on the drawdown.", who=f"u{n}") for n in range(4)]
    reply = post(client, "A reply worth featuring.", who="r", parent_id=ids[0])
    for cid in (ids[2], reply, ids[0], ids[3]):
        clock.advance(seconds=5)
        assert feature(client, cid).status_code == 200
    assert featured_ids(client) == [ids[3], ids[0], reply, ids[2]]
    assert featured_ids(client, limit=2) == [ids[3], ids[0]]
    assert len(featured_ids(client, limit=50)) == 4
    for bad in (0, 51, -1, "ten"):
        r = client.get(FEATURED, params={"limit": bad})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", r.text
    # flat: the reply is listed like the top-level comments, each as the thread lists it
    page = {c["id"]: c for c in client.get(COMMENTS).json()["comments"]}
    listed = {c["id"]: c for c in client.get(FEATURED).json()["comments"]}
    assert listed[reply]["parent_id"] == ids[0] and listed[reply]["replies"] == []
    root = page[ids[3]]
    assert {k: v for k, v in root.items() if k not in ("replies", "more_replies")} == \
           {k: v for k, v in listed[ids[3]].items() if k != "replies"}
    assert listed[ids[3]]["featured"] is True and listed[ids[3]]["author"]["name"] == "U3"


def test_the_featured_list_for_unknown_sites_threads_and_signed_in_readers(client: TestClient) -> None:
    assert client.get("/api/v1/threads/never-commented/featured").json() == {"comments": []}
    r = client.get(FEATURED, params={"site": "nowhere"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    r = client.get("/api/v1/threads/" + "x" * 301 + "/featured")
    assert r.status_code == 422, r.text
    cid = post(client, "Bob will like this.")
    assert client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth("bob")).status_code == 200
    assert feature(client, cid).status_code == 200
    mine = client.get(FEATURED, headers=auth("alice")).json()["comments"][0]
    assert mine["own"] is True and mine["text"] == "Bob will like this."
    bobs = client.get(FEATURED, headers=auth("bob")).json()["comments"][0]
    assert bobs["own"] is False and bobs["my_reaction"] == "like" and bobs["reactions"] == 1
    anonymous = client.get(FEATURED).json()["comments"][0]
    assert "text" not in anonymous and "my_reaction" not in anonymous


def test_rejected_or_deleted_featured_comments_drop_out(client: TestClient) -> None:
    removed, deleted, kept = (post(client, t) for t in ("To be removed.", "To be deleted.", "To be kept."))
    reply = post(client, "A reply keeps the deleted comment's place.", who="bob", parent_id=deleted)
    for cid in (removed, deleted, kept):
        assert feature(client, cid).status_code == 200
    r = client.post(f"/api/v1/mod/comments/{removed}/decision", json={"action": "reject", "reason": "Off topic"}, headers=MOD)
    assert r.status_code == 200, r.text
    assert client.delete(f"/api/v1/comments/{deleted}", headers=auth("alice")).status_code == 204
    assert featured_ids(client) == [kept]
    page = {c["id"]: c for c in client.get(COMMENTS).json()["comments"]}
    assert page[deleted]["status"] == "deleted" and page[deleted]["featured"] is False  # a tombstone is never featured
    assert [c["id"] for c in page[deleted]["replies"]] == [reply]
    assert removed not in page and page[kept]["featured"] is True
    # published again by a moderator, it is featured again (unfeaturing it is the moderator's call); signed-out
    # readers' cached list gets it as late as a new comment, within page_cache_seconds
    r = client.post(f"/api/v1/mod/comments/{removed}/decision", json={"action": "approve"}, headers=MOD)
    assert r.status_code == 200, r.text
    assert {c["id"] for c in client.get(FEATURED, headers=auth("carol")).json()["comments"]} == {kept, removed}


def test_featuring_changes_signed_out_readers_cached_page_at_once(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app) as client:
        cid = post(client, "Cached, then featured.")
        assert client.get(COMMENTS).json()["comments"][0]["featured"] is False  # now cached for ten minutes
        assert feature(client, cid).status_code == 200
        assert client.get(COMMENTS).json()["comments"][0]["featured"] is True
        assert feature(client, cid, False).status_code == 200
        assert client.get(COMMENTS).json()["comments"][0]["featured"] is False


def test_the_widgets_page_may_feature_through_cors(app: Townhall, client: TestClient) -> None:
    """The widget calls the endpoint from the publisher's page with the signed-in moderator's token: the
    preflight allows PUT with those headers, and a site that names its pages' origins refuses other pages."""
    cid = post(client, "Featured from the article page.")
    page = "https://news.example"
    pre = client.options(f"/api/v1/mod/comments/{cid}/featured", headers={
        "Origin": page, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status_code == 200, pre.text
    assert "PUT" in pre.headers["access-control-allow-methods"]
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=[page])
    app.services.forget_site("default")
    r = feature(client, cid, headers={**MOD, "Origin": page})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", page), r.text
    r = feature(client, cid, False, headers={**MOD, "Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed", r.text


def test_moderator_queues_show_the_mark(app: Townhall, client: TestClient) -> None:
    cid = post(client, "Reported, yet featured.")
    assert feature(client, cid).status_code == 200
    account = client.get("/api/v1/me", headers=auth("alice")).json()["id"]
    history = client.get(f"/api/v1/mod/accounts/{account}", headers=MOD).json()
    assert [(c["id"], c["featured"]) for c in history["comments"]] == [(cid, True)]


def test_a_featured_reply_under_a_comment_held_again_is_not_listed(client: TestClient) -> None:
    """The thread hides a held comment's replies from other readers (they hang under nothing they can see): the
    featured list does not show such a reply either, and shows it again once the comment it answers is published."""
    root = post(client, "A comment that will be edited and held.", who="ann")
    middle = post(client, "A reply.", who="ben", parent_id=root)
    reply = post(client, "A reply to the reply, worth featuring.", who="cat", parent_id=middle)
    other = post(client, "Another comment, featured too.", who="dan")
    for cid in (reply, other):
        assert feature(client, cid).status_code == 200
    assert featured_ids(client) == [other, reply]
    account = client.get("/api/v1/me", headers=auth("ben")).json()["id"]
    r = client.post(f"/api/v1/mod/accounts/{account}/sanctions",
                    json={"sanction": "premoderate", "reason": "Checking"}, headers=MOD)
    assert r.status_code in (200, 201), r.text
    r = client.patch(f"/api/v1/comments/{middle}", json={"text": "A reply, edited."}, headers=auth("ben"))
    assert r.status_code == 200 and r.json()["comment"]["status"] == "held", r.text
    shown = [c["id"] for c in client.get(COMMENTS, headers=auth("eve")).json()["comments"]]
    assert shown == [other, root] and client.get(COMMENTS, headers=auth("eve")).json()["comments"][1]["replies"] == []
    assert featured_ids(client) == [other]
    assert [c["id"] for c in client.get(FEATURED, headers=auth("eve")).json()["comments"]] == [other]
    assert featured_ids(client, limit=1) == [other]
    # the held comment's author sees it, and the replies under it, in the thread: the featured reply too
    assert [c["id"] for c in client.get(FEATURED, headers=auth("ben")).json()["comments"]] == [other, reply]
    r = client.post(f"/api/v1/mod/comments/{middle}/decision", json={"action": "approve"}, headers=MOD)
    assert r.status_code == 200, r.text
    assert [c["id"] for c in client.get(FEATURED, headers=auth("eve")).json()["comments"]] == [other, reply]


def test_signed_out_readers_featured_list_is_cached_and_dropped_at_each_change(make_app: AppFactory, db_url: str) -> None:
    """The widget asks for the featured list on every page view: signed-out readers' comes from the page cache,
    which every featuring, unfeaturing, edit and removal on the thread drops at once; signed-in readers read afresh."""
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app) as client:
        cid = post(client, "Featured, then edited.")
        other = post(client, "Featured later.", who="bob")
        assert featured_ids(client) == []
        assert feature(client, cid).status_code == 200
        relay_settled(app, THREAD)  # on PostgreSQL the featuring drops the cache again when the relay brings it back
        assert featured_ids(client) == [cid]
        with app.services.db.write() as conn:  # a change that sends no event: the cached list does not see it
            content.update_comment(conn, other, featured_at=app.services.now())
        assert featured_ids(client) == [cid]
        assert [c["id"] for c in client.get(FEATURED, headers=auth("carol")).json()["comments"]] == [other, cid]
        r = client.patch(f"/api/v1/comments/{cid}", json={"text": "Featured, then edited: more."}, headers=auth("alice"))
        assert r.status_code == 200, r.text
        assert featured_ids(client) == [other, cid]  # the edit dropped it
        assert "more." in client.get(FEATURED).json()["comments"][1]["html"]
        assert feature(client, other, False).status_code == 200
        assert featured_ids(client) == [cid]
        assert client.get(FEATURED, params={"site": "nowhere"}).status_code == 404  # never cached
