"""Reader tokens' time and audience claims: a token without ``exp`` lives until its ``iat`` plus the maximum
age (threat: a leaked token without expiry signing its reader in for ever), one with neither is refused, and
``aud``, when present, must name this site or this server (threat: a token made for another audience)."""

from __future__ import annotations

import time
from typing import Any, Iterator

import jwt
import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import SSO_SECRET, AppFactory, Clock
from tests.security.conftest import assert_envelope

DAY = 86400
MAX_AGE_DAYS = 30  # the default of TOWNHALL_SSO_TOKEN_MAX_AGE_DAYS


def bearer(**claims: Any) -> dict[str, str]:
    payload = {"sub": "reader-1", "name": "Reader One", **claims}
    return {"Authorization": f"Bearer {jwt.encode(payload, SSO_SECRET, algorithm='HS256')}"}


def server_now(clock: Clock) -> int:
    return int(clock.now.timestamp())


# --- exp and iat ---------------------------------------------------------------------------------------------

def test_no_exp_with_a_recent_iat_is_accepted_until_the_max_age(sec_client: TestClient, clock: Clock) -> None:
    for age in (0, 3600, (MAX_AGE_DAYS - 1) * DAY, MAX_AGE_DAYS * DAY):  # the last within the 30 s leeway
        r = sec_client.get("/api/v1/me", headers=bearer(sub=f"recent-{age}", iat=server_now(clock) - age))
        assert r.status_code == 200, r.text
    r = sec_client.get("/api/v1/me", headers=bearer(sub="just-too-old", iat=server_now(clock) - MAX_AGE_DAYS * DAY - 60))
    assert_envelope(r, 401, "token_expired")


def test_no_exp_with_an_old_iat_is_refused_as_expired(sec_client: TestClient, clock: Clock) -> None:
    r = sec_client.get("/api/v1/me", headers=bearer(iat=server_now(clock) - (MAX_AGE_DAYS + 1) * DAY))
    error = assert_envelope(r, 401, "token_expired")
    assert "exp" in error["message"] and f"{MAX_AGE_DAYS} days" in error["message"]
    assert error["details"] == {"claim": "iat", "max_age_days": MAX_AGE_DAYS}
    # the write endpoint refuses it too
    r = sec_client.post("/api/v1/threads/sec-thread/comments", json={"text": "hello"},
                        headers=bearer(iat=server_now(clock) - (MAX_AGE_DAYS + 1) * DAY))
    assert_envelope(r, 401, "token_expired")
    # the control: a publisher who sends exp keeps its own lifetime, even with an iat older than the maximum age
    old = server_now(clock) - (MAX_AGE_DAYS + 10) * DAY
    r = sec_client.get("/api/v1/me", headers=bearer(iat=old, exp=int(time.time()) + 3600))
    assert r.status_code == 200, r.text


def test_neither_exp_nor_iat_is_refused_with_a_message(sec_client: TestClient) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer()), 401, "unauthenticated")
    assert "add 'exp'" in error["message"] and "never expire" in error["message"]
    assert error["details"] == {"claim": "exp"}
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer(nbf=int(time.time()) - 60)), 401)
    assert error["details"] == {"claim": "exp"}
    # Townhall's own reader tokens (the demo page plays the publisher) carry exp and iat, and sign in
    demo = sec_client.get("/demo/token", params={"name": "Demo"}).json()["token"]
    assert {"exp", "iat"} <= set(jwt.decode(demo, options={"verify_signature": False}))
    assert sec_client.get("/api/v1/me", headers={"Authorization": f"Bearer {demo}"}).status_code == 200


def test_the_max_age_is_a_setting(make_app: AppFactory, sqlite_url: str, clock: Clock) -> None:
    app = make_app(sqlite_url, sso_token_max_age_days=1)
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.12", 40000)) as client:
        assert client.get("/api/v1/me", headers=bearer(iat=server_now(clock) - 3600)).status_code == 200
        error = assert_envelope(client.get("/api/v1/me", headers=bearer(iat=server_now(clock) - 2 * DAY)), 401,
                                "token_expired")
        assert "more than 1 day ago" in error["message"] and error["details"]["max_age_days"] == 1


def test_a_cached_token_past_its_max_age_is_refused(sec_client: TestClient, clock: Clock) -> None:
    """The same token is accepted, remembered for a few seconds (the sign-in cache), and refused as soon as
    the server's clock passes its iat plus the maximum age, within those seconds too."""
    headers = bearer(sub="cached", iat=server_now(clock) - MAX_AGE_DAYS * DAY + 120)
    assert sec_client.get("/api/v1/me", headers=headers).status_code == 200
    assert sec_client.get("/api/v1/me", headers=headers).status_code == 200  # the cached path
    clock.advance(minutes=5)
    assert_envelope(sec_client.get("/api/v1/me", headers=headers), 401, "token_expired")
    clock.advance(minutes=-5)  # and a refusal is not remembered: back inside its age, it is accepted again
    assert sec_client.get("/api/v1/me", headers=headers).status_code == 200


# --- aud -----------------------------------------------------------------------------------------------------

def fresh(**claims: Any) -> dict[str, str]:
    now = int(time.time())
    return bearer(iat=now - 600, exp=now + 3600, **claims)


@pytest.mark.parametrize("aud", ["default", ["https://idp.example.org", "default"]])
def test_aud_naming_the_site_is_accepted(sec_client: TestClient, aud: Any) -> None:
    assert sec_client.get("/api/v1/me", headers=fresh()).status_code == 200  # the control: no aud, as before
    r = sec_client.get("/api/v1/me", headers=fresh(aud=aud))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("aud", ["other-site", ["https://idp.example.org"], [], "Default", "https://comments.example.com"])
def test_aud_naming_something_else_is_refused(sec_client: TestClient, aud: Any) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=fresh(aud=aud)), 401, "unauthenticated")
    assert "aud" in error["message"] and "'default'" in error["message"]
    assert error["details"] == {"claim": "aud", "expected": ["default"]}


@pytest.mark.parametrize("aud", [5, ["default", 5], {"site": "default"}])
def test_aud_of_the_wrong_type_is_refused(sec_client: TestClient, aud: Any) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=fresh(aud=aud)), 401)
    assert "aud" in error["message"] and "string" in error["message"]


@pytest.fixture
def url_client(make_app: AppFactory, sqlite_url: str) -> Iterator[TestClient]:
    app: Townhall = make_app(sqlite_url, public_url="https://Comments.Example.com/townhall/")
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.13", 40000)) as client:
        yield client


@pytest.mark.parametrize("aud", ["https://Comments.Example.com/townhall/", "https://comments.example.com/townhall",
                                 ["x", "HTTPS://COMMENTS.EXAMPLE.COM/townhall//"], "default"])
def test_aud_naming_the_public_url_is_accepted(url_client: TestClient, aud: Any) -> None:
    r = url_client.get("/api/v1/me", headers=fresh(aud=aud))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("aud", ["https://comments.example.com/TOWNHALL", "https://comments.example.com",
                                 "http://other.example.com/townhall/"])
def test_aud_naming_another_url_is_refused(url_client: TestClient, aud: Any) -> None:
    error = assert_envelope(url_client.get("/api/v1/me", headers=fresh(aud=aud)), 401)
    assert "https://Comments.Example.com/townhall/" in error["message"] and "'default'" in error["message"]
    assert error["details"]["expected"] == ["default", "https://Comments.Example.com/townhall/"]
