"""Hostile and arbitrary input: never a 500, never a stored comment without a stored decision."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.fixtures_app import LiveServer, auth

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=200),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"text": st.text(max_size=3000)}, optional={"parent_id": json_values, "extra": json_values}),
    st.fixed_dictionaries({"text": json_values, "parent_id": st.integers(min_value=-5, max_value=10**12)}),
)
thread_ids = st.text(min_size=1, max_size=400)


def orphan_comments(app) -> int:
    with app.services.db.read() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.comment_id = c.id)"
        )).scalar_one())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, thread=thread_ids)
def test_arbitrary_json_never_500(client: TestClient, app, body: object, thread: str) -> None:
    r = client.post(f"/api/v1/threads/{quote(thread, safe='')}/comments", json=body, headers=auth("fuzzer"))
    assert r.status_code < 500, r.text
    assert set(r.json()) == ({"error"} if r.status_code >= 400 else {"comment", "verdict"})
    assert orphan_comments(app) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_never_500(client: TestClient, raw: bytes) -> None:
    for method, url in (("POST", "/api/v1/threads/t/comments"), ("PATCH", "/api/v1/comments/1"),
                        ("POST", "/api/v1/comments/1/reports"), ("PUT", "/api/v1/comments/1/reaction")):
        r = client.request(method, url, content=raw, headers={"content-type": "application/json", **auth("fuzzer")})
        assert r.status_code < 500, (method, url, r.text)


@pytest.mark.parametrize("text", ["\x00\x01\x02 control", "\ud800 lone surrogate", "🙂" * 1000, "a" * 4999 + "\u0301",
                                  "\u202e right-to-left override", "\\ud83d escaped"])
def test_awkward_text(client: TestClient, app, text: str) -> None:
    raw = json.dumps({"text": text}).encode()
    r = client.post("/api/v1/threads/t/comments", content=raw, headers={"content-type": "application/json", **auth("a")})
    assert r.status_code in (201, 422), r.text
    assert orphan_comments(app) == 0


def test_deep_reply_chain_and_unknown_thread(client: TestClient) -> None:
    parent = None
    for i in range(60):
        r = client.post("/api/v1/threads/deep/comments", json={"text": f"level {i}", "parent_id": parent}, headers=auth(f"u{i % 3}"))
        assert r.status_code == 201
        parent = r.json()["comment"]["id"]
    tree = client.get("/api/v1/threads/deep/comments").json()["comments"]
    depth, node = 1, tree[0]
    while node["replies"]:
        node, depth = node["replies"][0], depth + 1
    assert depth == 51  # the root and the first 50 replies; the rest come with ?root=
    assert client.get("/api/v1/threads/never-seen/comments").json()["comments"] == []


@pytest.mark.slow
def test_eight_concurrent_writers_lose_nothing(make_app, sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    accepted: list[int] = []
    lock = threading.Lock()
    with LiveServer(app) as server:
        def writer(n: int) -> None:
            with httpx.Client(base_url=server.url, headers=auth(f"writer{n}"), timeout=60) as http:
                for i in range(200):
                    r = http.post("/api/v1/threads/busy/comments", json={"text": f"writer {n} comment {i}"})
                    assert r.status_code == 201, r.text
                    with lock:
                        accepted.append(r.json()["comment"]["id"])

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(writer, range(8)))
        seen: set[int] = set()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            cursor = None
            while True:
                page = http.get("/api/v1/threads/busy/comments", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
                seen.update(c["id"] for c in page["comments"])
                cursor = page["next_cursor"]
                if not cursor:
                    break
    assert len(accepted) == 1600
    assert seen == set(accepted)
    assert orphan_comments(app) == 0
