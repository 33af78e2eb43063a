"""Double submissions and races on the endpoints the earlier audits did not cover (feature, delete, edit,
moderator decisions, sanctions, restore, appeals and their decisions), on SQLite and PostgreSQL through HTTP:
never a 500, never a duplicated row, and an answer that says what happened."""

from __future__ import annotations

import threading
from typing import Any, Callable

import sqlalchemy as sa
from httpx import Response
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.app import Townhall

T = "/api/v1/threads/race/comments"
MOD = auth("mod", role="moderator")
MOD2 = auth("mod2", role="moderator")
N = 4


def at_once(sends: list[Callable[[], Response]]) -> list[Response]:
    """Each request from a thread of its own, released together."""
    barrier = threading.Barrier(len(sends))
    answers: list[Response | None] = [None] * len(sends)

    def go(i: int) -> None:
        barrier.wait()
        answers[i] = sends[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(sends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def statuses(answers: list[Response]) -> list[int]:
    codes = sorted(r.status_code for r in answers)
    assert all(c < 500 for c in codes), [r.text for r in answers]
    for r in answers:
        if r.status_code >= 400:
            err = r.json()["error"]
            assert set(err) == {"code", "message", "details"} and err["message"], r.text
    return codes


def rows(app: Townhall, sql: str, **params: Any) -> list[Any]:
    with app.services.db.read() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def audited(app: Townhall, action: str) -> int:
    return int(rows(app, "SELECT count(*) FROM audit_log WHERE action = :a", a=action)[0][0])


def post(client: TestClient, sub: str, text: str, **extra: Any) -> dict[str, Any]:
    r = client.post(T, json={"text": text, **extra}, headers=auth(sub))
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def staff(client: TestClient) -> None:
    for h in (MOD, MOD2):
        assert client.get("/api/v1/me", headers=h).status_code == 200


# --- the defect: a restore sent twice -----------------------------------------------------------------
def test_a_restore_sent_twice_is_one_restore_in_the_readers_record(app: Townhall, client: TestClient) -> None:
    """A double click on "restore" wrote a second "restore" into the reader's record (GET /me) and the audit log,
    lifting nothing; the repeat is now answered with the first restore."""
    staff(client)
    account = post(client, "alice", "A comment before the ban.")["author"]["id"]
    ban = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "ban", "reason": "Spam."}, headers=MOD)
    assert ban.status_code == 201, ban.text
    url = f"/api/v1/mod/accounts/{account}/restore"
    answers = at_once([lambda: client.post(url, json={"reason": "A mistake."}, headers=MOD)] * N)
    assert statuses(answers) == [200] * N
    assert {r.json()["action_id"] for r in answers} == {answers[0].json()["action_id"]}
    assert sorted(len(r.json()["revoked"]) for r in answers) == [0] * (N - 1) + [1]
    again = client.post(url, json={"reason": "A mistake."}, headers=MOD)  # the form sent again a moment later
    assert again.status_code == 200 and again.json()["action_id"] == answers[0].json()["action_id"], again.text
    kinds = [a["kind"] for a in client.get("/api/v1/me", headers=auth("alice")).json()["actions"]]
    assert kinds == ["ban", "restore"]
    assert audited(app, "account.restore") == 1


def test_a_restore_that_lifts_something_new_is_still_taken(app: Townhall, client: TestClient) -> None:
    """Only the repeat is answered with the earlier restore: one that lifts a sanction taken since is its own
    action; another moderator's, with nothing left to lift, records nothing (tests/enforcement/test_noop_actions.py)."""
    staff(client)
    account = post(client, "alice", "A comment.")["author"]["id"]
    url = f"/api/v1/mod/accounts/{account}/restore"
    sanctions = f"/api/v1/mod/accounts/{account}/sanctions"
    assert client.post(sanctions, json={"sanction": "ban", "reason": "Spam."}, headers=MOD).status_code == 201
    first = client.post(url, json={"reason": "Lifted."}, headers=MOD).json()
    assert client.post(sanctions, json={"sanction": "premoderate", "reason": "Watch."}, headers=MOD).status_code == 201
    second = client.post(url, json={"reason": "Lifted."}, headers=MOD).json()
    assert second["action_id"] != first["action_id"] and len(second["revoked"]) == 1
    other = client.post(url, json={"reason": "Lifted."}, headers=MOD2).json()
    assert other["action_id"] is None and other["revoked"] == [] and "notice" in other
    assert audited(app, "account.restore") == 2


# --- sound: pinned so that they stay so ----------------------------------------------------------------
def test_featuring_sent_several_times_at_once_features_once(app: Townhall, client: TestClient) -> None:
    staff(client)
    cid = post(client, "alice", "A comment worth featuring.")["id"]
    url = f"/api/v1/mod/comments/{cid}/featured"
    answers = at_once([lambda: client.put(url, json={"featured": True}, headers=MOD)] * N)
    assert statuses(answers) == [200] * N and {r.json()["featured"] for r in answers} == {True}
    assert audited(app, "comment.featured") == 1
    answers = at_once([lambda: client.put(url, json={"featured": False}, headers=MOD)] * N)
    assert statuses(answers) == [200] * N
    assert audited(app, "comment.unfeatured") == 1
    assert client.get("/api/v1/threads/race/featured").json()["comments"] == []


def test_a_delete_sent_several_times_at_once_deletes_once(app: Townhall, client: TestClient) -> None:
    cid = post(client, "alice", "Second thoughts about this.")["id"]
    answers = at_once([lambda: client.delete(f"/api/v1/comments/{cid}", headers=auth("alice"))] * N)
    assert statuses(answers) == [204] + [404] * (N - 1)
    assert rows(app, "SELECT count(*) FROM decisions WHERE comment_id = :c AND source = 'author'", c=cid)[0][0] == 1
    assert audited(app, "comment.deleted") == 1


def test_an_edit_racing_its_delete_never_brings_the_comment_back(app: Townhall, client: TestClient) -> None:
    for i in range(3):
        cid = post(client, "alice", f"An opinion, take {i}.")["id"]
        answers = at_once([lambda: client.delete(f"/api/v1/comments/{cid}", headers=auth("alice")),
                           lambda: client.patch(f"/api/v1/comments/{cid}", json={"text": "Changed my mind."},
                                                headers=auth("alice"))])
        codes = statuses(answers)
        assert 204 in codes and set(codes) <= {200, 204, 404}, codes
        status = rows(app, "SELECT status FROM comments WHERE id = :c", c=cid)[0][0]
        assert status == "deleted"
    assert client.get(T, headers=auth("carol")).json()["comments"] == []


def test_two_moderators_deciding_the_same_comment_at_once_one_wins(app: Townhall, client: TestClient) -> None:
    """On a held comment (a premoderated thread): approving and rejecting both change it, so exactly one wins.
    (On a published one, a "Keep" changes nothing and a rejection that follows it still finds what it expected.)"""
    staff(client)
    r = client.patch("/api/v1/mod/threads/race", json={"premoderated": True}, headers=MOD)
    assert r.status_code == 200, r.text
    held = post(client, "alice", "Borderline, but fine.")
    assert held["status"] == "held", held
    cid = held["id"]
    url = f"/api/v1/mod/comments/{cid}/decision"
    body_a = {"action": "reject", "reason": "Off topic.", "expect_status": "held"}
    body_b = {"action": "approve", "expect_status": "held"}
    answers = at_once([lambda: client.post(url, json=body_a, headers=MOD), lambda: client.post(url, json=body_b, headers=MOD2),
                       lambda: client.post(url, json=body_a, headers=MOD), lambda: client.post(url, json=body_b, headers=MOD2)])
    codes = statuses(answers)
    assert codes.count(200) == 1 and codes.count(409) == N - 1, codes
    assert rows(app, "SELECT count(*) FROM decisions WHERE comment_id = :c AND source = 'moderator'", c=cid)[0][0] == 1
    winner = next(r.json()["status"] for r in answers if r.status_code == 200)
    assert rows(app, "SELECT status FROM comments WHERE id = :c", c=cid)[0][0] == winner


def test_a_sanction_sent_several_times_at_once_is_taken_once(app: Townhall, client: TestClient) -> None:
    staff(client)
    account = post(client, "alice", "Hello.")["author"]["id"]
    url = f"/api/v1/mod/accounts/{account}/sanctions"
    for body, code in (({"sanction": "warn", "reason": "Tone."}, "already_taken"),
                       ({"sanction": "suspend", "reason": "Cool off.", "hours": 2}, "already_taken"),
                       ({"sanction": "ban", "reason": "Enough."}, "already_in_force")):
        answers = at_once([lambda: client.post(url, json=body, headers=MOD)] * N)
        assert statuses(answers) == [201] + [409] * (N - 1)
        assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} == {code}
    kinds = sorted(str(k) for (k,) in rows(app, "SELECT kind FROM account_actions WHERE account_id = :a", a=account))
    assert kinds == ["ban", "suspend", "warn"]


def test_an_appeal_and_its_decision_sent_several_times_at_once_are_one_each(app: Townhall, client: TestClient) -> None:
    staff(client)
    account = post(client, "alice", "Hello.")["author"]["id"]
    ban = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "ban", "reason": "Spam."},
                      headers=MOD).json()["action_id"]
    answers = at_once([lambda: client.post(f"/api/v1/me/actions/{ban}/appeal", json={"text": "It was one link."},
                                           headers=auth("alice"))] * N)
    assert statuses(answers) == [201] + [409] * (N - 1)
    appeals = rows(app, "SELECT id FROM appeals WHERE action_id = :a", a=ban)
    assert len(appeals) == 1
    url = f"/api/v1/mod/appeals/{appeals[0][0]}/decision"
    answers = at_once([lambda: client.post(url, json={"outcome": "reverse", "response": "Fair."}, headers=MOD2),
                       lambda: client.post(url, json={"outcome": "uphold", "response": "No."}, headers=MOD2)] * 2)
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert audited(app, "appeal.reversed") + audited(app, "appeal.upheld") == 1
    assert len(rows(app, "SELECT id FROM account_actions WHERE account_id = :a AND kind = 'restore'", a=account)) <= 1
