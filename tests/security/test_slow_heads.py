"""Request heads sent slowly (Slowloris): uvicorn times only the idle time between requests, and every byte
starts that timer again, so a head sent a byte at a time held its connection for ever. ``townhall serve``'s
protocol (townhall/web/protocol.py) gives each head a deadline. Through a real server on a loopback port with
raw sockets, and a deadline of one second."""

from __future__ import annotations

import select
import socket
import time
from typing import Iterator

import httpx
import pytest

from townhall.app import Townhall
from townhall.web.protocol import HEAD_TIMEOUT_S, H11HeadDeadline, HeadDeadlineProtocol, HttpToolsHeadDeadline
from tests.api.test_live import read_until
from tests.fixtures_app import LiveServer, auth
from tests.security.test_slow_clients import (THREAD, assert_envelope, open_stream, split_response,  # noqa: F401 - fixtures
                                              townhall)

HEAD_TIMEOUT = 1.0


class QuickH11(H11HeadDeadline):
    head_timeout = HEAD_TIMEOUT


class QuickHttpTools(HttpToolsHeadDeadline):
    head_timeout = HEAD_TIMEOUT


@pytest.fixture(params=[QuickHttpTools, QuickH11], ids=["httptools", "h11"])
def server(townhall: Townhall, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """Both of uvicorn's HTTP/1.1 protocols: httptools (``townhall serve``'s, where it is installed) and h11."""
    with LiveServer(townhall, http=request.param) as running:
        yield running


def head_of(path: str = f"/api/v1/threads/{THREAD}/comments") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a-very-slow-client\r\n\r\n".encode()


def answer(sock: socket.socket, limit: float = 6.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started, data = time.monotonic(), b""
    sock.settimeout(limit)
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data, time.monotonic() - started


def trickle_head(sock: socket.socket, head: bytes, every: float, limit: float = 6.0) -> tuple[bytes, float, int]:
    """Send ``head`` a byte every ``every`` seconds until the server answers or closes: (answer, seconds, bytes sent)."""
    started, sent, data = time.monotonic(), 0, b""
    while time.monotonic() - started < limit:
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            rest, _ = answer(sock)
            return data + rest, time.monotonic() - started, sent
        if sent < len(head):
            sock.sendall(head[sent:sent + 1])
            sent += 1
    raise AssertionError(f"no answer after {limit} s; sent {sent} of {len(head)} bytes")


def ask(sock: socket.socket) -> int:
    """Send a whole request head at once on a kept-alive connection, read the whole answer: its status."""
    sock.sendall(head_of())
    data = read_until(sock, b"\r\n\r\n")
    parsed = split_response(data)
    while parsed is None:
        data += sock.recv(65536)
        parsed = split_response(data)
    return parsed[0]


def test_the_default_deadline_is_the_documented_one() -> None:
    assert HeadDeadlineProtocol is HttpToolsHeadDeadline  # httptools is installed (uvicorn[standard])
    assert HttpToolsHeadDeadline.head_timeout == H11HeadDeadline.head_timeout == HEAD_TIMEOUT_S == 20.0


def test_a_head_sent_a_byte_at_a_time_is_cut_off_with_408(server: LiveServer) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        data, took, sent = trickle_head(sock, head_of(), every=0.1)
    finally:
        sock.close()
    assert sent < len(head_of())
    parsed = split_response(data)
    assert parsed is not None, data
    assert_envelope(*parsed, 408, "request_timeout")
    assert parsed[1]["connection"] == "close" and parsed[1]["x-content-type-options"] == "nosniff"
    assert HEAD_TIMEOUT - 0.1 <= took < HEAD_TIMEOUT + 2.0, took
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200  # and the server goes on serving


def test_a_connection_that_never_sends_a_head_is_closed(server: LiveServer) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        data, took = answer(sock)
    finally:
        sock.close()
    assert (split_response(data) or (0,))[0] == 408, data
    assert took < HEAD_TIMEOUT + 2.0, took


def test_each_head_of_a_kept_alive_connection_has_its_own_deadline(server: LiveServer) -> None:
    """The idle time between two requests is uvicorn's keep-alive timer's (5 s), not the head's: a request
    sent whole after a pause longer than the head deadline is answered; the next head, trickled, is cut off."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        assert ask(sock) == 200
        time.sleep(HEAD_TIMEOUT + 0.5)
        assert ask(sock) == 200
        data, took, _ = trickle_head(sock, head_of(), every=0.1)
    finally:
        sock.close()
    assert (split_response(data) or (0,))[0] == 408, data
    assert took < HEAD_TIMEOUT + 2.0, took


def test_a_live_stream_outlasts_the_head_deadline(server: LiveServer) -> None:
    stream = open_stream(server, "192.0.2.7")
    try:
        assert b"200 OK" in read_until(stream, b"retry: 3000")
        time.sleep(HEAD_TIMEOUT + 0.5)
        r = httpx.post(f"{server.url}/api/v1/threads/{THREAD}/comments", json={"text": "Still streaming?"},
                       headers=auth("dora"), timeout=10)
        assert r.status_code == 201, r.text
        got = read_until(stream, f'"id": {r.json()["comment"]["id"]}'.encode())
        assert b"event: comment.published" in got
    finally:
        stream.close()
