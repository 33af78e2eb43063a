"""A refused reader token says why, in words the publisher's developer can act on. The usual integration
mistakes — a token signed with another site's secret (or sent without ``?site=``), a numeric ``sub``, no
``sub``, a time claim that is not a number — were all answered "The sign-in token is not valid.", found in a
newsroom developer's walkthrough (2026-11-28). Still 401 ``unauthenticated`` in the one envelope."""

from __future__ import annotations

import time
from typing import Any

import jwt
from starlette.testclient import TestClient

from tests.fixtures_app import SSO_SECRET
from tests.security.conftest import assert_envelope


def bearer(claims: dict[str, Any], secret: str = SSO_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


def exp() -> int:
    return int(time.time()) + 3600


def test_a_token_signed_with_another_secret_names_the_site(sec_client: TestClient) -> None:
    headers = bearer({"sub": "reader-1", "exp": exp()}, secret="another-sites-secret-long-enough-for-hs256")
    error = assert_envelope(sec_client.get("/api/v1/me", headers=headers), 401, "unauthenticated")
    assert "signature" in error["message"] and "'default'" in error["message"] and "?site=" in error["message"]
    assert error["details"] == {"site": "default"}


def test_a_numeric_sub_is_asked_for_as_a_string(sec_client: TestClient) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer({"sub": 12345, "exp": exp()})), 401,
                            "unauthenticated")
    assert "'sub'" in error["message"] and "string" in error["message"]
    assert error["details"] == {"claim": "sub"}
    # the control: the same id as a string signs the reader in
    assert sec_client.get("/api/v1/me", headers=bearer({"sub": "12345", "exp": exp()})).status_code == 200


def test_a_token_without_sub_says_so(sec_client: TestClient) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer({"name": "No Sub", "exp": exp()})), 401,
                            "unauthenticated")
    assert "no 'sub'" in error["message"]
    assert error["details"] == {"claim": "sub"}


def test_a_time_claim_that_is_not_a_number_is_named(sec_client: TestClient) -> None:
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer({"sub": "reader-1", "exp": "tomorrow"})),
                            401, "unauthenticated")
    assert "(exp)" in error["message"] and "integer" in error["message"]
    error = assert_envelope(sec_client.get("/api/v1/me", headers=bearer({"sub": "reader-1", "iat": "today"})),
                            401, "unauthenticated")
    assert "(iat)" in error["message"]
