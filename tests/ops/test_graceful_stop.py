"""`townhall serve` stops on SIGTERM even while readers hold live-update streams open: uvicorn gives requests
in flight a few seconds, then cancels the streams. Without that timeout a stopping server waited for every
reader to leave (a deploy or `systemctl stop` hung until its own kill timeout)."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from tests.ops.test_crash import Serve
from townhall.commands.server import GRACEFUL_SHUTDOWN_SECONDS

pytestmark = pytest.mark.slow


def open_stream(port: int) -> socket.socket:
    """A live stream whose reader stays: the request sent and the answer's head read, the socket left open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/v1/threads/t1/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return s


def test_sigterm_stops_the_server_with_live_streams_open(tmp_path: Path) -> None:
    server = Serve(tmp_path).start()
    assert server.proc is not None
    streams = [open_stream(server.port) for _ in range(3)]
    try:
        stopped = time.monotonic()
        server.proc.terminate()
        try:
            code = server.proc.wait(GRACEFUL_SHUTDOWN_SECONDS + 20)
        except Exception:
            server.kill()
            pytest.fail("the server did not stop while live streams were open:\n" + server.log())
        took = time.monotonic() - stopped
        assert code in (0, -signal.SIGTERM), server.log()  # uvicorn re-raises the signal it caught, once stopped
        assert "Cancel 3 running task(s)" in server.log()
        assert took >= GRACEFUL_SHUTDOWN_SECONDS - 1, took  # the streams had their grace period first
        for s in streams:  # and each reader's connection was closed
            s.settimeout(5)
            while s.recv(4096):
                pass
    finally:
        for s in streams:
            s.close()
        server.stop()
