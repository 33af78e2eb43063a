"""Sanctions that stick: an account's standing is the strongest sanction in force, whatever order sanctions
came in, whichever were lifted, and whatever the reader does (erase the account, edit, report). Through the
HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, T, abusive_texts
from tests.fixtures_app import Clock, auth


def _account(client: TestClient, reader: dict[str, str]) -> int:
    return int(client.get("/api/v1/me", headers=reader).json()["id"])


def _sanction(client: TestClient, aid: int, sanction: str, reason: str, **extra: object) -> int:
    r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": sanction, "reason": reason, **extra}, headers=MOD)
    assert r.status_code in (200, 201), r.text
    return int(r.json()["action_id"])


def _reverse_on_appeal(client: TestClient, reader: dict[str, str], action_id: int) -> dict:
    assert client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please."}, headers=reader).status_code == 201
    appeal = next(a for a in client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"] if a["action_id"] == action_id)
    r = client.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Granted."}, headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_later_lighter_sanction_neither_shortens_nor_softens_one_in_force(client: TestClient, clock: Clock) -> None:
    long_ = auth("long-suspension")
    _sanction(client, _account(client, long_), "suspend", "Spam", hours=720)
    _sanction(client, _account(client, long_), "suspend", "More spam", hours=1)
    clock.advance(hours=2)
    r = client.post(T, json={"text": "Back already?"}, headers=long_)
    assert r.status_code == 403 and r.json()["error"]["details"]["sanction"] == "suspend"

    banned = auth("banned-then-suspended")
    _sanction(client, _account(client, banned), "ban", "Death threats")
    _sanction(client, _account(client, banned), "suspend", "Spam", hours=1)
    clock.advance(hours=2)
    r = client.post(T, json={"text": "Still banned?"}, headers=banned)
    assert r.status_code == 403 and r.json()["error"]["message"].startswith("You are banned")
    me = client.get("/api/v1/me", headers=banned).json()
    assert me["state"] == "banned" and me["sanction"]["sanction"] == "ban"

    premod = auth("premoderated-then-suspended")
    _sanction(client, _account(client, premod), "premoderate", "New account, odd pattern")
    _sanction(client, _account(client, premod), "suspend", "Spam", hours=1)
    clock.advance(hours=2)
    r = client.post(T, json={"text": "A calm comment after the suspension."}, headers=premod)
    assert r.status_code == 201 and r.json()["comment"]["status"] == "held"  # premoderation outlived the suspension


def test_reversing_a_lesser_action_leaves_the_ban(client: TestClient) -> None:
    reader = auth("banned-and-warned")
    aid = _account(client, reader)
    _sanction(client, aid, "ban", "Death threats")
    warning = _sanction(client, aid, "warn", "Off topic")
    _reverse_on_appeal(client, reader, warning)
    assert client.get("/api/v1/me", headers=reader).json()["state"] == "banned"
    assert client.post(T, json={"text": "Free again?"}, headers=reader).status_code == 403


def test_reversing_the_first_strike_keeps_the_second(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("two-strikes")
    for text in abuse[:2]:
        assert client.post(T, json={"text": text}, headers=reader).status_code == 422
    me = client.get("/api/v1/me", headers=reader).json()
    assert me["state"] == "suspended" and me["active_strikes"] == 2
    first = min(a["id"] for a in me["actions"] if a["kind"] == "strike")
    _reverse_on_appeal(client, reader, first)
    me = client.get("/api/v1/me", headers=reader).json()
    # the suspension counted the lifted strike, so it goes; the second comment's strike is an offence of its own
    assert me["active_strikes"] == 1 and me["sanction"] is None
    assert client.post(T, json={"text": "Thank you."}, headers=reader).status_code == 201


def test_reversing_a_strike_that_had_run_out_leaves_the_ladder_that_came_after(app, client: TestClient,
                                                                                  clock: Clock) -> None:
    abuse = abusive_texts(app)
    reader = auth("old-strike")
    assert client.post(T, json={"text": abuse[0]}, headers=reader).status_code == 422
    old = next(a["id"] for a in client.get("/api/v1/me", headers=reader).json()["actions"] if a["kind"] == "strike")
    # appealed while it counted (once run out, and bearing on nothing, it could no longer be appealed:
    # tests/api/test_api_quirks.py); the moderator answers after it ran out
    assert client.post(f"/api/v1/me/actions/{old}/appeal", json={"text": "Please."}, headers=reader).status_code == 201
    clock.advance(days=100)  # the strike has run out (strike_expiry_days = 90)
    for text in abuse[:3]:  # three new strikes: a warning, a suspension, a ban, none of which counted the old one
        assert client.post(T, json={"text": text}, headers=reader).status_code == 422
        clock.advance(hours=25)
    assert client.get("/api/v1/me", headers=reader).json()["state"] == "banned"
    appeal = next(a for a in client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"] if a["action_id"] == old)
    r = client.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Granted."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    me = client.get("/api/v1/me", headers=reader).json()
    assert me["state"] == "banned" and me["active_strikes"] == 3
    assert [a["kind"] for a in me["actions"] if a["revoked"]] == ["strike", "warn"]  # the old strike and its warning
    assert client.post(T, json={"text": "Free again?"}, headers=reader).status_code == 403


def test_approving_a_comment_the_rules_rejected_lifts_its_strike(app, client: TestClient) -> None:
    abuse = abusive_texts(app)
    reader = auth("false-positive")
    ids = [client.post(T, json={"text": text}, headers=reader).json()["error"]["details"]["comment_id"] for text in abuse[:2]]
    assert client.get("/api/v1/me", headers=reader).json()["state"] == "suspended"
    for cid in ids:
        r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "approve"}, headers=MOD)
        assert r.status_code == 200, r.text
    me = client.get("/api/v1/me", headers=reader).json()
    assert me["active_strikes"] == 0 and me["state"] == "active" and me["sanction"] is None
    assert client.post(T, json={"text": "Thanks for checking."}, headers=reader).status_code == 201


def test_erasing_the_account_is_no_way_out_of_a_ban(client: TestClient) -> None:
    reader = auth("eraser")
    aid = _account(client, reader)
    _sanction(client, aid, "ban", "Abuse")
    assert client.delete("/api/v1/me", headers=reader).status_code == 200
    r = client.post(T, json={"text": "I'm back"}, headers=reader)
    assert r.status_code == 403 and r.json()["error"]["details"]["sanction"] == "ban"
    me = client.get("/api/v1/me", headers=reader).json()
    assert me["id"] == aid and me["state"] == "banned"

    free = auth("free-eraser")  # an account in good standing is erased for good: the same sign-in starts afresh
    old = _account(client, free)
    assert client.delete("/api/v1/me", headers=free).status_code == 200
    assert _account(client, free) != old


def test_an_author_cannot_bring_back_a_comment_a_moderator_removed(client: TestClient) -> None:
    reader = auth("editor")
    cid = client.post(T, json={"text": "Buy cheap watches at my shop."}, headers=reader).json()["comment"]["id"]
    r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "reject", "reason": "Spam"}, headers=MOD)
    assert r.status_code == 200
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "Buy cheap watches at my shop!"}, headers=reader)
    assert r.status_code == 403 and r.json()["error"]["code"] == "removed_by_moderator"
    assert cid not in [c["id"] for c in client.get(T).json()["comments"]]

    gone = client.post(T, json={"text": "I take this back."}, headers=reader).json()["comment"]["id"]
    assert client.delete(f"/api/v1/comments/{gone}", headers=reader).status_code == 204
    r = client.post(f"/api/v1/mod/comments/{gone}/decision", json={"action": "approve"}, headers=MOD)
    assert r.status_code == 409
    assert gone not in [c["id"] for c in client.get(T).json()["comments"]]


def test_a_banned_reader_cannot_report(client: TestClient) -> None:
    cid = client.post(T, json={"text": "A view some will dislike."}, headers=auth("author")).json()["comment"]["id"]
    reader = auth("banned-reporter")
    _sanction(client, _account(client, reader), "ban", "Abuse")
    r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "abusive"}, headers=reader)
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_sanctioned"


def test_the_same_appeal_sent_twice_at_once_is_filed_once(client: TestClient) -> None:
    for i in range(4):
        reader = auth(f"twice-{i}")
        action = _sanction(client, _account(client, reader), "ban", "Abuse")
        barrier, codes = threading.Barrier(2), []

        def send() -> None:
            barrier.wait()
            codes.append(client.post(f"/api/v1/me/actions/{action}/appeal", json={"text": "Please"}, headers=reader).status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [201, 409]


def test_a_ban_and_a_suspension_at_once_leave_the_ban(client: TestClient, clock: Clock) -> None:
    for i in range(4):
        reader = auth(f"raced-{i}")
        aid = _account(client, reader)
        barrier = threading.Barrier(2)

        def act(sanction: str, **extra: object) -> None:
            barrier.wait()
            _sanction(client, aid, sanction, "At once", **extra)

        threads = [threading.Thread(target=act, args=("ban",)), threading.Thread(target=act, args=("suspend",), kwargs={"hours": 1})]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        clock.advance(hours=2)
        assert client.post(T, json={"text": "Free?"}, headers=reader).status_code == 403


def test_a_reversed_ban_publishes_the_comment_it_was_given_for(client: TestClient) -> None:
    reader = auth("spammer-or-not")
    cid = client.post(T, json={"text": "Visit my page for the full story."}, headers=reader).json()["comment"]["id"]
    ban = _sanction(client, _account(client, reader), "ban", "Spam", comment_id=cid)
    assert client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "reject", "reason": "Spam"},
                       headers=MOD).status_code == 200
    assert _reverse_on_appeal(client, reader, ban)["restored_comments"] == [cid]
    assert cid in [c["id"] for c in client.get(T).json()["comments"]]
    other = client.post(T, json={"text": "Someone else's comment."}, headers=auth("bystander")).json()["comment"]["id"]
    r = client.post(f"/api/v1/mod/accounts/{_account(client, reader)}/sanctions",
                    json={"sanction": "warn", "reason": "x", "comment_id": other}, headers=MOD)
    assert r.status_code == 422  # a sanction names only the account's own comment


def _erased_while(client: TestClient, sub: str, sanction: str, **extra: object) -> tuple[dict[str, str], int]:
    reader = auth(sub)
    aid = _account(client, reader)
    _sanction(client, aid, sanction, "Abuse", **extra)
    assert client.delete("/api/v1/me", headers=reader).status_code == 200
    return reader, aid


def test_an_erasure_is_finished_once_the_sanction_it_waited_for_is_over(app, client: TestClient, clock: Clock) -> None:
    """Erasure keeps a keyed hash of the sign-in only while a ban or suspension is in force (the test above);
    lifted by a moderator, run out before the reader signs in again, or found over by the daily purge, the
    account is erased for good and the same sign-in starts afresh."""
    from townhall.service import privacy
    from townhall.store import people

    def subject(aid: int) -> str:
        with app.services.db.read() as conn:
            return str(people.get_account(conn, aid)["subject"])

    lifted, lifted_id = _erased_while(client, "erased-then-lifted", "ban")
    assert subject(lifted_id).startswith("sanctioned:")
    r = client.post(f"/api/v1/mod/accounts/{lifted_id}/restore", json={"reason": "Ban lifted"}, headers=MOD)
    assert r.status_code == 200, r.text
    assert subject(lifted_id).startswith("erased:")
    assert _account(client, lifted) != lifted_id

    ran_out, ran_out_id = _erased_while(client, "erased-then-served", "suspend", hours=24)
    purged, purged_id = _erased_while(client, "erased-then-purged", "suspend", hours=24)
    banned, banned_id = _erased_while(client, "erased-and-banned", "ban")
    clock.advance(hours=25)
    assert _account(client, ran_out) != ran_out_id and subject(ran_out_id).startswith("erased:")
    assert privacy.purge_signals(app.services)["erasures_completed"] == 1
    assert subject(purged_id).startswith("erased:") and _account(client, purged) != purged_id
    assert subject(banned_id).startswith("sanctioned:")  # a ban in force keeps the link
    assert _account(client, banned) == banned_id
