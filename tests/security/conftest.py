"""Fixtures for the security tests: one Townhall on a SQLite file, driven in-process."""

from __future__ import annotations

import base64
import json
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import AppFactory


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token with exactly this header and these claims and an arbitrary signature (no library checks)."""
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(signature)])


@pytest.fixture
def sec_app(make_app: AppFactory, sqlite_url: str) -> Townhall:
    return make_app(sqlite_url)


@pytest.fixture
def sec_client(sec_app: Townhall) -> Iterator[TestClient]:
    with TestClient(sec_app, raise_server_exceptions=False, client=("203.0.113.10", 40000)) as c:
        yield c


def assert_envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has ``status`` and the one error envelope (optionally with ``code``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error
