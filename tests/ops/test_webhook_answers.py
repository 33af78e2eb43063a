"""What a webhook delivery reads of the receiver's answer: its status, and no more than a bounded piece of its
body within a bounded time. A receiver answering with an endless body (memory) or one byte at a time (each read
within the timeout, the answer never ending: the process's job runner stuck) must not hold the sender."""

from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Iterator

import httpx
import pytest

from townhall.service import webhook_guard

Answer = Callable[[socket.socket], None]


def _endless(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    while True:
        conn.sendall(chunk)


def _trickle_headers(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:  # one endless header name, a byte every 0.2 s
        conn.sendall(b"X")
        time.sleep(0.2)


def _trickle(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while True:
        conn.sendall(b"x")
        time.sleep(0.2)


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[str]:
    answer: Answer = request.param
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
                conn.recv(65536)  # the request (small)
                try:
                    answer(conn)
                except OSError:  # the sender hung up: what we want
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join(5)
    server.close()


def _post(url: str) -> httpx.Response:
    return webhook_guard.post(url, content=b"{}", headers={"Content-Type": "application/json"},
                              timeout=httpx.Timeout(5.0), allow_private=True)


@pytest.mark.parametrize("receiver", [_endless], indirect=True)
def test_an_endless_answer_is_read_only_as_far_as_its_status(receiver: str) -> None:
    started = time.monotonic()
    response = _post(receiver)
    assert response.status_code == 500
    assert len(response.content) <= webhook_guard.MAX_ANSWER_BYTES
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("receiver", [_trickle], indirect=True)
def test_an_answer_sent_a_byte_at_a_time_ends_at_the_deadline(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_guard, "ANSWER_DEADLINE_S", 1.5)  # the setting, shortened for the test
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        _post(receiver)
    assert time.monotonic() - started < 6  # each byte came within the 5 s read timeout


@pytest.mark.parametrize("receiver", [_trickle_headers], indirect=True)
def test_answer_headers_sent_a_byte_at_a_time_end_at_the_deadline(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read was bounded and the body had a deadline, but the headers had none: a receiver trickling them
    held the job runner (webhooks, e-mail, purges) for hours. The whole exchange now has the deadline."""
    monkeypatch.setattr(webhook_guard, "ANSWER_DEADLINE_S", 1.5)  # the setting, shortened for the test
    started = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        _post(receiver)
    assert time.monotonic() - started < 6
