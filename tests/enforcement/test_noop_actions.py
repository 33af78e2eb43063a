"""A moderation action that changes nothing writes nothing that says it changed something (through the HTTP API, on
SQLite and PostgreSQL): a restore of an account with nothing in force, a repeated rejection or approval of a comment,
closing a closed thread (or opening an open one). Each test failed before the fix (2026-11-28)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from townhall.service.accounts import trusted
from townhall.store import people
from tests.enforcement.test_enforcement_audit2 import _me, _struck
from tests.enforcement.test_ladder import MOD, T, abusive_texts, audit_actions
from tests.fixtures_app import Clock, auth

MOD2 = auth("mod-2", role="moderator")


def _is_trusted(app: Any, account_id: int) -> bool:
    svc = app.services
    with svc.db.read() as conn:
        account = people.get_account(conn, account_id)
        assert account is not None
        return trusted(conn, svc, account, svc.policies.for_site(svc.site(str(account["site_id"]))))


def _veteran(client: TestClient, clock: Clock, sub: str) -> tuple[dict[str, str], int]:
    """A reader with a long clean history (the shipped [trust]: 30 days old, 20 published comments)."""
    reader = auth(sub)
    account = int(_me(client, reader)["id"])
    for i in range(20):
        r = client.post(f"/api/v1/threads/v{i}/comments", json={"text": f"Thoughtful remark number {i}."}, headers=reader)
        assert r.status_code == 201, r.text
    clock.advance(days=31)
    return reader, account


def _restore(client: TestClient, account: int, headers: dict[str, str] = MOD, **body: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/mod/accounts/{account}/restore", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _restores(client: TestClient, account: int) -> list[dict[str, Any]]:
    return audit_actions(client, action="account.restore", subject_type="account", subject_id=str(account))


# --- a restore with nothing to lift ---------------------------------------------------------------------------------
def test_restoring_a_clean_account_writes_nothing_and_costs_no_trust(app, client: TestClient, clock: Clock) -> None:
    """A "restore" of an account with nothing in force wrote a restore into the reader's record, and a moderator's
    restore keeps a reader from the trusted standing for [trust] clean_days: lifting nothing cost a trusted reader
    their trust for 90 days."""
    reader, account = _veteran(client, clock, "clean-veteran")
    assert _is_trusted(app, account)
    for body in ({"reason": "Just in case."}, {"reason": "A fresh start.", "clear_strikes": True}):
        out = _restore(client, account, **body)
        assert out["action_id"] is None and out["revoked"] == [] and out["cleared_strikes"] == [], out
        assert "nothing to lift" in out["notice"].lower()
    assert _me(client, reader)["actions"] == []
    assert _restores(client, account) == []
    assert _is_trusted(app, account)


def test_a_sanction_that_ran_out_or_strikes_left_standing_are_nothing_to_lift(app, client: TestClient, clock: Clock) -> None:
    """A suspension that ran out is history: a restore does not mark it lifted. Strikes in force are lifted only with
    clear_strikes; without it, a restore of an account with strikes but no sanction lifts nothing either."""
    reader = auth("served-time")
    account = int(_me(client, reader)["id"])
    r = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "suspend", "reason": "Cool off.",
                                                                         "hours": 2}, headers=MOD)
    assert r.status_code == 201, r.text
    clock.advance(hours=3)
    out = _restore(client, account, reason="Lifted.")
    assert out["action_id"] is None and out["revoked"] == [], out
    assert [(a["kind"], a["revoked"]) for a in _me(client, reader)["actions"]] == [("suspend", False)]
    assert _restores(client, account) == []
    # the account's stored state, which the dashboard shows, no longer says suspended
    assert client.get(f"/api/v1/mod/accounts/{account}", headers=MOD).json()["account"]["state"] == "active"

    struck = auth("struck-once")
    _struck(client, struck, abusive_texts(app)[0])  # a strike and the ladder's warning (shipped rules)
    sid = int(_me(client, struck)["id"])
    lifted = _restore(client, sid, reason="Lifted.")  # the warning is in force: a real restore, strikes stand
    assert lifted["action_id"] is not None and len(lifted["revoked"]) == 1
    again = _restore(client, sid, headers=MOD2, reason="Lifted too.")  # nothing in force now, the strike stands
    assert again["action_id"] is None and "clear_strikes" in again["notice"], again
    cleared = _restore(client, sid, headers=MOD2, reason="A fresh start.", clear_strikes=True)
    assert cleared["action_id"] is not None and len(cleared["cleared_strikes"]) == 1
    me = _me(client, struck)
    assert [a["kind"] for a in me["actions"]].count("restore") == 2 and me["active_strikes"] == 0
    assert len(_restores(client, sid)) == 2


# --- decisions on a comment that is already so -----------------------------------------------------------------------
def _decide(client: TestClient, cid: int, action: str, headers: dict[str, str] = MOD, **body: Any) -> Any:
    return client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": action, **body}, headers=headers)


def _decisions(client: TestClient, account: int, cid: int) -> list[tuple[str, str]]:
    r = client.get(f"/api/v1/mod/accounts/{account}", headers=MOD)
    assert r.status_code == 200, r.text
    [comment] = [c for c in r.json()["comments"] if c["id"] == cid]
    return [(d["source"], d["verdict"]) for d in comment["decisions"]]


def _audited(client: TestClient, action: str, cid: int) -> int:
    return len(audit_actions(client, action=action, subject_type="comment", subject_id=str(cid)))


def test_rejecting_a_rejected_comment_again_writes_no_second_decision(app, client: TestClient) -> None:
    """Without expect_status, the same moderator's second rejection wrote another decision and audit entry."""
    reader = auth("rejected-once")
    r = client.post(T, json={"text": "An ordinary remark."}, headers=reader)
    cid, account = int(r.json()["comment"]["id"]), int(r.json()["comment"]["author"]["id"])
    assert _decide(client, cid, "reject", reason="Off topic.").status_code == 200
    again = _decide(client, cid, "reject", reason="Off topic.")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided", again.text
    other = _decide(client, cid, "reject", headers=MOD2, reason="Also off topic.")
    assert other.status_code == 409 and other.json()["error"]["code"] != "already_decided", other.text
    assert _decisions(client, account, cid) == [("pipeline", "publish"), ("moderator", "reject")]
    assert _audited(client, "comment.moderated_rejected", cid) == 1
    [removed] = _me(client, reader)["removed_comments"]
    assert removed["reason"] == "Off topic."  # the first moderator's reason stands


def test_confirming_a_rule_rejection_is_recorded_once(app, client: TestClient) -> None:
    """A moderator's rejection of a comment the house rules rejected confirms the rules (the reader then reads the
    moderator's reason): recorded; the same moderator's repeat is not, nor does it add a strike."""
    reader = auth("rule-rejected")
    cid = _struck(client, reader, abusive_texts(app)[0])
    account = int(_me(client, reader)["id"])
    r = _decide(client, cid, "reject", reason="An insult.")
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    again = _decide(client, cid, "reject", reason="An insult.", expect_status="rejected")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided", again.text
    assert _decisions(client, account, cid) == [("pipeline", "reject"), ("moderator", "reject")]
    assert _audited(client, "comment.moderated_rejected", cid) == 1
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and [c["reason"] for c in me["removed_comments"]] == ["An insult."]


def test_approving_a_published_comment_changes_nothing_unless_it_settles_reports(app, client: TestClient) -> None:
    """Approving a published comment with no open reports wrote a decision and a "comment.approved" entry for a
    comment nothing happened to; with open reports it is a "Keep", which settles them, once."""
    r = client.post(T, json={"text": "A fair point about the budget."}, headers=auth("published-writer"))
    cid, account = int(r.json()["comment"]["id"]), int(r.json()["comment"]["author"]["id"])
    r = _decide(client, cid, "approve")
    assert r.status_code == 200 and r.json()["status"] == "published" and "already published" in r.json()["notice"], r.text
    assert _decisions(client, account, cid) == [("pipeline", "publish")]
    assert _audited(client, "comment.approved", cid) == 0

    report = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=auth("reporter"))
    assert report.status_code in (200, 201), report.text
    kept = _decide(client, cid, "approve", reason="Keep")
    assert kept.status_code == 200 and "notice" not in kept.json(), kept.text
    again = _decide(client, cid, "approve", reason="Keep")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided", again.text
    assert _decisions(client, account, cid) == [("pipeline", "publish"), ("moderator", "publish")]
    assert _audited(client, "comment.approved", cid) == 1


# --- a thread's state -------------------------------------------------------------------------------------------------
def test_closing_a_closed_thread_or_opening_an_open_one_is_not_audited(app, client: TestClient) -> None:
    assert client.post("/api/v1/threads/noop-thread/comments", json={"text": "First."}, headers=auth("t")).status_code == 201
    url = "/api/v1/mod/threads/noop-thread/state"
    answers = [client.put(url, json={"state": state}, headers=MOD) for state in ("closed", "closed", "open", "open")]
    assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]
    assert [r.json()["state"] for r in answers] == ["closed", "closed", "open", "open"]
    assert answers[1].json() == answers[0].json() and answers[3].json() == answers[2].json()
    entries = audit_actions(client, subject_type="thread", subject_id="noop-thread")
    assert [e["action"] for e in entries] == ["thread.closed", "thread.open"]
