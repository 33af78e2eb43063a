"""Defects found by the reader-API audit (2026-11-27), each pinned on SQLite and PostgreSQL through HTTP."""

from __future__ import annotations

import threading
from typing import Callable

from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.app import Townhall

T = "/api/v1/threads/article-1/comments"
MOD = auth("mod", role="moderator")


def _at_once(n: int, send: Callable[[], object]) -> list:
    barrier, answers = threading.Barrier(n), []

    def go() -> None:
        barrier.wait()
        answers.append(send())

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_a_report_sent_several_times_at_once_is_one_report_and_no_error(client: TestClient) -> None:
    """A double click on "report": PostgreSQL's unique constraint refused the second insert with a 500."""
    reader = auth("bob")
    client.get("/api/v1/me", headers=reader)
    for i in range(4):
        cid = client.post(T, json={"text": f"A fair point number {i}."}, headers=auth("alice")).json()["comment"]["id"]
        answers = _at_once(4, lambda: client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=reader))
        assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
        assert sorted(r.json()["duplicate"] for r in answers) == [False, True, True, True]
    reported = client.get("/api/v1/mod/queues/reported", headers=MOD)
    assert reported.status_code == 200


def test_a_like_sent_several_times_at_once_counts_once_and_no_error(client: TestClient) -> None:
    reader = auth("bob")
    client.get("/api/v1/me", headers=reader)
    for i in range(4):
        cid = client.post(T, json={"text": f"A fair point number {i}."}, headers=auth("alice")).json()["comment"]["id"]
        answers = _at_once(4, lambda: client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=reader))
        assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]
        listed = client.get(T, headers=auth("carol")).json()["comments"]  # signed in: not the cached page
        assert next(c for c in listed if c["id"] == cid)["reactions"] == 1


def test_editing_a_comment_in_a_closed_thread_is_refused_and_changes_nothing(client: TestClient) -> None:
    """Judged as a new comment in a closed thread, a typo fix took the reader's published comment off the
    thread (rejected, its text replaced) and orphaned its replies."""
    reader = auth("alice")
    cid = client.post(T, json={"text": "Published before closing."}, headers=reader).json()["comment"]["id"]
    client.post(T, json={"text": "A reply to it.", "parent_id": cid}, headers=auth("bob"))
    assert client.put("/api/v1/mod/threads/article-1/state", json={"state": "closed"}, headers=MOD).status_code == 200
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "Published before closing (typo fixed)."}, headers=reader)
    assert r.status_code == 403, r.text
    err = r.json()["error"]
    assert err["code"] == "thread_closed" and "closed" in err["message"] and err["details"] == {"comment_id": cid}
    listed = client.get(T, headers=auth("carol")).json()["comments"]
    assert [c["id"] for c in listed] == [cid]
    assert listed[0]["status"] == "published" and listed[0]["html"] == "<p>Published before closing.</p>"
    assert len(listed[0]["replies"]) == 1
    assert client.put("/api/v1/mod/threads/article-1/state", json={"state": "open"}, headers=MOD).status_code == 200
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "Published before closing (typo fixed)."}, headers=reader)
    assert r.status_code == 200 and r.json()["verdict"] == "published"


def test_a_guest_still_reads_and_sees_their_standing_after_guests_are_turned_off(make_app, db_url: str) -> None:
    """A guest's stored token made every request fail with 403 once the site turned guests off: reading the
    thread, GET /me (their sanctions and reasons) and appeals; posting is what stops."""
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        r = client.post(T, json={"text": "Hello from a guest.", "guest_name": "Visitor"})
        assert r.status_code == 201, r.text
        guest = {"Authorization": f"Bearer {r.json()['guest_token']}"}
        cid = r.json()["comment"]["id"]
        account = r.json()["comment"]["author"]["id"]
        ban = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "ban", "reason": "spam links"},
                          headers=MOD).json()["action_id"]
        other = client.post(T, json={"text": "A signed-in reader."}, headers=auth("alice")).json()["comment"]["id"]
    off = make_app(db_url, allow_guests=False)
    with TestClient(off, raise_server_exceptions=False) as client:
        listed = client.get(T, headers=guest)
        assert listed.status_code == 200, listed.text
        assert {c["id"] for c in listed.json()["comments"]} == {cid, other}
        me = client.get("/api/v1/me", headers=guest)
        assert me.status_code == 200, me.text
        assert me.json()["guest"] is True and me.json()["state"] == "banned"
        assert me.json()["sanction"]["reason"] == "spam links"
        r = client.post(f"/api/v1/me/actions/{ban}/appeal", json={"text": "It was one link."}, headers=guest)
        assert r.status_code == 201, r.text
        for r in (client.post(T, json={"text": "Still here?"}, headers=guest),
                  client.post(T, json={"text": "A new guest.", "guest_name": "Newcomer"})):
            assert r.status_code == 403 and r.json()["error"]["code"] == "guests_not_allowed", r.text
        assert client.get("/api/v1/me", headers=auth("alice")).status_code == 200


def test_a_returning_guest_cannot_post_react_or_report_once_guests_are_off(make_app, db_url: str) -> None:
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        r = client.post(T, json={"text": "Hello from a guest.", "guest_name": "Visitor"})
        guest = {"Authorization": f"Bearer {r.json()['guest_token']}"}
        mine = r.json()["comment"]["id"]
        other = client.post(T, json={"text": "A signed-in reader."}, headers=auth("alice")).json()["comment"]["id"]
    off = make_app(db_url, allow_guests=False)
    with TestClient(off, raise_server_exceptions=False) as client:
        for r in (client.post(T, json={"text": "Still here?"}, headers=guest),
                  client.patch(f"/api/v1/comments/{mine}", json={"text": "Changed."}, headers=guest),
                  client.put(f"/api/v1/comments/{other}/reaction", json={"kind": "like"}, headers=guest),
                  client.post(f"/api/v1/comments/{other}/reports", json={"reason": "spam"}, headers=guest)):
            assert r.status_code == 403 and r.json()["error"]["code"] == "guests_not_allowed", r.text
        assert client.delete(f"/api/v1/comments/{mine}", headers=guest).status_code == 204  # their own: always


def test_a_guest_name_the_house_rules_refuse_is_refused_with_the_reason(make_app, db_url: str) -> None:
    """A guest's name is shown beside each comment: "fuck you" as a name went round the F-word rule."""
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        for name in ("fuck you", "F.u.c.k off", "Ｆｕｃｋ"):
            r = client.post(T, json={"text": "A perfectly polite comment.", "guest_name": name})
            assert r.status_code == 422, (name, r.text)
            err = r.json()["error"]
            assert err["code"] == "name_refused" and "F word" in err["message"], err
            assert err["details"]["field"] == "guest_name" and err["details"]["hits"][0]["rule"] == "f_word"
            assert "guest_token" not in err["details"]  # refused before any account was made
        assert client.get(T).json()["comments"] == []
        for name in ("Fukuyama", "Dick Smith", "Visitor"):  # names the rules let through stay allowed
            r = client.post(T, json={"text": "A perfectly polite comment.", "guest_name": name})
            assert r.status_code == 201 and r.json()["comment"]["author"]["name"] == name, r.text
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['guest_token']}"}).json()
        assert me["active_strikes"] == 0


def test_a_comment_its_author_deletes_is_recorded_as_the_authors_decision(app: Townhall, client: TestClient) -> None:
    """Not as a moderator's (the moderators' statistics and the dashboard read the source)."""
    from townhall.store import moderation

    cid = client.post(T, json={"text": "Second thoughts."}, headers=auth("dora")).json()["comment"]["id"]
    assert client.delete(f"/api/v1/comments/{cid}", headers=auth("dora")).status_code in (200, 204)
    with app.services.db.read() as conn:
        latest = moderation.latest_decisions(conn, [cid])[cid]
    assert (latest["source"], latest["verdict"]) == ("author", "deleted")
