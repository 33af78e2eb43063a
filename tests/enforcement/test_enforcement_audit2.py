"""Defects found by the second enforcement audit (2026-11-27), through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, T, abusive_texts, audit_actions
from tests.enforcement.test_trust import borderline
from tests.fixtures_app import Clock, auth


def _me(client: TestClient, reader: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=reader)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _struck(client: TestClient, reader: dict[str, str], text: str) -> int:
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    return int(r.json()["error"]["details"]["comment_id"])


def _decide_appeal(client: TestClient, reader: dict[str, str], action_id: int, outcome: str, response: str) -> dict:
    r = client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=reader)
    assert r.status_code == 201, r.text
    appeal = next(a for a in client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
                  if a["action_id"] == action_id)
    r = client.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": outcome, "response": response},
                    headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_editing_a_struck_comment_into_another_insult_is_not_a_second_strike(app, client: TestClient) -> None:
    """A comment the rules refused may be mended and sent again; a mend the rules refuse again is still that one
    comment, which has already cost its strike. It counted twice: one comment, two strikes, a suspension."""
    abuse = abusive_texts(app)
    reader = auth("mender")
    cid = _struck(client, reader, abuse[0])
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": abuse[1]}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned" and me["sanction"] is None, me["actions"]
    assert [a["kind"] for a in me["actions"]] == ["strike", "warn"]
    # another comment is another offence: the ladder climbs as before
    _struck(client, reader, abuse[2])
    me = _me(client, reader)
    assert me["active_strikes"] == 2 and me["state"] == "suspended"


def test_a_moderator_confirming_a_comment_the_rules_already_struck_adds_no_strike(app, client: TestClient) -> None:
    """Refused with a strike, then edited into a borderline text the rules hold: a moderator who rejects the
    held edit confirms the rules on a comment that already cost its strike."""
    abuse, held = abusive_texts(app), borderline(app)
    reader = auth("mended-into-a-hold")
    cid = _struck(client, reader, abuse[0])
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": held}, headers=reader)
    assert r.status_code == 200 and r.json()["verdict"] == "held", r.text
    r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "reject", "reason": "Still an insult."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    me = _me(client, reader)
    assert me["active_strikes"] == 1 and me["state"] == "warned", me["actions"]

    # once that strike was lifted (a moderator approved the comment), a later confirmed hold counts again
    other = auth("approved-then-held")
    cid = _struck(client, other, abuse[0])
    assert client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "approve"}, headers=MOD).status_code == 200
    assert _me(client, other)["active_strikes"] == 0
    cid2 = client.post(T, json={"text": held}, headers=other).json()["comment"]["id"]
    r = client.post(f"/api/v1/mod/comments/{cid2}/decision", json={"action": "reject", "reason": "An insult."},
                    headers=MOD)
    assert r.status_code == 200 and _me(client, other)["active_strikes"] == 1


def test_a_comment_published_again_on_appeal_is_in_the_audit_log(app, client: TestClient) -> None:
    """Every change is audited: the comment a reversed appeal publishes again was not (who, what, why)."""
    abuse = abusive_texts(app)
    reader = auth("restored-on-appeal")
    cid = _struck(client, reader, abuse[0])
    strike = next(a["id"] for a in _me(client, reader)["actions"] if a["kind"] == "strike")
    out = _decide_appeal(client, reader, strike, "reverse", "Sarcasm, not an insult.")
    assert out["restored_comments"] == [cid]
    entries = audit_actions(client, subject_type="comment", subject_id=str(cid))
    restored = [e for e in entries if e["details"].get("after") == "published"]
    assert len(restored) == 1, [e["action"] for e in entries]
    entry = restored[0]
    assert entry["action"] == "comment.approved" and entry["actor"] == "sso:default:mod"
    assert entry["details"]["before"] == "rejected" and entry["details"]["appeal_id"] == out["appeal_id"]
    assert "Sarcasm, not an insult." in entry["details"]["reason"]
    assert cid in [c["id"] for c in client.get(T).json()["comments"]]


def test_the_reader_reads_the_answer_to_an_appeal_against_a_strike(app, client: TestClient) -> None:
    """An appeal upheld against a strike (not a sanction, so not in ``sanction`` or ``warning``) was answered
    nowhere the reader could read it: ``/me`` now names each action's appeal and its answer."""
    abuse = abusive_texts(app)
    reader = auth("told-the-answer")
    _struck(client, reader, abuse[0])
    strike = next(a["id"] for a in _me(client, reader)["actions"] if a["kind"] == "strike")
    assert _decide_appeal(client, reader, strike, "uphold", "It names a person and insults them.")["state"] == "upheld"
    item = next(a for a in _me(client, reader)["actions"] if a["id"] == strike)
    assert item["appeal"] == {"state": "upheld", "response": "It names a person and insults them."}
    assert item["can_appeal"] is False
    # the warning taken with that strike was decided by the same appeal (reversing either lifts both: one event,
    # one appeal, tests/enforcement/test_appeal_covered.py), so it shows that answer and is not appealed again
    warn = next(a for a in _me(client, reader)["actions"] if a["kind"] == "warn")
    assert warn["appeal"] == {"state": "upheld", "response": "It names a person and insults them."}
    assert warn["can_appeal"] is False


def test_a_reversed_appeal_gives_the_trusted_standing_back(app, client: TestClient, clock: Clock) -> None:
    """A sanction taken within ``[trust] clean_days`` keeps a reader from the trusted standing, which is why
    appealing it is not moot; once it was reversed, the restore that lifted it kept them out just the same."""
    text = borderline(app)
    veteran = auth("veteran-wrongly-warned")
    aid = _me(client, veteran)["id"]
    for i in range(20):
        assert client.post(f"/api/v1/threads/t{i}/comments", json={"text": f"Considered remark {i}."},
                           headers=veteran).status_code == 201
    clock.advance(days=31)
    r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "warn", "reason": "Rude."}, headers=MOD)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/threads/x/comments", json={"text": text}, headers=veteran).json()["verdict"] == "held"
    _decide_appeal(client, veteran, int(r.json()["action_id"]), "reverse", "Wrong account; sorry.")
    r = client.post("/api/v1/threads/y/comments", json={"text": text}, headers=veteran)
    assert r.status_code == 201 and r.json()["verdict"] == "published", r.text

    # a moderator lifting a deserved warning (a restore, not a reversal) still keeps the reader out for a while
    lenient = auth("veteran-let-off")
    lid = _me(client, lenient)["id"]
    for i in range(20):
        client.post(f"/api/v1/threads/u{i}/comments", json={"text": f"Measured remark {i}."}, headers=lenient)
    clock.advance(days=31)
    r = client.post(f"/api/v1/mod/accounts/{lid}/sanctions", json={"sanction": "warn", "reason": "Rude."}, headers=MOD)
    assert r.status_code == 201
    assert client.post(f"/api/v1/mod/accounts/{lid}/restore", json={"reason": "Let off."}, headers=MOD).status_code == 200
    r = client.post("/api/v1/threads/z/comments", json={"text": text}, headers=lenient)
    assert r.status_code == 201 and r.json()["verdict"] == "held", r.text


def test_only_a_suspension_takes_hours(client: TestClient, clock: Clock) -> None:
    """A ban, warning or premoderation sent with ``hours`` was taken without an end (the hours were dropped): a
    moderator meaning a two-hour ban banned the reader for good. It is refused instead."""
    reader = auth("meant-for-two-hours")
    aid = _me(client, reader)["id"]
    for sanction in ("ban", "warn", "premoderate"):
        r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": sanction, "reason": "x", "hours": 2},
                        headers=MOD)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"]["field"] == "hours"
    me = _me(client, reader)
    assert me["state"] == "active" and me["actions"] == []
    r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "suspend", "reason": "x", "hours": 2},
                    headers=MOD)
    assert r.status_code == 201
    clock.advance(hours=3)
    assert client.post(T, json={"text": "Back after two hours."}, headers=reader).status_code == 201
