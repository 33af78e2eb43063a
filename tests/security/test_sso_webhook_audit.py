"""Regression tests for the audit of reader sign-in (SSO) (see SECURITY.md, "Fixed in the SSO and webhook
audit"; the webhook answer whose headers trickle is in tests/ops/test_webhook_answers.py). No Townhall component
is mocked."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import mail
from townhall.store import moderation
from tests.fixtures_app import AppFactory, auth


# --- SSO: a publisher's token that changes a reader's role or profile --------------------------------------

def _audit(app: Townhall, account_id: int, action: str) -> list[Any]:
    with app.services.db.read() as conn:
        return list(moderation.audit_entries(conn, subject_type="account", subject_id=str(account_id), action=action))


def test_a_role_granted_by_a_token_is_audited(sec_app: Townhall, sec_client: TestClient) -> None:
    me = sec_client.get("/api/v1/me", headers=auth("riley"))
    assert me.status_code == 200, me.text
    account_id = me.json()["id"]
    assert _audit(sec_app, account_id, "account.role_changed") == []  # a reader, as every account starts

    promoted = sec_client.get("/api/v1/me", headers=auth("riley", role="moderator"))
    assert promoted.status_code == 200 and promoted.json()["role"] == "moderator"
    entries = _audit(sec_app, account_id, "account.role_changed")
    assert len(entries) == 1
    assert entries[0]["details"] == {"from": "reader", "to": "moderator", "via": "sso"}
    assert entries[0]["actor"] == "sso:default" and entries[0]["site_id"] == "default"

    assert sec_client.get("/api/v1/me", headers=auth("riley", role="moderator")).status_code == 200
    assert len(_audit(sec_app, account_id, "account.role_changed")) == 1  # the same role again: nothing new


def test_a_role_taken_away_is_written_at_once(sec_app: Townhall, sec_client: TestClient) -> None:
    """A reader's sign-in is cached for a few seconds by its claims: a token taking the role back within those
    seconds (the same claims as the cached reader sign-in) must still write the reader role."""
    account_id = sec_client.get("/api/v1/me", headers=auth("riley")).json()["id"]
    assert sec_client.get("/api/v1/me", headers=auth("riley", role="moderator")).json()["role"] == "moderator"
    assert sec_client.get("/api/v1/me", headers=auth("riley")).json()["role"] == "reader"
    assert [e["details"]["to"] for e in _audit(sec_app, account_id, "account.role_changed")] == ["moderator", "reader"]


def test_a_first_sign_in_as_moderator_is_audited(sec_app: Townhall, sec_client: TestClient) -> None:
    me = sec_client.get("/api/v1/me", headers=auth("morgan", role="admin"))
    assert me.status_code == 200, me.text
    entries = _audit(sec_app, me.json()["id"], "account.role_changed")
    assert [e["details"] for e in entries] == [{"from": None, "to": "admin", "via": "sso"}]


def test_a_changed_name_or_address_is_audited_without_the_values(sec_app: Townhall, sec_client: TestClient) -> None:
    me = sec_client.get("/api/v1/me", headers=auth("sam", name="Sam", email="sam@example.org"))
    account_id = me.json()["id"]
    assert _audit(sec_app, account_id, "account.profile_changed") == []
    changed = sec_client.get("/api/v1/me", headers=auth("sam", name="The Editor", email="sam@example.net"))
    assert changed.json()["name"] == "The Editor"
    entries = _audit(sec_app, account_id, "account.profile_changed")
    assert [e["details"] for e in entries] == [{"fields": ["display_name", "email"], "via": "sso"}]
    assert "Editor" not in str(entries[0]["details"]) and "example" not in str(entries[0]["details"])


# --- SSO: Townhall's own tokens are not sign-in tokens --------------------------------------------------------

def test_an_unsubscribe_link_is_no_sign_in_token_even_with_one_secret(make_app: AppFactory, sqlite_url: str) -> None:
    """An operator who set TOWNHALL_SECRET and TOWNHALL_SSO_SECRET to the same value: the unsubscribe links in
    every reply e-mail (never expiring, ``sub`` = an account id) must not sign anyone in as the publisher's
    reader with that id."""
    app = make_app(sqlite_url, secret="one-secret-for-everything-0123456789", sso_secret="one-secret-for-everything-0123456789")
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.11", 40000)) as client:
        token = mail.unsubscribe_token(app.services, 42, "reader@example.org")
        r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, r.text
        assert client.get("/api/v1/me", headers=auth("42", secret="one-secret-for-everything-0123456789")).status_code == 200
