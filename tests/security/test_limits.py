"""Rate limits on write endpoints (per account, per IP prefix) and request size limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import AppFactory, Clock, LiveServer, auth
from tests.security.conftest import assert_envelope

# A small policy (one word list): these tests are about the HTTP layer, not about the classifiers.
POLICY = """
[policy]
name = "Security test rules"

[[rules]]
name = "f_word"
type = "wordlist"
description = "No F word."
action = "reject"
words = ["fuck"]
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> str:
    path = tmp_path / "test.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return str(path)


@pytest.fixture
def limited(make_app: AppFactory, sqlite_url: str, policy_file: str) -> Townhall:
    return make_app(sqlite_url, rate_limit_per_minute=3, policy=policy_file)


def client_from(app: Townhall, ip: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(ip, 40000))


def post(c: TestClient, sub: str, text: str = "A perfectly ordinary comment.") -> Any:
    return c.post("/api/v1/threads/rl-thread/comments", json={"text": text}, headers=auth(sub))


def assert_429(r: Any) -> None:
    assert_envelope(r, 429, "rate_limited")
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60


def test_per_account_limit_follows_the_account_across_addresses(limited: Townhall) -> None:
    home, mobile, other = (client_from(limited, ip) for ip in ("203.0.113.10", "198.51.100.7", "192.0.2.55"))
    for _ in range(3):
        assert post(home, "alice").status_code == 201
    assert_429(post(home, "alice"))
    assert_429(post(mobile, "alice"))  # a new address does not reset the account's budget
    assert post(other, "bob").status_code == 201  # another account elsewhere is unaffected


def test_per_ip_prefix_limit_covers_the_whole_prefix(limited: Townhall) -> None:
    for i, sub in enumerate(["a1", "a2", "a3"]):
        assert post(client_from(limited, f"203.0.113.{10 + i}"), sub).status_code == 201
    # a fourth account from the same /24 (a sock puppet on the same network) is refused
    assert_429(post(client_from(limited, "203.0.113.200"), "a4"))
    # the same account from another network is fine, and reading is never limited
    assert post(client_from(limited, "198.51.100.7"), "a4").status_code == 201
    same_net = client_from(limited, "203.0.113.99")
    assert same_net.get("/api/v1/threads/rl-thread/comments").status_code == 200


def test_ipv6_prefix_is_limited_as_a_48(limited: Townhall) -> None:
    for i in range(3):
        assert post(client_from(limited, f"2001:db8:1:{i:x}::1"), f"v6-{i}").status_code == 201
    assert_429(post(client_from(limited, "2001:db8:1:ffff::2"), "v6-x"))
    assert post(client_from(limited, "2001:db8:2::1"), "v6-x").status_code == 201


def test_limit_window_ends(limited: Townhall, clock: Clock) -> None:
    c = client_from(limited, "203.0.113.10")
    for _ in range(3):
        assert post(c, "carol").status_code == 201
    r = post(c, "carol")
    assert_429(r)
    clock.advance(seconds=int(r.headers["Retry-After"]))
    assert post(c, "carol").status_code == 201


def test_rejected_comments_count_against_the_limit(limited: Townhall) -> None:
    """A troll cannot probe the word list faster than the limit by sending refused comments."""
    c = client_from(limited, "203.0.113.10")
    for _ in range(3):
        assert post(c, "dave", "what the fuck").status_code == 422
    assert_429(post(c, "dave", "what the fuck"))


WRITES = [
    ("PATCH", "/api/v1/comments/999999", {"text": "edit"}),
    ("DELETE", "/api/v1/comments/999999", None),
    ("PUT", "/api/v1/comments/999999/reaction", {"kind": "like"}),
    ("POST", "/api/v1/comments/999999/reports", {"reason": "spam"}),
    ("POST", "/api/v1/me/actions/999999/appeal", {"text": "please"}),
]


@pytest.mark.parametrize("method,path,body", WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_every_write_endpoint_is_limited(limited: Townhall, method: str, path: str, body: Any) -> None:
    c = client_from(limited, "203.0.113.10")
    for _ in range(3):
        r = c.request(method, path, json=body, headers=auth("erin"))
        assert r.status_code != 429, r.text
    assert_429(c.request(method, path, json=body, headers=auth("erin")))


# --- request size ---------------------------------------------------------------------------------------

@pytest.fixture
def small_body(make_app: AppFactory, sqlite_url: str, policy_file: str) -> Iterator[TestClient]:
    app = make_app(sqlite_url, max_body_bytes=4096, policy=policy_file)
    with client_from(app, "203.0.113.10") as c:
        yield c


def test_declared_oversize_body_is_413(small_body: TestClient) -> None:
    r = small_body.post("/api/v1/threads/size/comments", json={"text": "x" * 5000}, headers=auth("fay"))
    assert_envelope(r, 413, "payload_too_large")
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_streamed_oversize_body_is_413(small_body: TestClient) -> None:
    """No Content-Length (chunked): the limit is enforced while reading, still answered as 413."""
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    r = small_body.post("/api/v1/threads/size/comments", content=chunks(),
                        headers={**auth("fay"), "content-type": "application/json"})
    assert_envelope(r, 413, "payload_too_large")


def test_body_under_the_limit_is_accepted(small_body: TestClient) -> None:
    r = small_body.post("/api/v1/threads/size/comments", json={"text": "z" * 3000}, headers=auth("fay"))
    assert r.status_code == 201, r.text


def test_invalid_content_length_is_400(small_body: TestClient) -> None:
    r = small_body.post("/api/v1/threads/size/comments", content=b"{}",
                        headers={**auth("fay"), "content-type": "application/json", "content-length": "nope"})
    assert_envelope(r, 400)


@pytest.mark.parametrize("body", [b"[" * 60_000, b'{"text": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
                                  b'{"text": "\\ud800"}', b"\xff\xfe\x00garbage", b'{"text": 1e999999}'],
                         ids=["deep-open", "deep-nested-text", "lone-surrogate", "not-utf8", "huge-number"])
def test_hostile_json_is_a_clean_4xx(make_app: AppFactory, sqlite_url: str, policy_file: str, body: bytes) -> None:
    app = make_app(sqlite_url, policy=policy_file)
    with client_from(app, "203.0.113.10") as c:
        r = c.post("/api/v1/threads/json/comments", content=body, headers={**auth("gus"), "content-type": "application/json"})
        assert 400 <= r.status_code < 500 and r.status_code != 404, r.text
        assert_envelope(r, r.status_code)


def test_real_server_refuses_a_streamed_megabyte(make_app: AppFactory, sqlite_url: str, policy_file: str) -> None:
    """Through uvicorn: a 1 MB chunked upload is cut off with 413 and the server keeps serving."""
    app = make_app(sqlite_url, policy=policy_file)

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(256):
            yield b"w" * 4096
        yield b'"}'

    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=20) as http:
        r = http.post("/api/v1/threads/size/comments", content=chunks(),
                      headers={**auth("hal"), "content-type": "application/json"})
        assert_envelope(r, 413, "payload_too_large")
        huge_header = http.get("/api/v1/me", headers={"Authorization": "Bearer " + "a" * 60_000})
        assert huge_header.status_code in (400, 401, 413, 431)
        assert http.get("/healthz").status_code == 200


def test_erasing_your_account_is_rate_limited_like_every_other_write(limited: Townhall) -> None:
    """After an erasure the same token signs in as a new account at its next request: without the limit one token,
    in a loop, made an account row, anonymised it and appended ``account.erased`` to the append-only audit log as
    fast as the server answered, from one address, with no 429 ever (found by an audit, 2026-11-28)."""
    from sqlalchemy import func, select

    from townhall.store.schema import audit_log

    c = client_from(limited, "203.0.113.10")
    statuses = []
    for _ in range(8):  # the limit is 3 a minute
        r = c.delete("/api/v1/me", headers=auth("eraser"))
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert_envelope(r, 429, "rate_limited")
    with limited.services.db.read() as conn:
        erased = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == "account.erased")).scalar_one()
    assert 429 in statuses and erased <= 3, (statuses, erased)
