"""Clients that hold server resources: a request body sent very slowly is cut off after
``body_timeout_seconds`` (408), and one client address holds at most ``live_streams_per_client`` live-update
streams open (429), each freed when its stream ends. Through a real server on a loopback port, with raw
sockets, small limits and a small policy (these tests are about the HTTP layer)."""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from townhall.app import Townhall
from tests.api.test_live import read_until, wait_for
from tests.fixtures_app import AppFactory, LiveServer, auth, make_token

POLICY = """
[policy]
name = "Slow client test rules"

[[rules]]
name = "f_word"
type = "wordlist"
description = "No F word."
action = "reject"
words = ["fuck"]
"""
THREAD = "slow-clients"
BODY_TIMEOUT = 1.0
PER_CLIENT = 2


@pytest.fixture
def townhall(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    policy = tmp_path / "test.policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    return make_app(sqlite_url, policy=str(policy), body_timeout_seconds=BODY_TIMEOUT,
                    live_streams_per_client=PER_CLIENT)


@pytest.fixture
def server(townhall: Townhall) -> Iterator[LiveServer]:
    with LiveServer(townhall) as running:
        yield running


def split_response(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) once ``data`` holds a whole response with a Content-Length, else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if len(body) < int(headers.get("content-length", "0")):
        return None
    return int(lines[0].split()[1]), headers, body


def assert_envelope(status: int, headers: dict[str, str], body: bytes, want_status: int, code: str) -> None:
    assert status == want_status, body
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == code and error["message"], error


# ---------------------------------------------------------------- slow request bodies


def trickle(server: LiveServer, head: bytes, body: bytes, every: float, limit: float = 6.0) -> tuple[bytes, float, socket.socket]:
    """Send ``head`` at once, then ``body`` one byte every ``every`` seconds until the server answers.
    Returns the answer, the seconds it took, and the socket (still open)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=limit)
    sock.sendall(head)
    started = time.monotonic()
    data, sent = b"", 0
    while split_response(data) is None:
        assert time.monotonic() - started < limit, f"no answer after {limit} s; sent {sent} of {len(body)} bytes"
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        elif sent < len(body):
            sock.sendall(body[sent:sent + 1])
            sent += 1
    return data, time.monotonic() - started, sock


def post_head(length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST /api/v1/threads/{THREAD}/comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {make_token('snail')}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n").encode()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_408(server: LiveServer, framing: str) -> None:
    payload = json.dumps({"text": "A comment typed straight into the socket, very slowly indeed."}).encode()
    if framing == "chunked":
        head, body = post_head(None), f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
    else:
        head, body = post_head(len(payload)), payload
    data, took, sock = trickle(server, head, body, every=0.1)
    try:
        parsed = split_response(data)
        assert parsed is not None
        status, headers, answer = parsed
        assert_envelope(status, headers, answer, 408, "request_timeout")
        assert headers["connection"] == "close"  # the rest of the body may still come: no further request on it
        assert headers["x-content-type-options"] == "nosniff"  # answered inside the other middleware
        assert BODY_TIMEOUT - 0.1 <= took < BODY_TIMEOUT + 2.0, took
        sock.settimeout(5)
        try:
            assert sock.recv(1024) == b""  # and the server closed it
        except ConnectionResetError:
            pass
    finally:
        sock.close()
    # nothing was posted, and the server goes on serving
    listed = httpx.get(f"{server.url}/api/v1/threads/{THREAD}/comments", timeout=10)
    assert listed.status_code in (200, 404), listed.text
    assert "very slowly" not in listed.text


def test_the_time_limit_is_for_the_whole_body_not_per_chunk(server: LiveServer) -> None:
    """Every chunk arrives well within the limit of the one before; the body as a whole does not."""
    payload = json.dumps({"text": "Each piece of me arrives promptly enough; all of me does not."}).encode()
    data, took, sock = trickle(server, post_head(len(payload)), payload, every=BODY_TIMEOUT / 5)
    sock.close()
    parsed = split_response(data)
    assert parsed is not None
    assert_envelope(*parsed, 408, "request_timeout")
    assert took < BODY_TIMEOUT + 2.0, took


def test_a_body_that_arrives_in_time_is_taken_and_a_live_stream_outlasts_the_limit(townhall: Townhall, server: LiveServer) -> None:
    """The limit is on receiving a body: a body sent in a few pieces within it is taken, and the reads of a
    request without a body (a live stream waiting for its reader to leave) are never timed. And a trickled
    body in the same server is refused."""
    stream = open_stream(server, "192.0.2.1")
    try:
        assert b"200 OK" in read_until(stream, b"retry: 3000")
        payload = json.dumps({"text": "Sent in three pieces, but promptly."}).encode()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        try:
            sock.sendall(post_head(len(payload)))
            for i in range(3):
                time.sleep(BODY_TIMEOUT / 8)
                sock.sendall(payload[i * len(payload) // 3:(i + 1) * len(payload) // 3])
            data = b""
            while split_response(data) is None:
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
        finally:
            sock.close()
        parsed = split_response(data)
        assert parsed is not None and parsed[0] == 201, data
        cid = json.loads(parsed[2])["comment"]["id"]

        time.sleep(BODY_TIMEOUT + 0.3)  # the stream has been open longer than a body may take
        r = httpx.post(f"{server.url}/api/v1/threads/{THREAD}/comments", json={"text": "Still live?"},
                       headers=auth("carol"), timeout=10)
        assert r.status_code == 201, r.text
        got = read_until(stream, f'"id": {r.json()["comment"]["id"]}'.encode())
        assert b"event: comment.published" in got and cid < r.json()["comment"]["id"]
    finally:
        stream.close()
    slow, _, sock = trickle(server, post_head(100), b"x" * 100, every=0.2)
    sock.close()
    assert (split_response(slow) or (0,))[0] == 408, slow


# ---------------------------------------------------------------- open live streams per client


def open_stream(server: LiveServer, client: str, thread: str = THREAD) -> socket.socket:
    """A live stream as seen from ``client``: the test server trusts X-Forwarded-For from 127.0.0.1, as a
    server behind a proxy does (uvicorn's FORWARDED_ALLOW_IPS)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"GET /api/v1/threads/{thread}/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                 f"X-Forwarded-For: {client}\r\n\r\n".encode())
    return sock


def refused_stream(server: LiveServer, client: str) -> None:
    """Opening another stream from ``client`` is refused: 429 in the envelope, and no stream."""
    r = httpx.get(f"{server.url}/api/v1/threads/{THREAD}/live", headers={"X-Forwarded-For": client, "Origin": "https://news.example"}, timeout=10)
    assert_envelope(r.status_code, dict(r.headers), r.content, 429, "too_many_streams")
    assert str(PER_CLIENT) in r.json()["error"]["message"]
    assert r.headers["access-control-allow-origin"] == "*"  # the widget's page can read why


def test_one_address_holds_a_limited_number_of_streams_and_a_closed_one_frees_its_place(townhall: Townhall, server: LiveServer) -> None:
    bus = townhall.services.events
    channel = bus.channel(townhall.settings.default_site, THREAD)
    mine = [open_stream(server, "203.0.113.7") for _ in range(PER_CLIENT)]
    theirs: list[socket.socket] = []
    try:
        for s in mine:
            assert b"200 OK" in read_until(s, b"retry: 3000")
        wait_for(lambda: bus.subscriber_count(channel) == PER_CLIENT)
        refused_stream(server, "203.0.113.7")
        refused_stream(server, "::ffff:203.0.113.7")  # the same address, as a dual-stack server reports it
        assert bus.subscriber_count(channel) == PER_CLIENT  # the refused ones subscribed to nothing

        theirs = [open_stream(server, "203.0.113.8") for _ in range(PER_CLIENT)]  # a neighbour is not affected
        for s in theirs:
            assert b"200 OK" in read_until(s, b"retry: 3000")

        mine.pop().close()  # the reader goes away: the server notices and gives the place back
        wait_for(lambda: townhall.asgi.state.live_streams.count("203.0.113.7") == PER_CLIENT - 1)
        mine.append(open_stream(server, "203.0.113.7"))
        assert b"200 OK" in read_until(mine[-1], b"retry: 3000")
        refused_stream(server, "203.0.113.7")
    finally:
        for s in mine + theirs:
            s.close()
    wait_for(lambda: townhall.asgi.state.live_streams.count() == 0 and bus.subscriber_count(channel) == 0)


def test_an_ipv6_client_is_counted_by_its_64(townhall: Townhall, server: LiveServer) -> None:
    """A host chooses any address in its /64 (privacy addresses): new addresses there get no new streams."""
    streams = [open_stream(server, f"2001:db8:1:2::{i + 1}") for i in range(PER_CLIENT)]
    try:
        for s in streams:
            assert b"200 OK" in read_until(s, b"retry: 3000")
        refused_stream(server, "2001:db8:1:2:aaaa:bbbb:cccc:dddd")
        other = open_stream(server, "2001:db8:1:3::1")  # the next /64 is someone else
        streams.append(other)
        assert b"200 OK" in read_until(other, b"retry: 3000")
    finally:
        for s in streams:
            s.close()
    from townhall.web.live import client_key

    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:198.51.100.4") == "198.51.100.4" and client_key(None) is None


def test_streams_open_when_the_server_stops_give_their_places_back(townhall: Townhall) -> None:
    """The places are given back when the server shuts down with streams open (uvicorn cancels them), so
    the same application served again lets the same reader in."""
    with LiveServer(townhall) as first:
        streams = [open_stream(first, "198.51.100.20") for _ in range(PER_CLIENT)]
        for s in streams:
            assert b"200 OK" in read_until(s, b"retry: 3000")
        refused_stream(first, "198.51.100.20")
    for s in streams:
        s.close()
    assert townhall.asgi.state.live_streams.count() == 0
    with LiveServer(townhall) as second:
        again = [open_stream(second, "198.51.100.20") for _ in range(PER_CLIENT)]
        try:
            for s in again:
                assert b"200 OK" in read_until(s, b"retry: 3000")
            refused_stream(second, "198.51.100.20")
        finally:
            for s in again:
                s.close()


def test_the_stream_limit_can_be_turned_off(make_app: AppFactory, sqlite_url: str) -> None:
    app = make_app(sqlite_url, live_streams_per_client=0)
    with LiveServer(app) as srv:
        streams = [open_stream(srv, "203.0.113.99") for _ in range(PER_CLIENT + 2)]
        try:
            for s in streams:
                assert b"200 OK" in read_until(s, b"retry: 3000")
        finally:
            for s in streams:
                s.close()
    assert app.asgi.state.live_streams.count() == 0
