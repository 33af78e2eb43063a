"""Bad input at the API's edge, on SQLite and PostgreSQL alike: forged cursors, NUL characters, over-long
claims, ids past what a PostgreSQL integer holds and lax JSON types are a 422 (or 401) in the error
envelope, never a 500, and nothing of a refused request is written."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall

MOD = {"role": "moderator"}
TABLES = ("threads", "accounts", "comments", "reports", "notes", "decisions", "appeals", "audit_log")


def cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def assert_envelope(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert {"code", "message", "details"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


def counts(app: Townhall) -> dict[str, int]:
    with app.services.db.read() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}


def post(client: TestClient, sub: str, text: str, thread: str = "t", **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **extra}, headers=auth(sub))
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


# --- 1. forged pagination cursors ----------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "sort"), [
    (b"[0, 100000000000000000000]", "newest"),  # an id past 64 bits (SQLite) and 32 bits (PostgreSQL)
    (b"[0, 100000000000000000000]", "top"),
    (b"[0, 2147483648]", "oldest"),  # past a PostgreSQL integer
    (b"[0, true]", "newest"),  # a boolean is not an id
    (b"[0, 0]", "newest"),
    (b"[0, -5]", "newest"),
    (b"[NaN, 5]", "top"),  # used to answer an empty page
    (b"[Infinity, 5]", "top"),
    (b"[1e400, 5]", "top"),
    (b"[true, 5]", "top"),
])
def test_forged_cursor_is_refused(client: TestClient, raw: bytes, sort: str) -> None:
    post(client, "alice", "first comment")
    post(client, "bob", "second comment")
    r = client.get("/api/v1/threads/t/comments", params={"cursor": cursor(raw), "sort": sort})
    err = assert_envelope(r, 422, "invalid")
    assert err["details"] == {"field": "cursor"}
    root = post(client, "carol", "a root")["id"]
    r = client.get("/api/v1/threads/t/comments", params={"cursor": cursor(raw), "root": root})
    assert_envelope(r, 422, "invalid")


def test_cursors_the_server_gives_out_still_work(client: TestClient) -> None:
    for i in range(3):
        post(client, f"u{i}", f"comment {i}")
    for sort in ("newest", "oldest", "top"):
        first = client.get("/api/v1/threads/t/comments", params={"limit": 2, "sort": sort}, headers=auth("reader")).json()
        assert first["next_cursor"]
        second = client.get("/api/v1/threads/t/comments", params={"limit": 2, "sort": sort, "cursor": first["next_cursor"]})
        assert second.status_code == 200, second.text
        assert len(second.json()["comments"]) == 1


# --- 2. NUL characters and over-long values: refused at the edge, alike on both databases ----------------
def test_nul_in_the_site_is_refused(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/site", params={"site": "\x00"}), 422, "invalid")
    assert_envelope(client.get("/api/v1/threads/x/comments", params={"site": "\x00"}), 422, "invalid")
    assert_envelope(client.get("/api/v1/threads/x/comments", params={"site": "de\x00fault"}), 422, "invalid")
    assert client.get("/api/v1/site").status_code == 200


@pytest.mark.parametrize("field", ["title", "url", "device"])
def test_nul_in_a_new_threads_fields_is_refused_and_nothing_is_written(client: TestClient, app: Townhall,
                                                                       field: str) -> None:
    post(client, "alice", "so that the account exists", thread="other")
    before = counts(app)
    r = client.post("/api/v1/threads/fresh/comments", json={"text": "hello there", field: "a\x00b"}, headers=auth("alice"))
    assert_envelope(r, 422, "invalid")
    assert counts(app) == before


def test_nul_in_report_note_and_appeal_is_refused(client: TestClient, app: Townhall) -> None:
    cid = post(client, "alice", "a comment to report")["id"]
    client.get("/api/v1/me", headers=auth("bob"))
    before = counts(app)
    r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam", "note": "\x00"}, headers=auth("bob"))
    assert_envelope(r, 422, "invalid")
    r = client.post("/api/v1/me/actions/1/appeal", json={"text": "unfair\x00"}, headers=auth("alice"))
    assert_envelope(r, 422, "invalid")
    assert counts(app) == before


def test_nul_in_moderator_input_is_refused(client: TestClient, app: Townhall) -> None:
    comment = post(client, "alice", "a comment to moderate")
    mod = auth("mod", **MOD)
    client.get("/api/v1/me", headers=mod)  # the moderator's account exists before counting
    before = counts(app)
    cases = [
        ("POST", f"/api/v1/mod/comments/{comment['id']}/decision", {"action": "reject", "reason": "off\x00topic"}),
        ("POST", f"/api/v1/mod/accounts/{comment['author']['id']}/notes", {"text": "watch\x00this"}),
        ("POST", f"/api/v1/mod/accounts/{comment['author']['id']}/sanctions", {"sanction": "warn", "reason": "\x00"}),
        ("POST", f"/api/v1/mod/accounts/{comment['author']['id']}/restore", {"reason": "\x00"}),
        ("POST", "/api/v1/mod/appeals/1/decision", {"outcome": "uphold", "response": "no\x00"}),
    ]
    for method, url, body in cases:
        assert_envelope(client.request(method, url, json=body, headers=mod), 422, "invalid")
    for param in ("actor", "action", "subject_type", "subject_id"):
        assert_envelope(client.get("/api/v1/mod/audit", params={param: "a\x00"}, headers=mod), 422, "invalid")
    assert counts(app) == before
    assert client.get("/api/v1/mod/audit", params={"actor": "mod:x"}, headers=mod).status_code == 200


@pytest.mark.parametrize("claims", [{"sub": "a\x00b"}, {"sub": "nul-email", "email": "a\x00@example.org"},
                                    {"sub": "long-email", "email": "a" * 300 + "@example.org"},
                                    {"sub": "s" * 256}])
def test_unusable_sso_claims_are_refused_and_no_account_is_made(client: TestClient, app: Townhall,
                                                                claims: dict[str, Any]) -> None:
    before = counts(app)
    extra = dict(claims)
    headers = auth(extra.pop("sub"), **extra)
    assert_envelope(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")
    r = client.post("/api/v1/threads/t/comments", json={"text": "hello"}, headers=headers)
    assert_envelope(r, 401, "unauthenticated")
    assert counts(app) == before


def test_a_usable_email_claim_still_signs_in(client: TestClient) -> None:
    r = client.get("/api/v1/me", headers=auth("with-email", email="reader@example.org"))
    assert r.status_code == 200, r.text


def test_a_value_the_database_refuses_is_a_422_and_is_rolled_back(app: Townhall) -> None:
    """The safety net behind the edge's validation: a value that reaches the database and is refused there
    (PostgreSQL: NUL in text; SQLite: an integer over 64 bits) is the client's error, and the rest of its
    transaction is rolled back."""
    db = app.services.db

    @app.asgi.post("/probe/refused-value")
    def probe() -> dict[str, str]:
        with db.write() as conn:
            conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('probe', 'written')"))
            if db.is_sqlite:
                conn.execute(sa.text("SELECT :n"), {"n": 10**20})
            else:
                conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('probe2', :v)"), {"v": "a\x00b"})
        return {"status": "stored"}

    with TestClient(app, raise_server_exceptions=False) as client:
        assert_envelope(client.post("/probe/refused-value"), 422, "invalid")
    with db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key LIKE 'probe%'")).scalar_one() == 0


# --- 4. a rate-limited guest post writes nothing ----------------------------------------------------------
def test_rate_limited_guest_posts_make_no_accounts(make_app: AppFactory, db_url: str) -> None:
    limited = make_app(db_url, allow_guests=True, rate_limit_per_minute=3)
    with TestClient(limited, raise_server_exceptions=False, client=("203.0.113.10", 40000)) as client:
        statuses = [client.post("/api/v1/threads/rl/comments", json={"text": f"guest post {i}", "guest_name": "Spam"}).status_code
                    for i in range(10)]
    assert statuses == [201] * 3 + [429] * 7
    with limited.services.db.read() as conn:
        guests = conn.execute(sa.text("SELECT count(*) FROM accounts WHERE guest")).scalar_one()
    assert guests == 3


# --- 5. strict JSON types ------------------------------------------------------------------------------
@pytest.mark.parametrize("parent", [True, "1", 1.0, False])
def test_parent_id_must_be_a_json_integer(client: TestClient, app: Townhall, parent: Any) -> None:
    post(client, "alice", "the parent")
    before = counts(app)
    r = client.post("/api/v1/threads/t/comments", json={"text": "a reply", "parent_id": parent}, headers=auth("alice"))
    assert_envelope(r, 422, "invalid")
    assert counts(app) == before


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_notification_flag_must_be_a_json_boolean(client: TestClient, value: Any) -> None:
    headers = auth("alice", email="alice@example.org")
    r = client.put("/api/v1/me/notifications", json={"replies": value}, headers=headers)
    assert_envelope(r, 422, "invalid")
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=headers).status_code == 200


def test_moderator_bodies_are_strict_too(client: TestClient) -> None:
    account = post(client, "alice", "hello")["author"]["id"]
    mod = auth("mod", **MOD)
    r = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "suspend", "reason": "r", "hours": "2"},
                    headers=mod)
    assert_envelope(r, 422, "invalid")
    r = client.post("/api/v1/mod/appeals/1/decision", json={"outcome": "uphold", "response": "r", "restore_comments": "no"},
                    headers=mod)
    assert_envelope(r, 422, "invalid")
    r = client.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "suspend", "reason": "r", "hours": 2},
                    headers=mod)
    assert r.status_code == 201, r.text  # a JSON integer is a number of hours


# --- 6. no interactive docs page that cannot work offline -------------------------------------------------
def test_no_docs_page_and_the_schema_is_served(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert_envelope(client.get(path), 404, "not_found")
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and json.loads(schema.text)["info"]["title"] == "Townhall"


def test_sign_in_cannot_name_townhall_s_own_accounts(client: TestClient) -> None:
    """Guests, imported readers and erased accounts have subjects Townhall gives them; a token naming one
    (signed by the publisher or not) is refused rather than signing in as that account."""
    for sub in ("guest:1b4e28ba-2fa1-11d2-883f-0016d3cca427", "import:disqus:user:42", "erased:abc", "sanctioned:abc"):
        r = client.get("/api/v1/me", headers=auth(sub))
        assert r.status_code == 401 and "prefix" in r.json()["error"]["message"], (sub, r.text)
