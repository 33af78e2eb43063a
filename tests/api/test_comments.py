"""The reader API, on SQLite and on PostgreSQL, through a real HTTP client against the in-process app."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.fixtures_app import Clock, auth

T = "/api/v1/threads/article-1/comments"


def post(client: TestClient, text: str, who: str = "alice", thread: str = "article-1", **body: object):
    return client.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **body}, headers=auth(who))


def test_post_then_listed(client: TestClient) -> None:
    r = post(client, "A fair point about the drawdown.")
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["verdict"] == "published"
    assert data["comment"]["html"] == "<p>A fair point about the drawdown.</p>"
    assert r.headers["location"] == f"/api/v1/comments/{data['comment']['id']}"
    listing = client.get(T).json()
    assert listing["thread"]["count"] == 1
    assert [c["id"] for c in listing["comments"]] == [data["comment"]["id"]]
    assert listing["comments"][0]["author"]["name"] == "Alice"


def test_replies_nest_to_any_depth(client: TestClient) -> None:
    parent = post(client, "root").json()["comment"]["id"]
    ids = [parent]
    for depth in range(6):
        ids.append(post(client, f"reply at depth {depth + 1}", who=f"r{depth}", parent_id=ids[-1]).json()["comment"]["id"])
    node = client.get(T).json()["comments"][0]
    seen = [node["id"]]
    while node["replies"]:
        node = node["replies"][0]
        seen.append(node["id"])
    assert seen == ids


def test_cursor_pagination_and_sorts(client: TestClient) -> None:
    ids = [post(client, f"comment {i}", who=f"u{i}").json()["comment"]["id"] for i in range(7)]
    got, cursor = [], None
    while True:
        page = client.get(T, params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        got += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == list(reversed(ids))
    oldest = client.get(T, params={"sort": "oldest", "limit": 100}).json()
    assert [c["id"] for c in oldest["comments"]] == ids
    client.put(f"/api/v1/comments/{ids[2]}/reaction", json={"kind": "like"}, headers=auth("fan1"))
    client.put(f"/api/v1/comments/{ids[2]}/reaction", json={"kind": "like"}, headers=auth("fan2"))
    client.put(f"/api/v1/comments/{ids[4]}/reaction", json={"kind": "like"}, headers=auth("fan1"))
    top = client.get(T, params={"sort": "top", "limit": 2}).json()
    assert [c["id"] for c in top["comments"]] == [ids[2], ids[4]]
    rest = client.get(T, params={"sort": "top", "limit": 100, "cursor": top["next_cursor"]}).json()
    assert len(rest["comments"]) == 5 and ids[2] not in [c["id"] for c in rest["comments"]]


def test_bad_cursor_and_sort_are_clear_errors(client: TestClient) -> None:
    r = client.get(T, params={"cursor": "not-a-cursor"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    r = client.get(T, params={"sort": "random"})
    assert r.status_code == 422


def test_reaction_once_per_account(client: TestClient) -> None:
    cid = post(client, "like me").json()["comment"]["id"]
    for _ in range(3):
        r = client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth("bob"))
        assert r.status_code == 200
    assert r.json()["reactions"] == 1
    r = client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": None}, headers=auth("bob"))
    assert r.json()["reactions"] == 0
    assert client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth("alice")).status_code == 409


def test_edit_within_window_only_and_moderated_again(client: TestClient, clock: Clock) -> None:
    cid = post(client, "first version").json()["comment"]["id"]
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "second version"}, headers=auth("alice"))
    assert r.status_code == 200 and r.json()["comment"]["html"] == "<p>second version</p>"
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "what the fuck"}, headers=auth("alice"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules"
    assert client.patch(f"/api/v1/comments/{cid}", json={"text": "x"}, headers=auth("mallory")).status_code == 403
    clock.advance(minutes=16)
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "too late"}, headers=auth("alice"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "edit_window_closed"


def test_delete_own_comment_keeps_replies_visible(client: TestClient) -> None:
    root = post(client, "root").json()["comment"]["id"]
    post(client, "reply", who="bob", parent_id=root)
    assert client.delete(f"/api/v1/comments/{root}", headers=auth("bob")).status_code == 403
    assert client.delete(f"/api/v1/comments/{root}", headers=auth("alice")).status_code == 204
    tree = client.get(T).json()["comments"]
    assert tree[0]["status"] == "deleted" and tree[0]["html"] == "" and tree[0]["author"] is None
    assert tree[0]["replies"][0]["html"] == "<p>reply</p>"
    lone = post(client, "lonely").json()["comment"]["id"]
    client.delete(f"/api/v1/comments/{lone}", headers=auth("alice"))
    assert lone not in [c["id"] for c in client.get(T).json()["comments"]]


def test_a_removed_comment_keeps_its_published_replies_visible(client: TestClient) -> None:
    """A moderator's rejection hides the comment, not the readers who answered it: it stays as a tombstone
    while it has a published reply, as a deleted one does, on the first page and on "more replies"."""
    mod = auth("mod", role="moderator")
    root = post(client, "root").json()["comment"]["id"]
    middle = post(client, "middle", who="bob", parent_id=root).json()["comment"]["id"]
    leaf = post(client, "leaf", who="carol", parent_id=middle).json()["comment"]["id"]
    alone = post(client, "alone", who="dave", parent_id=root).json()["comment"]["id"]
    for cid in (middle, alone):
        r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "reject", "reason": "Spam"}, headers=mod)
        assert r.status_code == 200
    tree = client.get(T).json()["comments"]
    replies = {c["id"]: c for c in tree[0]["replies"]}
    assert alone not in replies  # no reply to keep: gone
    gone = replies[middle]
    assert gone["status"] == "rejected" and gone["html"] == "" and gone["author"] is None and "text" not in gone
    assert [c["id"] for c in gone["replies"]] == [leaf] and gone["replies"][0]["html"] == "<p>leaf</p>"
    flat = client.get(T, params={"root": root}).json()["comments"]
    assert {c["id"] for c in flat} == {middle, leaf} and next(c for c in flat if c["id"] == middle)["html"] == ""
    # as its own author sees it too
    assert "text" not in next(c for c in client.get(T, headers=auth("bob")).json()["comments"][0]["replies"] if c["id"] == middle)
    r = client.post(f"/api/v1/mod/comments/{root}/decision", json={"action": "reject", "reason": "Spam"}, headers=mod)
    assert r.status_code == 200
    tree = client.get(T).json()["comments"]
    assert tree[0]["id"] == root and tree[0]["status"] == "rejected" and tree[0]["author"] is None


def test_report_with_reason(client: TestClient) -> None:
    cid = post(client, "some opinion").json()["comment"]["id"]
    r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=auth("bob"))
    assert r.status_code == 201 and r.json()["duplicate"] is False
    r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=auth("bob"))
    assert r.json()["duplicate"] is True
    r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "dislike"}, headers=auth("carol"))
    assert r.status_code == 422


def test_guests_off_by_default(client: TestClient) -> None:
    r = client.post(T, json={"text": "hello", "guest_name": "Visitor"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "guests_not_allowed"
    assert client.post(T, json={"text": "hello"}).status_code == 401


def test_guests_when_allowed(make_app, db_url: str) -> None:
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        r = client.post(T, json={"text": "hello", "guest_name": "Visitor"})
        assert r.status_code == 201, r.text
        token = r.json()["guest_token"]
        r2 = client.post(T, json={"text": "again"}, headers={"Authorization": f"Bearer {token}"})
        assert r2.status_code == 201
        assert r2.json()["comment"]["author"]["id"] == r.json()["comment"]["author"]["id"]
        assert r2.json()["comment"]["author"]["guest"] is True
        r3 = client.post(T, json={"text": "what the fuck", "guest_name": "Newcomer"})
        assert r3.status_code == 422
        retry = client.post(T, json={"text": "what the heck"},
                            headers={"Authorization": f"Bearer {r3.json()['error']['details']['guest_token']}"})
        assert retry.status_code == 201 and retry.json()["comment"]["author"]["name"] == "Newcomer"


def test_a_guest_refused_for_any_reason_gets_the_account_made_for_it(make_app, db_url: str) -> None:
    """Every refusal after a guest's account is made hands back its token: a reply to a comment that is not
    there leaves no account the guest cannot reach, and the retry uses the same one."""
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        r = client.post(T, json={"text": "a reply", "guest_name": "Visitor", "parent_id": 999999})
        assert r.status_code == 422 and r.json()["error"]["code"] == "parent_unavailable"
        assert r.json()["error"]["details"]["field"] == "parent_id"
        token = r.json()["error"]["details"]["guest_token"]
        retry = client.post(T, json={"text": "a comment"}, headers={"Authorization": f"Bearer {token}"})
        assert retry.status_code == 201 and retry.json()["comment"]["author"]["name"] == "Visitor"
        assert "guest_token" not in retry.json()  # the same account, not a new one
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["guest"] is True and me["name"] == "Visitor"


def test_reply_to_unknown_or_foreign_parent_is_refused(client: TestClient) -> None:
    other = post(client, "elsewhere", thread="article-2").json()["comment"]["id"]
    assert post(client, "reply", parent_id=other).status_code == 422
    assert post(client, "reply", parent_id=999999).status_code == 422


def test_supporter_badge_from_claim(client: TestClient) -> None:
    r = client.post(T, json={"text": "I pay for this"}, headers=auth("sam", supporter=True))
    assert r.json()["comment"]["author"]["supporter"] is True
    import time

    import jwt

    from tests.fixtures_app import SSO_SECRET

    # only JSON true or "true" (any case) says yes; "false", "0", "no", 1 and the rest say no
    for i, (claim, badge) in enumerate([("TRUE", True), ("false", False), ("0", False), ("no", False), (1, False),
                                        ("", False), (None, False), ({"x": 1}, False)]):
        token = jwt.encode({"sub": f"supporter-{i}", "name": "S", "supporter": claim, "exp": int(time.time()) + 600},
                           SSO_SECRET, algorithm="HS256")
        r = client.post(T, json={"text": "I pay for this"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201 and r.json()["comment"]["author"]["supporter"] is badge, (claim, r.text)


def test_more_replies_page_through(client: TestClient) -> None:
    root = post(client, "root").json()["comment"]["id"]
    reply_ids = [post(client, f"reply number {i}", who=f"w{i % 5}", parent_id=root).json()["comment"]["id"] for i in range(55)]
    first = client.get(T).json()["comments"][0]
    assert len(first["replies"]) == 50 and first["more_replies"] is True
    more = client.get(T, params={"root": root, "cursor": first["replies_cursor"], "limit": 100}).json()
    assert [c["id"] for c in more["comments"]] == reply_ids[50:]


def test_closed_thread_refuses_new_comments(client: TestClient) -> None:
    post(client, "before closing")
    mod = auth("mod", role="moderator")
    assert client.put("/api/v1/mod/threads/article-1/state", json={"state": "closed"}, headers=mod).status_code == 200
    assert client.get(T).json()["thread"]["state"] == "closed"
    r = post(client, "after closing")
    assert r.status_code == 422 and r.json()["error"]["details"]["hits"][0]["rule"] == "closed_thread"
    assert client.put("/api/v1/mod/threads/article-1/state", json={"state": "open"}, headers=mod).status_code == 200
    assert post(client, "open again").status_code == 201
    assert client.put("/api/v1/mod/threads/article-1/state", json={"state": "closed"}, headers=auth("reader")).status_code == 403


def test_site_info_tells_the_widget_the_rules(client: TestClient) -> None:
    info = client.get("/api/v1/site").json()
    assert info["allow_guests"] is False and info["max_length"] == 5000 and info["edit_window_minutes"] == 15
    assert "F word" in info["house_rules"]
    assert [r["name"] for r in info["rules"]] == ["f_word", "abusive", "obscene", "paid_troll"]
    assert client.get("/api/v1/site", params={"site": "nope"}).status_code == 404
