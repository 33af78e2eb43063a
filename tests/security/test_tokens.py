"""Reader JWTs: everything but a well-formed HS256 token signed with the site's secret is refused with
401 in the error envelope (threat: a reader or troll forging another reader's identity)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.fixtures_app import SSO_SECRET, make_token
from tests.security.conftest import assert_envelope, b64url, raw_jwt

NOW = int(time.time())


def claims(**extra: Any) -> dict[str, Any]:
    base = {"sub": "mallory", "name": "Mallory", "iat": NOW, "exp": NOW + 3600}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def hs(alg: str, payload: dict[str, Any], secret: str = SSO_SECRET, header: dict[str, Any] | None = None) -> str:
    return jwt.encode(payload, secret, algorithm=alg, headers=header)


def signed_manually(header: dict[str, Any], payload: dict[str, Any], secret: str = SSO_SECRET) -> str:
    """A correct HS256 signature over an arbitrary header (PyJWT would normalise the header)."""
    unsigned = raw_jwt(header, payload).rsplit(".", 1)[0]
    sig = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest()
    return unsigned + "." + b64url(sig)


BAD_TOKENS: dict[str, str] = {
    "alg_none": raw_jwt({"alg": "none", "typ": "JWT"}, claims()),
    "alg_none_with_signature": raw_jwt({"alg": "none"}, claims(), b"anything"),
    "alg_None_capitalised": raw_jwt({"alg": "None"}, claims()),
    "alg_hs256_lowercase": signed_manually({"alg": "hs256", "typ": "JWT"}, claims()),
    "hs512_right_key": hs("HS512", claims()),
    "hs384_right_key": hs("HS384", claims()),
    "rs256_header": raw_jwt({"alg": "RS256", "typ": "JWT"}, claims(), b"\x01" * 256),
    "es256_header": raw_jwt({"alg": "ES256", "typ": "JWT"}, claims(), b"\x02" * 64),
    "wrong_key": hs("HS256", claims(), secret="not-the-site-secret-but-long-enough-for-hs256"),
    "empty_key": signed_manually({"alg": "HS256"}, claims(), secret=""),
    "tampered_claims": (lambda t: t.split(".")[0] + "." + b64url(b'{"sub":"admin","name":"A","role":"moderator"}')
                        + "." + t.split(".")[2])(hs("HS256", claims())),
    "missing_sub": hs("HS256", claims(sub=None)),
    "empty_sub": hs("HS256", claims(sub="")),
    "overlong_sub": hs("HS256", claims(sub="s" * 300)),
    "numeric_sub": signed_manually({"alg": "HS256"}, claims(sub=12345)),
    "expired": hs("HS256", claims(iat=NOW - 7200, exp=NOW - 3600)),
    "far_future_iat": hs("HS256", claims(iat=NOW + 10 * 365 * 86400, exp=NOW + 11 * 365 * 86400)),
    "not_yet_valid": hs("HS256", claims(nbf=NOW + 3600)),
    "exp_not_a_number": signed_manually({"alg": "HS256"}, claims(exp="tomorrow")),
    "guest_kid_signed_with_sso_secret": hs("HS256", claims(sub="guest:abc", site="default"),
                                           header={"kid": "townhall-guest"}),
    "huge": hs("HS256", claims(name="x" * 20_000)),
    "two_parts": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0",
    "four_parts": hs("HS256", claims()) + ".extra",
    "garbage": "this-is-not-a-token",
    "garbage_dots": "...",
    "bad_base64": "!!!.???.***",
    "header_not_json": b64url(b"not json") + "." + b64url(b"{}") + ".",
    "header_is_list": b64url(b"[1,2]") + "." + b64url(b'{"sub":"x"}') + ".",
    "payload_is_list": signed_manually({"alg": "HS256"}, [1, 2]),  # type: ignore[arg-type]
    "nul_bytes": "\x00" * 40,
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_bad_token_is_401_in_envelope(sec_client: TestClient, name: str) -> None:
    token = BAD_TOKENS[name]
    headers = {"Authorization": f"Bearer {token}"}
    error = assert_envelope(sec_client.get("/api/v1/me", headers=headers), 401)
    assert error["code"] in {"unauthenticated", "token_expired"}
    # The write endpoint refuses it too, before doing anything (no fallback to a guest or anonymous post).
    r = sec_client.post("/api/v1/threads/sec-thread/comments", json={"text": "hello"}, headers=headers)
    assert_envelope(r, 401)


def test_expired_token_says_so(sec_client: TestClient) -> None:
    r = sec_client.get("/api/v1/me", headers={"Authorization": f"Bearer {BAD_TOKENS['expired']}"})
    assert_envelope(r, 401, "token_expired")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc", "bearer", "Bearer a b"])
def test_malformed_authorization_header_is_401(sec_client: TestClient, header: str) -> None:
    assert_envelope(sec_client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_unknown_site_is_401(sec_client: TestClient) -> None:
    r = sec_client.get("/api/v1/me", params={"site": "no-such-site"},
                       headers={"Authorization": f"Bearer {make_token('alice')}"})
    assert_envelope(r, 401)


def test_the_valid_token_is_accepted(sec_client: TestClient) -> None:
    """The control: the same request with a proper token succeeds, so the 401s above mean something."""
    r = sec_client.get("/api/v1/me", headers={"Authorization": f"Bearer {make_token('alice', 'Alice')}"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Alice"
    # within the clock-skew leeway, iat slightly ahead is fine
    ahead = hs("HS256", claims(sub="bob", name="Bob", iat=int(time.time()) + 5))
    assert sec_client.get("/api/v1/me", headers={"Authorization": f"Bearer {ahead}"}).status_code == 200


def test_a_valid_token_of_another_identity_cannot_be_edited(sec_client: TestClient) -> None:
    """Changing one claim of a valid token (promoting oneself to moderator) breaks the signature."""
    good = make_token("carol", "Carol")
    head, _, sig = good.split(".")
    forged_payload = b64url(f'{{"sub":"carol","name":"Carol","role":"moderator","exp":{NOW + 3600}}}'.encode())
    r = sec_client.get("/api/v1/mod/queues/held", headers={"Authorization": f"Bearer {head}.{forged_payload}.{sig}"})
    assert_envelope(r, 401)


def test_demo_token_endpoint_never_mints_a_moderator(sec_client: TestClient) -> None:
    """/demo/token is public and signs with the default site's secret: it must not hand out moderator power."""
    r = sec_client.get("/demo/token", params={"name": "Eve", "role": "moderator"})
    assert r.status_code == 422
    token = sec_client.get("/demo/token", params={"name": "Eve"}).json()["token"]
    assert jwt.decode(token, options={"verify_signature": False}).get("role") in (None, "reader")
    r = sec_client.get("/api/v1/mod/queues/held", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(r, 403)
