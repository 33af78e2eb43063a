"""A reader's ignore list through the HTTP API, on SQLite and PostgreSQL: the rules (not oneself, not the staff,
not another site's reader, idempotent, capped), the thread's listing, reply pages and featured list as the
reader sees them (and as others and signed-out readers do, the cached page unchanged), the live event's author,
guests, the allowed origins, the reader's export and an erasure of either account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall
from townhall.service import moderators, privacy
from townhall.service.identity import Actor
from townhall.store import content, moderation
from townhall.store.ops_tables import ignored_accounts
from townhall.store.schema import accounts, comments

THREAD = "ignore-article"
COMMENTS = f"/api/v1/threads/{THREAD}/comments"
DAVE = auth("dave")
MOD = auth("mod", role="moderator")


def post(client: TestClient, text: str, who: str, parent: int | None = None) -> dict[str, Any]:
    r = client.post(COMMENTS, json={"text": text, "parent_id": parent}, headers=auth(who))
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def me_id(client: TestClient, headers: dict[str, str]) -> int:
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def ignore(client: TestClient, account_id: int, headers: dict[str, str] = DAVE, **kw: Any) -> Any:
    return client.put(f"/api/v1/me/ignored/{account_id}", headers=headers, **kw)


def ignored(client: TestClient, headers: dict[str, str] = DAVE) -> list[dict[str, Any]]:
    r = client.get("/api/v1/me/ignored", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["limit"] == 1000
    return r.json()["ignored"]  # type: ignore[no-any-return]


def rows(app: Townhall) -> list[tuple[int, int]]:
    with app.services.db.read() as conn:
        return [(int(a), int(b)) for a, b in conn.execute(select(ignored_accounts.c.account_id, ignored_accounts.c.ignored_id))]


def error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_the_rules(app: Townhall, client: TestClient) -> None:
    bob = post(client, "First.", "bob")["author"]["id"]
    dave = me_id(client, DAVE)
    r = client.post(COMMENTS, json={"text": "The moderators speaking."}, headers=MOD)  # shown: an author, but staff
    assert r.status_code == 201, r.text
    mod = me_id(client, MOD)
    for _ in range(2):  # idempotent
        r = ignore(client, bob)
        assert r.status_code == 200 and r.json() == {"account_id": bob, "name": "Bob", "ignored": True}, r.text
    listed = ignored(client)
    assert [(i["id"], i["name"]) for i in listed] == [(bob, "Bob")] and listed[0]["since"]
    error(ignore(client, dave), 422, "cannot_ignore_self")
    error(ignore(client, mod), 422, "cannot_ignore_moderator")
    error(ignore(client, 999_999), 404, "not_found")
    error(client.delete("/api/v1/me/ignored/999999", headers=DAVE), 404, "not_found")
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    stranger = me_id(client, auth("stranger", secret=secret) | {"X-Townhall-Site": "other"})
    error(ignore(client, stranger), 404, "not_found")  # another site's reader: as unknown
    error(ignore(client, bob, headers={}), 401, "unauthenticated")
    error(client.get("/api/v1/me/ignored"), 401, "unauthenticated")
    error(ignore(client, 0), 422, "invalid")
    assert rows(app) == [(dave, bob)]
    for _ in range(2):
        assert client.delete(f"/api/v1/me/ignored/{bob}", headers=DAVE).status_code == 204
    assert ignored(client) == [] and rows(app) == []
    with app.services.db.read() as conn:  # private: nothing in the audit log
        assert not [e for e in moderation.audit_entries(conn) if "ignore" in str(e["action"])]


def test_the_list_is_capped(app: Townhall, client: TestClient) -> None:
    dave = me_id(client, DAVE)
    now = app.services.now()
    with app.services.db.write() as conn:
        conn.execute(insert(accounts), [{"site_id": "default", "subject": f"many-{i}", "display_name": f"Reader {i}",
                                         "supporter": False, "role": "reader", "guest": False, "state": "active",
                                         "created_at": now} for i in range(1001)])
        ids = [int(i) for i in conn.execute(select(accounts.c.id).where(accounts.c.subject.like("many-%")).order_by(accounts.c.id)).scalars()]
        # each an author readers were shown (only those can be ignored)
        thread = content.insert_thread(conn, site_id="default", external_id=THREAD, url=None, title=None, now=now)
        conn.execute(insert(comments), [{"thread_id": thread, "account_id": i, "depth": 0, "body": "Hi.", "html": "<p>Hi.</p>",
                                         "status": "published", "reactions": 0, "created_at": now} for i in ids])
        conn.execute(insert(ignored_accounts), [{"account_id": dave, "ignored_id": i, "created_at": now} for i in ids[:999]])
    assert ignore(client, ids[999]).status_code == 200  # the thousandth
    r = ignore(client, ids[1000])
    error(r, 422, "ignore_list_full")
    assert r.json()["error"]["details"] == {"limit": 1000}
    assert ignore(client, ids[0]).status_code == 200  # one already on the list: no error
    assert client.delete(f"/api/v1/me/ignored/{ids[0]}", headers=DAVE).status_code == 204
    assert ignore(client, ids[1000]).status_code == 200
    with app.services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(ignored_accounts)).scalar_one() == 1000


def _thread(client: TestClient) -> dict[str, int]:
    """alice's comment with a reply of bob's (nothing under it); bob's alone; bob's with carol's reply under it."""
    ids = {"alice": post(client, "Alice opens.", "alice")["id"]}
    ids["bob_reply"] = post(client, "Bob answers Alice.", "bob", ids["alice"])["id"]
    ids["bob_alone"] = post(client, "Bob, alone.", "bob")["id"]
    ids["bob_answered"] = post(client, "Bob, answered.", "bob")["id"]
    ids["carol"] = post(client, "Carol answers Bob.", "carol", ids["bob_answered"])["id"]
    return ids


def _shape(comments: list[dict[str, Any]]) -> list[Any]:
    return [(c["id"], bool(c.get("ignored")), _shape(c["replies"])) for c in comments]


def test_the_thread_as_the_reader_sees_it(app: Townhall, client: TestClient) -> None:
    ids = _thread(client)
    bob = client.get(COMMENTS).json()["comments"][0]["author"]["id"]
    assert ignore(client, bob).status_code == 200
    everything = [(ids["bob_answered"], False, [(ids["carol"], False, [])]), (ids["bob_alone"], False, []),
                  (ids["alice"], False, [(ids["bob_reply"], False, [])])]
    for who in ({}, auth("carol"), auth("bob")):  # signed out, another reader, bob himself
        assert _shape(client.get(COMMENTS, headers=who).json()["comments"]) == everything
    page = client.get(COMMENTS, headers=DAVE).json()
    assert _shape(page["comments"]) == [(ids["bob_answered"], True, [(ids["carol"], False, [])]), (ids["alice"], False, [])]
    holder = page["comments"][0]
    assert holder["html"] == "" and holder["author"] is None and "text" not in holder and holder["featured"] is False
    assert page["thread"]["count"] == 5  # the count is the thread's, ignored comments included
    # a page of one: the top-level comment left out does not shorten it; the cursor goes on past it
    first = client.get(COMMENTS, headers=DAVE, params={"limit": 1}).json()
    assert [c["id"] for c in first["comments"]] == [ids["bob_answered"]]
    second = client.get(COMMENTS, headers=DAVE, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in second["comments"]] == [ids["alice"]] and second["next_cursor"] is None
    for sort in ("oldest", "top"):
        got = {c["id"] for c in client.get(COMMENTS, headers=DAVE, params={"sort": sort}).json()["comments"]}
        assert got == {ids["alice"], ids["bob_answered"]}
    assert client.delete(f"/api/v1/me/ignored/{bob}", headers=DAVE).status_code == 204
    assert _shape(client.get(COMMENTS, headers=DAVE).json()["comments"]) == everything


def test_many_ignored_comments_in_a_row_do_not_empty_a_page(app: Townhall, client: TestClient) -> None:
    """The store leaves them out (not the nesting, which fills a page from a few more reads at most)."""
    alice = post(client, "Alice, first.", "alice")["id"]
    for n in range(6):
        post(client, f"Bob, number {n}.", "bob")
    assert ignore(client, me_id(client, auth("bob"))).status_code == 200
    page = client.get(COMMENTS, headers=DAVE, params={"limit": 1}).json()
    assert [c["id"] for c in page["comments"]] == [alice] and page["next_cursor"] is None


def test_reply_pages_and_the_featured_list(app: Townhall, client: TestClient) -> None:
    root = post(client, "Alice opens.", "alice")["id"]
    alone = post(client, "Bob, under Alice.", "bob", root)["id"]
    answered = post(client, "Bob again.", "bob", root)["id"]
    carol = post(client, "Carol answers Bob.", "carol", answered)["id"]
    bob = me_id(client, auth("bob"))
    assert ignore(client, bob).status_code == 200
    flat = client.get(COMMENTS, headers=DAVE, params={"root": root}).json()
    assert [(c["id"], bool(c.get("ignored"))) for c in flat["comments"]] == [(answered, True), (carol, False)]
    assert [c["id"] for c in client.get(COMMENTS, params={"root": root}).json()["comments"]] == [alone, answered, carol]
    for cid in (answered, root):
        assert client.put(f"/api/v1/mod/comments/{cid}/featured", json={"featured": True}, headers=MOD).status_code == 200
    featured = f"/api/v1/threads/{THREAD}/featured"
    assert [c["id"] for c in client.get(featured).json()["comments"]] == [answered, root]  # featured at once: by id
    assert [c["id"] for c in client.get(featured, headers=auth("carol")).json()["comments"]] == [answered, root]
    assert [c["id"] for c in client.get(featured, headers=DAVE).json()["comments"]] == [root]
    assert [c["id"] for c in client.get(featured, headers=DAVE, params={"limit": 1}).json()["comments"]] == [root]


def test_signed_out_readers_cached_page_is_untouched(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, page_cache_seconds=600)
    with TestClient(app, raise_server_exceptions=False) as client:
        ids = _thread(client)
        before = client.get(COMMENTS)
        feat_before = client.get(f"/api/v1/threads/{THREAD}/featured")
        cached = len(app.services.pages)
        assert cached == 2
        bob = me_id(client, auth("bob"))
        assert ignore(client, bob).status_code == 200
        assert ids["bob_alone"] not in {c["id"] for c in client.get(COMMENTS, headers=DAVE).json()["comments"]}
        assert client.get(f"/api/v1/threads/{THREAD}/featured", headers=DAVE).status_code == 200
        assert client.get(COMMENTS).content == before.content  # the same bytes, bob's comments in them
        assert client.get(f"/api/v1/threads/{THREAD}/featured").content == feat_before.content
        assert ids["bob_alone"] in {c["id"] for c in before.json()["comments"]}
        assert len(app.services.pages) == cached  # the reader's own pages were not kept
        assert client.delete(f"/api/v1/me/ignored/{bob}", headers=DAVE).status_code == 204
        assert client.get(COMMENTS).content == before.content


def test_the_live_event_names_the_author(app: Townhall, client: TestClient) -> None:
    events: list[dict[str, Any]] = []
    app.services.events.watchers.append(lambda site, thread, event: events.append(event))
    c = post(client, "Live.", "bob")
    assert {"type": "comment.published", "id": c["id"], "parent_id": None, "author_id": c["author"]["id"]} in events


def test_guests(make_app: AppFactory, db_url: str) -> None:
    app = make_app(db_url, allow_guests=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        bob = post(client, "From Bob.", "bob")["author"]["id"]
        r = client.post(COMMENTS, json={"text": "A guest's word.", "guest_name": "Visitor"})
        guest = {"Authorization": f"Bearer {r.json()['guest_token']}"}
        assert ignore(client, bob, headers=guest).status_code == 200  # a guest may, as they may report
        assert ignore(client, r.json()["comment"]["author"]["id"]).status_code == 200  # and a guest may be ignored
        with app.services.db.write() as conn:
            content.update_site(conn, "default", allow_guests=False)
        app.services.forget_site("default")
        carol = post(client, "From Carol.", "carol")["author"]["id"]
        error(ignore(client, carol, headers=guest), 403, "guests_not_allowed")
        assert [i["id"] for i in ignored(client, guest)] == [bob]  # reading it and taking names off it still work
        assert client.delete(f"/api/v1/me/ignored/{bob}", headers=guest).status_code == 204


def test_writes_from_a_page_the_site_does_not_allow_are_refused(app: Townhall, client: TestClient) -> None:
    bob = post(client, "From Bob.", "bob")["author"]["id"]
    page = "https://news.example"
    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=[page])
    app.services.forget_site("default")
    evil = {**DAVE, "Origin": "https://evil.example"}
    error(ignore(client, bob, headers=evil), 403, "origin_not_allowed")
    assert ignore(client, bob, headers={**DAVE, "Origin": page}).status_code == 200
    error(client.delete(f"/api/v1/me/ignored/{bob}", headers=evil), 403, "origin_not_allowed")
    assert len(ignored(client, {**DAVE, "Origin": "https://evil.example"})) == 1  # a read is not a write


def test_export_and_erasure_of_either_account(app: Townhall, client: TestClient) -> None:
    bob = post(client, "From Bob.", "bob")["author"]["id"]
    carol = post(client, "From Carol.", "carol")["author"]["id"]
    dave = post(client, "From Dave.", "dave")["author"]["id"]
    for target in (bob, carol):
        assert ignore(client, target).status_code == 200
    assert ignore(client, dave, headers=auth("carol")).status_code == 200
    export = client.get("/api/v1/me/export", headers=DAVE).json()
    assert sorted((i["account_id"], i["name"]) for i in export["ignored"]) == [(bob, "Bob"), (carol, "Carol")]
    assert all(i["since"] for i in export["ignored"])
    assert client.get("/api/v1/me/export", headers=auth("bob")).json()["ignored"] == []  # not told who ignores them
    privacy.erase_subject(app.services, "default", "bob")  # the CLI's (and an administrator's) erasure
    assert sorted(rows(app)) == sorted([(dave, carol), (carol, dave)])
    assert [i["id"] for i in ignored(client)] == [carol]
    r = client.delete("/api/v1/me", headers=DAVE)  # the reader's own: their list, and their place on carol's
    assert r.status_code == 200, r.text
    assert rows(app) == [] and ignored(client, auth("carol")) == []
