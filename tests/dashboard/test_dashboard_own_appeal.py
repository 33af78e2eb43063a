"""A second pair of eyes on appeals: the moderator who took an action does not answer its appeal while another
moderator of the site could (dashboard and API), and a site's only moderator still can, audited as such.
SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor

MOD = auth("sso-mod", role="moderator")
OWN = "You took this action, so another moderator of this site answers its appeal."


def _account(client: TestClient, reader: str) -> int:
    r = client.get("/api/v1/me", headers=auth(reader))
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


def _appeal(client: TestClient, reader: str, action_id: int) -> int:
    r = client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=auth(reader))
    assert r.status_code == 201, r.text
    return int(r.json()["appeal_id"])


def _api_sanction(client: TestClient, account_id: int, moderator: dict[str, str] = MOD) -> int:
    r = client.post(f"/api/v1/mod/accounts/{account_id}/sanctions", json={"sanction": "warn", "reason": "Rude"},
                    headers=moderator)
    assert r.status_code == 201, r.text
    return int(r.json()["action_id"])


def _api_decide(client: TestClient, appeal_id: int, moderator: dict[str, str] = MOD) -> Any:
    return client.post(f"/api/v1/mod/appeals/{appeal_id}/decision", json={"outcome": "reverse", "response": "Fair."},
                       headers=moderator)


def _appeal_state(client: TestClient, reader: str, action_id: int) -> str | None:
    actions = client.get("/api/v1/me", headers=auth(reader)).json()["actions"]
    found = [a for a in actions if a["id"] == action_id]
    assert found, actions
    appeal = found[0]["appeal"]
    return appeal["state"] if appeal else None


def _audit(client: TestClient, action: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/mod/audit", params={"action": action}, headers=MOD)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def _signed_in(app: Townhall, email: str) -> tuple[TestClient, str]:
    c = TestClient(app, raise_server_exceptions=False)
    c.__enter__()
    assert sign_in(c, email).status_code == 303
    return c, csrf_token(c.get("/admin/queue/held").text)


def test_the_moderator_who_took_the_action_leaves_its_appeal_to_another(app: Townhall, client: TestClient) -> None:
    site = app.settings.default_site
    add_moderator(app.services, "a@news.example", sites=(site,))
    add_moderator(app.services, "b@news.example", sites=(site,))
    account = _account(client, "rude-reader")
    a, a_csrf = _signed_in(app, "a@news.example")
    b, b_csrf = _signed_in(app, "b@news.example")
    try:
        r = a.post(f"/admin/accounts/{account}/sanction", data={"sanction": "warn", "reason": "Rude", "csrf_token": a_csrf},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        action_id = client.get("/api/v1/me", headers=auth("rude-reader")).json()["warning"]["action_id"]
        appeal_id = _appeal(client, "rude-reader", action_id)

        # a's queue shows the appeal without the decision form; b's shows the form
        mine = a.get("/admin/queue/appeals").text
        assert f'id="appeal-{appeal_id}"' in mine and OWN in mine
        assert f'action="/admin/appeals/{appeal_id}/decision"' not in mine
        theirs = b.get("/admin/queue/appeals").text
        assert f'action="/admin/appeals/{appeal_id}/decision"' in theirs and OWN not in theirs

        # a's answer is refused in the error envelope, and the appeal stays open
        r = a.post(f"/admin/appeals/{appeal_id}/decision", data={"outcome": "reverse", "response": "Mine was wrong.",
                                                                 "csrf_token": a_csrf},
                   headers={"x-requested-with": "fetch"})
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "own_action"
        assert r.json()["error"]["details"] == {"action_id": action_id, "other_moderators": 1}
        assert _appeal_state(client, "rude-reader", action_id) == "open"

        r = b.post(f"/admin/appeals/{appeal_id}/decision", data={"outcome": "reverse", "response": "Fair point.",
                                                                 "csrf_token": b_csrf},
                   headers={"x-requested-with": "fetch"})
        assert r.status_code == 200, r.text
        assert _appeal_state(client, "rude-reader", action_id) == "reversed"
        [entry] = _audit(client, "appeal.reversed")
        assert entry["actor"] == "mod:b@news.example" and "own_action" not in entry["details"]
    finally:
        a.__exit__(None, None, None)
        b.__exit__(None, None, None)


def test_a_sites_only_moderator_answers_their_own_action_audited(app: Townhall, client: TestClient) -> None:
    """Without another moderator who could answer (single sign-on moderators are known only by their tokens), the
    one who acted answers, and the audit log says it was their own action; once a dashboard moderator of the site
    exists, the API refuses it and says so in the appeals queue."""
    first = _api_sanction(client, _account(client, "reader-one"))
    r = _api_decide(client, _appeal(client, "reader-one", first))
    assert r.status_code == 200, r.text
    [entry] = _audit(client, "appeal.reversed")
    assert entry["details"]["own_action"] is True

    # a moderator of another site does not count; one of this site does
    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    add_moderator(app.services, "elsewhere@news.example", sites=("other",))
    second = _api_sanction(client, _account(client, "reader-two"))
    appeal_two = _appeal(client, "reader-two", second)
    queue = client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
    assert [i["own_action"] for i in queue if i["id"] == appeal_two] == [False]
    add_moderator(app.services, "desk@news.example", sites=(app.settings.default_site,))
    queue = client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
    assert [i["own_action"] for i in queue if i["id"] == appeal_two] == [True]
    assert "action_actor" not in queue[0]
    r = _api_decide(client, appeal_two)
    assert r.status_code == 403 and r.json()["error"]["code"] == "own_action", r.text
    assert _appeal_state(client, "reader-two", second) == "open"

    # another moderator (here one signing in through the publisher's SSO) answers it
    other = auth("sso-mod-2", role="moderator")
    assert [i["own_action"] for i in client.get("/api/v1/mod/queues/appeals", headers=other).json()["items"]
            if i["id"] == appeal_two] == [False]
    r = _api_decide(client, appeal_two, other)
    assert r.status_code == 200, r.text
    assert _appeal_state(client, "reader-two", second) == "reversed"


def test_an_installation_admin_counts_as_another_moderator(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "admin@news.example", admin=True)
    action = _api_sanction(client, _account(client, "reader-three"))
    appeal = _appeal(client, "reader-three", action)
    r = _api_decide(client, appeal)
    assert r.status_code == 403 and r.json()["error"]["details"]["other_moderators"] == 1, r.text
    admin, admin_csrf = _signed_in(app, "admin@news.example")
    try:
        r = admin.post(f"/admin/appeals/{appeal}/decision",
                       data={"outcome": "uphold", "response": "It stands.", "csrf_token": admin_csrf},
                       headers={"x-requested-with": "fetch"})
        assert r.status_code == 200, r.text
    finally:
        admin.__exit__(None, None, None)
    assert _appeal_state(client, "reader-three", action) == "upheld"


STRIKING_HOLD = """
[policy]
name = "Held insults strike"
summary = "Insults wait for a moderator, and count as a strike once a moderator rejects them."

[[rules]]
name = "insult"
type = "wordlist"
description = "Insults wait for a moderator."
action = "hold"
strike = true
words = ["idiot"]
"""


def test_the_moderator_whose_rejection_brought_a_rules_strike_leaves_its_appeal_to_another(
        make_app: Any, db_url: str, tmp_path: Any) -> None:
    """Rejecting a comment a striking rule held gives its author the rule's strike (and the ladder's warning),
    recorded as the policy's: the moderator who rejected it took them all the same."""
    path = tmp_path / "striking.policy.toml"
    path.write_text(STRIKING_HOLD, encoding="utf-8")
    app = make_app(db_url, policy=str(path))
    with TestClient(app, raise_server_exceptions=False) as client:
        add_moderator(app.services, "desk@news.example", sites=(app.settings.default_site,))
        r = client.post("/api/v1/threads/a/comments", json={"text": "You idiot."}, headers=auth("held-reader"))
        assert r.status_code == 201 and r.json()["verdict"] == "held", r.text
        r = client.post(f"/api/v1/mod/comments/{r.json()['comment']['id']}/decision",
                        json={"action": "reject", "reason": "An insult."}, headers=MOD)
        assert r.status_code == 200, r.text
        actions = client.get("/api/v1/me", headers=auth("held-reader")).json()["actions"]
        strike = next(a for a in actions if a["kind"] == "strike")
        appeal = _appeal(client, "held-reader", strike["id"])
        queue = client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
        assert [i["own_action"] for i in queue if i["id"] == appeal] == [True]
        r = _api_decide(client, appeal)
        assert r.status_code == 403 and r.json()["error"]["code"] == "own_action", r.text
        r = _api_decide(client, appeal, auth("sso-mod-2", role="moderator"))
        assert r.status_code == 200, r.text
        assert _appeal_state(client, "held-reader", strike["id"]) == "reversed"
        [entry] = _audit(client, "appeal.reversed")
        assert "own_action" not in entry["details"]  # the other moderator's answer (their approval came after)
