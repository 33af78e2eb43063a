"""Defects found by the audit of appeals and of what the reader is told (2026-11-27), through the HTTP API on
SQLite and PostgreSQL, and the appeal paths the audit tried that held."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, T, abusive_texts, audit_actions
from tests.enforcement.test_scope import _installation_policy, _site
from tests.enforcement.test_trust import borderline
from tests.fixtures_app import auth

Headers = dict[str, str]


def _me(client: TestClient, reader: Headers, **kw: Any) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=reader, **kw)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _sanction(client: TestClient, account_id: int, sanction: str, reason: str = "Abuse", **extra: Any) -> int:
    r = client.post(f"/api/v1/mod/accounts/{account_id}/sanctions", json={"sanction": sanction, "reason": reason, **extra},
                    headers=MOD)
    assert r.status_code == 201, r.text
    return int(r.json()["action_id"])


def _appeal(client: TestClient, reader: Headers, action_id: int, **kw: Any) -> int:
    r = client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=reader, **kw)
    assert r.status_code == 201, r.text
    return int(r.json()["appeal_id"])


def _decide(client: TestClient, appeal_id: int, outcome: str, response: str = "Answered.",
            moderator: Headers = MOD, **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", json={"outcome": outcome, "response": response, **extra},
                    headers=moderator)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _public(client: TestClient, path: str = T) -> list[int]:
    """The comments another reader sees (signed in: never a cached page, which may be a second old)."""
    return [int(c["id"]) for c in client.get(path, headers=auth("onlooker")).json()["comments"]]


@pytest.mark.parametrize("outcomes", [("reverse", "reverse"), ("reverse", "uphold")])
def test_two_moderators_answering_one_appeal_at_once_one_wins_and_the_other_is_told(client: TestClient,
                                                                                   outcomes: tuple[str, str]) -> None:
    """On PostgreSQL the second moderator read the appeal before waiting for the account's lock; when the first
    one reversed it, the second found the action lifted and the (stale) appeal open, and was answered 200 "moot":
    "the action was already lifted; the appeal was closed without an answer" — for an appeal just granted, or
    when they meant to uphold it. The other answer is now a 409 naming the state it was decided in, audited."""
    for n in range(4):
        reader = auth(f"raced-appeal-{outcomes[1]}-{n}")
        account = _me(client, reader)["id"]
        appeal_id = _appeal(client, reader, _sanction(client, account, "ban"))
        barrier = threading.Barrier(2)
        answers: dict[str, tuple[int, dict[str, Any]]] = {}

        def answer(name: str, outcome: str) -> None:
            moderator = auth(name, role="moderator")
            barrier.wait()
            r = client.post(f"/api/v1/mod/appeals/{appeal_id}/decision",
                            json={"outcome": outcome, "response": f"{name}: {outcome}"}, headers=moderator)
            answers[name] = (r.status_code, r.json())

        threads = [threading.Thread(target=answer, args=(f"m{i}-{n}", o)) for i, o in enumerate(outcomes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(code for code, _ in answers.values())
        assert codes == [200, 409], answers
        (winner, (_, won)), = [(k, v) for k, v in answers.items() if v[0] == 200]
        (loser, (_, lost)), = [(k, v) for k, v in answers.items() if v[0] == 409]
        assert won["state"] in ("reversed", "upheld")
        assert lost["error"]["message"] == "Another moderator has already decided this appeal."
        assert lost["error"]["details"] == {"state": won["state"]}
        told = next(a["appeal"] for a in _me(client, reader)["actions"] if a["kind"] == "ban")
        assert told == {"state": won["state"], "response": f"{winner}: {outcomes[int(winner[1])]}"}
        entries = audit_actions(client, subject_type="appeal", subject_id=str(appeal_id))
        conflict = [e for e in entries if e["action"] == "appeal.decision_conflict"]
        assert len(conflict) == 1 and conflict[0]["actor"].endswith(loser), entries
        assert conflict[0]["details"]["found"] == won["state"]
        assert [e["action"] for e in entries if e["action"] in ("appeal.reversed", "appeal.upheld", "appeal.moot")] \
            == [f"appeal.{won['state']}"]


def test_a_premoderation_reversed_on_appeal_publishes_the_comments_it_alone_held(app, client: TestClient) -> None:
    """A granted appeal says the premoderation was wrong; the comments held only because of it stayed held (out
    of sight, waiting in the moderators' queue), whereas the release of a premoderation taken on ban-evasion
    evidence publishes them. A comment a house rule held stays for a moderator."""
    held_text = borderline(app)
    reader = auth("wrongly-premoderated")
    account = _me(client, reader)["id"]
    premod = _sanction(client, account, "premoderate", "Looks like a sock puppet")
    calm = client.post(T, json={"text": "A calm remark about the budget."}, headers=reader).json()["comment"]
    rude = client.post(T, json={"text": held_text}, headers=reader).json()["comment"]
    assert calm["status"] == "held" and rude["status"] == "held"
    out = _decide(client, _appeal(client, reader, premod), "reverse", "Not a sock puppet; sorry.")
    assert out["restored_comments"] == [calm["id"]]
    assert calm["id"] in _public(client) and rude["id"] not in _public(client)
    held = [i["id"] for i in client.get("/api/v1/mod/queues/held", headers=MOD).json()["items"]]
    assert held == [rude["id"]]
    approved = [e for e in audit_actions(client, subject_type="comment", subject_id=str(calm["id"]))
                if e["action"] == "comment.approved"]
    assert len(approved) == 1 and approved[0]["details"]["appeal_id"] == out["appeal_id"]
    assert "Not a sock puppet; sorry." in approved[0]["details"]["reason"]
    assert _me(client, reader)["premoderation"] is None

    # upheld, or reversed without restoring comments: nothing is released; a warning beside it holds nothing back
    for case in ("upheld", "no-restore", "warned"):
        other = auth(f"premoderated-{case}")
        aid = _me(client, other)["id"]
        action = _sanction(client, aid, "premoderate", "Odd pattern")
        if case == "warned":
            _sanction(client, aid, "warn", "Rude")
        cid = client.post(T, json={"text": f"Calm words ({case})."}, headers=other).json()["comment"]["id"]
        appeal_id = _appeal(client, other, action)
        if case == "upheld":
            assert _decide(client, appeal_id, "uphold", "It stands.")["restored_comments"] == []
        elif case == "no-restore":
            assert _decide(client, appeal_id, "reverse", "Lifted.", restore_comments=False)["restored_comments"] == []
        else:
            assert _decide(client, appeal_id, "reverse", "Lifted.")["restored_comments"] == [cid]
        assert (cid in _public(client)) is (case == "warned")


def test_a_ban_reversed_on_appeal_does_not_release_comments_while_another_ban_holds(client: TestClient) -> None:
    """Releasing held comments needs the reader to be free to post: a premoderation reversed while a ban stands
    releases nothing (the ban's own appeal decides)."""
    reader = auth("premoderated-then-banned")
    account = _me(client, reader)["id"]
    premod = _sanction(client, account, "premoderate", "Odd pattern")
    cid = client.post(T, json={"text": "Calm words before the ban."}, headers=reader).json()["comment"]["id"]
    _sanction(client, account, "ban", "Threats elsewhere")
    assert _decide(client, _appeal(client, reader, premod), "reverse", "Premoderation lifted.")["restored_comments"] == []
    assert cid not in _public(client) and _me(client, reader)["state"] == "banned"


def test_a_comment_published_again_on_appeal_is_announced_live(app, client: TestClient) -> None:
    """Every other way a comment is published announces it on the thread's live stream (a moderator's approval,
    an evasion release); the comment a granted appeal published again reached live readers only on reload."""
    events: list[tuple[str, dict[str, Any]]] = []
    app.services.events.watchers.append(lambda site, thread, event: events.append((thread, event)))
    reader = auth("struck-then-restored")
    r = client.post(T, json={"text": abusive_texts(app)[0]}, headers=reader)
    assert r.status_code == 422, r.text
    cid = int(r.json()["error"]["details"]["comment_id"])
    strike = next(a["id"] for a in _me(client, reader)["actions"] if a["kind"] == "strike")
    events.clear()
    assert _decide(client, _appeal(client, reader, strike), "reverse", "Sarcasm.")["restored_comments"] == [cid]
    author = _me(client, reader)["id"]  # the author too: a reader's widget leaves out those of readers it ignores
    assert ("article-1", {"type": "comment.published", "id": cid, "parent_id": None, "author_id": author}) in events


def test_an_installation_ban_reversed_on_appeal_gives_the_trusted_standing_back_on_every_site(
        make_app, db_url: str, tmp_path: Path, clock: Any) -> None:
    """A ban found wrong on appeal is lifted on the other sites it was carried to (``ban_scope = "installation"``),
    but there the restore was recorded as a moderator's leniency, not a reversal: the reader's long clean
    record on the sister site counted as sanctioned, and their borderline comments were held there for
    ``[trust] clean_days``, while on the site that granted the appeal they were not."""
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    text = borderline(app)
    sister = {"params": {"site": "sister"}}
    with TestClient(app) as client:
        reader = auth("veteran-banned-by-mistake")
        account = _me(client, reader)["id"]
        for i in range(20):
            r = client.post(f"/api/v1/threads/s{i}/comments", json={"text": f"Considered remark {i}."}, headers=reader,
                            **sister)
            assert r.status_code == 201, r.text
        clock.advance(days=31)
        ban = _sanction(client, account, "ban", "Wrong account")
        assert _me(client, reader, **sister)["state"] == "banned"
        _decide(client, _appeal(client, reader, ban), "reverse", "Wrong account; sorry.")
        me = _me(client, reader, **sister)
        assert me["state"] == "active"
        assert [a["rule"] for a in me["actions"] if a["kind"] == "restore"] == ["reversal"]
        r = client.post("/api/v1/threads/after/comments", json={"text": text}, headers=reader, **sister)
        assert r.status_code == 201 and r.json()["verdict"] == "published", r.text


def test_appeal_paths_that_hold(make_app, db_url: str) -> None:
    """The paths the audit tried and found right, kept as they are: who may appeal what, with what text, and
    what a banned or erased reader can still do."""
    app = make_app(db_url)
    _site(app, "sister")
    with TestClient(app) as client:
        reader, other = auth("appellant"), auth("bystander")
        account = _me(client, reader)["id"]
        ban = _sanction(client, account, "ban")
        url = f"/api/v1/me/actions/{ban}/appeal"
        for text in ("", "   ", "a\x00b", "x" * 2001):  # empty, blank, NUL, over the 2,000 characters
            assert client.post(url, json={"text": text}, headers=reader).status_code == 422, repr(text[:5])
        assert client.post(url, json={"text": "Hi"}, headers=other).status_code == 404  # someone else's action
        assert client.post(url, json={"text": "Hi"}, headers=reader, params={"site": "sister"}).status_code == 404
        assert client.delete("/api/v1/me", headers=reader).status_code == 200  # erased while banned: still appeals
        r = client.post(url, json={"text": "<b>I was hacked</b>"}, headers=reader)
        assert r.status_code == 201, r.text
        again = client.post(url, json={"text": "Again"}, headers=reader)
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_appealed"
        appeal_id = int(r.json()["appeal_id"])
        r = client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", params={"site": "sister"},
                        json={"outcome": "reverse", "response": "x"}, headers=auth("sister-mod", role="moderator"))
        assert r.status_code == 403  # a moderator of another site
        assert client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", json={"outcome": "reverse", "response": "x"},
                           headers=other).status_code == 403  # a reader
        for response in ("   ", "a\x00", "x" * 2001):
            r = client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", json={"outcome": "uphold", "response": response},
                            headers=MOD)
            assert r.status_code == 422, repr(response[:5])
        out = _decide(client, appeal_id, "uphold", "The ban stands.")
        assert out["state"] == "upheld"
        me = _me(client, reader)
        assert me["sanction"]["appeal"] == {"state": "upheld", "response": "The ban stands."}
        assert me["sanction"]["can_appeal"] is False
        restore = client.post(f"/api/v1/mod/accounts/{account}/restore", json={"reason": "Time served."}, headers=MOD)
        restore_id = int(restore.json()["action_id"])
        r = client.post(f"/api/v1/me/actions/{restore_id}/appeal", json={"text": "Hi"}, headers=reader)
        assert r.status_code == 422  # a restore is not appealable
