"""Lock order on PostgreSQL: write paths that lock both an account and one of its comments take the account's
row first, then the comment's (see :mod:`townhall.store.people`). Two such paths run at once, in opposite
orders, deadlock: PostgreSQL then kills one of them after ``deadlock_timeout`` and the reader or moderator
gets a 500.

Each case races two real requests through the app, from two threads released by a barrier, round after
round (a fresh reader and comment each round), and asserts that no request failed with a server error and
that what was stored is consistent: a comment's status is its latest decision's, one comment carries one
strike in force at most, and an account's state is the one its sanctions in force give.
``TOWNHALL_LOCK_ROUNDS`` sets the rounds per case (default 12)."""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.service.enforcement import action_in_force, state_of

pytestmark = [pytest.mark.postgres]

T = "/api/v1/threads/lock-order/comments"
MOD = auth("mod-one", role="moderator")
MOD2 = auth("mod-two", role="moderator")
ROUNDS = int(os.environ.get("TOWNHALL_LOCK_ROUNDS", "12"))
HELD_TEXT = "You are wrong and a bit silly."  # held by the abusive rule (a strike-bearing rule) for a moderator
HELD_EDIT = "You fool."  # held again by the same rule
STRUCK_TEXT = "You are an idiot."  # refused with a strike
VERDICT_STATUS = {"publish": "published", "hold": "held", "reject": "rejected", "deleted": "deleted"}

Request = Callable[[TestClient, dict[str, Any]], int]


@pytest.fixture
def pg_client(make_app, postgres) -> Iterator[tuple[Any, TestClient]]:
    app = make_app(postgres.fresh())
    policy = app.services.policies.get()
    from townhall.policy.types import Subject, Verdict

    texts = {HELD_TEXT: Verdict.HOLD, HELD_EDIT: Verdict.HOLD, STRUCK_TEXT: Verdict.REJECT}
    for text, verdict in texts.items():  # the shipped model, not the lock order, would be at fault
        if policy.evaluate(Subject(text=text)).verdict is not verdict:
            pytest.fail(f"the shipped model no longer gives {verdict.value} for {text!r}; choose another text")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


def _post(client: TestClient, reader: dict[str, str], text: str) -> int:
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code in (201, 422), r.text
    return int((r.json().get("comment") or r.json()["error"]["details"])["id" if r.status_code == 201 else "comment_id"])


def _me(client: TestClient, reader: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=reader)
    assert r.status_code == 200, r.text
    return r.json()


def _race(client: TestClient, setup: Callable[[TestClient, int], dict[str, Any]], first: Request, second: Request,
          allowed: tuple[set[int], set[int]]) -> list[dict[str, Any]]:
    """``ROUNDS`` rounds of ``first`` and ``second`` at once on what ``setup`` made (``allowed``: the status
    codes each may answer); returns each round's case. A deadlock shows as a 500, after PostgreSQL's
    ``deadlock_timeout`` (a second)."""
    cases: list[dict[str, Any]] = []
    codes: list[tuple[int, int]] = []
    rng = random.Random(20261127)
    for n in range(ROUNDS):
        case = setup(client, n)
        barrier = threading.Barrier(2)
        out: list[int] = [0, 0]
        jitter = [0.0, 0.0]
        jitter[n % 2] = rng.uniform(0, 0.004)  # sweep the overlap of the two transactions

        def run(i: int, request: Request) -> None:
            barrier.wait()
            time.sleep(jitter[i])
            out[i] = request(client, case)

        threads = [threading.Thread(target=run, args=(0, first)), threading.Thread(target=run, args=(1, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cases.append(case)
        codes.append((out[0], out[1]))
    failed = [(n, c) for n, c in enumerate(codes) if c[0] not in allowed[0] or c[1] not in allowed[1]]
    assert not failed, f"{len(failed)} of {ROUNDS} rounds failed (round, status codes): {failed}"
    return cases


def _consistent(app: Any, account_ids: set[int]) -> None:
    """What the races left behind makes sense, whichever request won."""
    svc = app.services
    with svc.db.read() as conn:
        for aid in sorted(account_ids):
            rows = conn.execute(sa.text(
                "SELECT c.id, c.status, (SELECT d.verdict FROM decisions d WHERE d.comment_id = c.id "
                "ORDER BY d.id DESC LIMIT 1) AS verdict FROM comments c WHERE c.account_id = :a"), {"a": aid}).all()
            for cid, status, verdict in rows:
                if status == "deleted":  # its author deleted it, or had their account erased: no decision says so
                    continue
                assert VERDICT_STATUS.get(verdict) == status, f"comment {cid} is {status}, its latest decision {verdict}"
            struck = conn.execute(sa.text(
                "SELECT comment_id, count(*) FROM account_actions WHERE account_id = :a AND kind = 'strike' "
                "AND revoked_at IS NULL GROUP BY comment_id HAVING count(*) > 1"), {"a": aid}).all()
            assert not struck, f"account {aid}: comments with more than one strike in force: {struck}"
            state = conn.execute(sa.text("SELECT state FROM accounts WHERE id = :a"), {"a": aid}).scalar_one()
            assert state == state_of(action_in_force(conn, svc, aid)).value, f"account {aid} is {state}"


def _held(client: TestClient, n: int, prefix: str) -> dict[str, Any]:
    reader = auth(f"{prefix}-{n}")
    cid = _post(client, reader, HELD_TEXT)
    return {"reader": reader, "cid": cid, "aid": _me(client, reader)["id"]}


def _edit(text: str) -> Request:
    return lambda c, case: c.patch(f"/api/v1/comments/{case['cid']}", json={"text": text}, headers=case["reader"]).status_code


def _decide(action: str, headers: dict[str, str] = MOD) -> Request:
    return lambda c, case: c.post(f"/api/v1/mod/comments/{case['cid']}/decision",
                                  json={"action": action, "reason": "Decided in a race."}, headers=headers).status_code


def test_edit_of_a_held_comment_while_a_moderator_approves_it(pg_client) -> None:
    """The edit locks the author's account, then updates the comment; the approval locks the comment and,
    to lift any strike it cost, the account."""
    app, client = pg_client
    cases = _race(client, lambda c, n: _held(c, n, "edit-approve"), _edit(HELD_EDIT), _decide("approve"),
                            ({200}, {200}))
    _consistent(app, {case["aid"] for case in cases})


def test_edit_of_a_held_comment_while_a_moderator_rejects_it(pg_client) -> None:
    """The rejection of a comment held for a strike-bearing rule confirms the strike: it locks the author's
    account after the comment."""
    app, client = pg_client
    cases = _race(client, lambda c, n: _held(c, n, "edit-reject"), _edit(HELD_EDIT), _decide("reject"),
                            ({200, 403}, {200}))
    _consistent(app, {case["aid"] for case in cases})
    with app.services.db.read() as conn:  # the moderator's rejection confirmed the rule: one strike each
        for case in cases:
            n = conn.execute(sa.text("SELECT count(*) FROM account_actions WHERE kind = 'strike' AND comment_id = :c"),
                             {"c": case["cid"]}).scalar_one()
            assert n == 1, case


def test_an_edit_the_rules_strike_while_a_moderator_rejects_the_held_comment(pg_client) -> None:
    """Both would count a strike for the same comment: one offence, one strike."""
    app, client = pg_client
    cases = _race(client, lambda c, n: _held(c, n, "edit-strike"), _edit(STRUCK_TEXT), _decide("reject"),
                            ({422, 403}, {200}))
    _consistent(app, {case["aid"] for case in cases})


def test_sanction_naming_a_comment_while_another_moderator_approves_it(pg_client) -> None:
    """The sanction locks the account, then records an action that references the comment (a key-share lock
    on its row); the approval locks the comment, then the account."""
    app, client = pg_client

    def sanction(c: TestClient, case: dict[str, Any]) -> int:
        body = {"sanction": "warn", "reason": "Mind the tone.", "comment_id": case["cid"]}
        return c.post(f"/api/v1/mod/accounts/{case['aid']}/sanctions", json=body, headers=MOD2).status_code

    cases = _race(client, lambda c, n: _held(c, n, "sanction-approve"), sanction, _decide("approve"),
                            ({201}, {200}))
    _consistent(app, {case["aid"] for case in cases})


def test_appeal_reversed_while_another_moderator_approves_the_rejected_comment(pg_client) -> None:
    """The appeal's decision locks the account, then publishes the comment again; the approval locks the
    comment, then the account to lift the strike."""
    app, client = pg_client

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        reader = auth(f"appeal-approve-{n}")
        cid = _post(c, reader, STRUCK_TEXT)
        me = _me(c, reader)
        strike = next(a for a in me["actions"] if a["kind"] == "strike")
        r = c.post(f"/api/v1/me/actions/{strike['id']}/appeal", json={"text": "Out of context."}, headers=reader)
        assert r.status_code == 201, r.text
        return {"reader": reader, "cid": cid, "aid": me["id"], "appeal": r.json()["appeal_id"]}

    def reverse(c: TestClient, case: dict[str, Any]) -> int:
        body = {"outcome": "reverse", "response": "You were right."}
        return c.post(f"/api/v1/mod/appeals/{case['appeal']}/decision", json=body, headers=MOD2).status_code

    # an approval that finds the comment published by the reversal changes nothing: "Another moderator has
    # already decided this comment" (409), as a decision found made is answered (tests/enforcement/test_noop_actions.py)
    cases = _race(client, setup, reverse, _decide("approve"), ({200, 409}, {200, 409}))
    _consistent(app, {case["aid"] for case in cases})
    for case in cases:  # whichever came first, the comment is back and the strike is gone
        me = _me(client, case["reader"])
        assert me["active_strikes"] == 0 and me["state"] == "active", me
        with app.services.db.read() as conn:
            status = conn.execute(sa.text("SELECT status FROM comments WHERE id = :c"), {"c": case["cid"]}).scalar_one()
        assert status == "published", case


def test_reject_all_while_another_moderator_approves_one_of_the_comments(pg_client) -> None:
    """Rejecting all of an account's comments locks the account, then each comment."""
    app, client = pg_client

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        case = _held(c, n, "reject-all")
        _post(c, case["reader"], "A second, civil comment.")
        return case

    def reject_all(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/accounts/{case['aid']}/reject-all", json={"reason": "Spam run."}, headers=MOD2).status_code

    cases = _race(client, setup, reject_all, _decide("approve"), ({200}, {200}))
    _consistent(app, {case["aid"] for case in cases})


def test_erasure_while_a_moderator_approves_a_held_comment(pg_client) -> None:
    """The reader's erasure scrubs their comments, then anonymises the account."""
    app, client = pg_client

    def erase(c: TestClient, case: dict[str, Any]) -> int:
        return c.request("DELETE", "/api/v1/me", headers=case["reader"]).status_code

    cases = _race(client, lambda c, n: _held(c, n, "erase-approve"), erase, _decide("approve"),
                            ({200}, {200, 409}))
    _consistent(app, {case["aid"] for case in cases})


def test_reject_all_while_the_author_deletes_one_of_the_comments(pg_client) -> None:
    """Reject-all read the account's comments unlocked: a comment its author deleted meanwhile was then marked
    rejected, and the author's delete, answered 204, was undone. Whichever comes first, it ends deleted."""
    app, client = pg_client

    def setup(c: TestClient, n: int) -> dict[str, Any]:
        reader = auth(f"reject-all-delete-{n}")
        cid = _post(c, reader, "A civil comment, soon deleted.")
        _post(c, reader, "Another civil comment.")
        return {"reader": reader, "cid": cid, "aid": _me(c, reader)["id"]}

    def reject_all(c: TestClient, case: dict[str, Any]) -> int:
        return c.post(f"/api/v1/mod/accounts/{case['aid']}/reject-all", json={"reason": "Spam run."}, headers=MOD2).status_code

    def delete(c: TestClient, case: dict[str, Any]) -> int:
        return c.delete(f"/api/v1/comments/{case['cid']}", headers=case["reader"]).status_code

    cases = _race(client, setup, reject_all, delete, ({200}, {204}))
    _consistent(app, {case["aid"] for case in cases})
    with app.services.db.read() as conn:
        for case in cases:
            status = conn.execute(sa.text("SELECT status FROM comments WHERE id = :c"), {"c": case["cid"]}).scalar_one()
            assert status == "deleted", case
