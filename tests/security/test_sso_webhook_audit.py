"""Regression tests for the audit of reader sign-in (SSO) and webhook deliveries (see SECURITY.md, "Fixed in
this hardening pass"). Real servers on loopback ports; no Townhall component is mocked."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import mail, webhook_guard
from townhall.store import moderation
from tests.fixtures_app import AppFactory, auth


# --- webhooks: a receiver that trickles its answer's headers ------------------------------------------------

@pytest.fixture
def header_trickler() -> Iterator[str]:
    """A raw-socket receiver that reads the request, then sends its status line and headers one byte at a
    time, each byte well within the read timeout, and never finishes them."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    while not stop.is_set():
                        conn.sendall(b"X")  # one endless header name, a byte every 0.2 s
                        time.sleep(0.2)
                except OSError:  # the sender hung up: what we want
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join(5)
    server.close()


def test_answer_headers_sent_a_byte_at_a_time_end_at_the_deadline(header_trickler: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_guard, "ANSWER_DEADLINE_S", 1.5)  # the setting, shortened for the test
    outcome: list[BaseException | httpx.Response] = []

    def send() -> None:
        try:
            outcome.append(webhook_guard.post(header_trickler, content=b"{}", headers={"Content-Type": "application/json"},
                                              timeout=httpx.Timeout(5.0), allow_private=True))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    started = time.monotonic()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(8)
    assert not sender.is_alive(), "the delivery was still reading the answer's headers after 8 s"
    assert isinstance(outcome[0], httpx.TimeoutException), outcome
    assert time.monotonic() - started < 6


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
