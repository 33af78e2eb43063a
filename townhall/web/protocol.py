"""The HTTP/1.1 protocol that ``townhall serve`` runs: uvicorn's h11 protocol, with a deadline for each request's
head (its request line and headers).

uvicorn times only the idle time between two requests of a connection (``timeout_keep_alive``), and every byte
that arrives starts that timer again; a new connection has no timer at all until its first response. A client
that sends a request head a byte at a time, or never finishes it (Slowloris), therefore holds its connection —
a file descriptor, and a place under ``limit_concurrency`` — for as long as it likes, and the application cannot
help: it is called only once the head is complete. Here a request head must arrive whole within
:attr:`HeadDeadlineProtocol.head_timeout` seconds: counted from the connection's start for its first request,
and from the first byte of each later one. A client that takes longer gets ``408 request_timeout`` in the error
envelope, and its connection is closed. The body has a timer of its own (``body_timeout_seconds``,
:class:`townhall.web.middleware.BodyLimit`).
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_TIMEOUT_S = 20.0  # nginx's client_header_timeout is 60 s, Apache's RequestReadTimeout header=20-40


def _timeout_answer(seconds: float) -> bytes:
    body = json.dumps({"error": {"code": "request_timeout", "details": {"head_timeout_seconds": seconds},
                                 "message": f"The request's headers did not arrive within {seconds:g} seconds."}})
    data = body.encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n"
            b"connection: close\r\n"
            b"content-length: " + str(len(data)).encode() + b"\r\n\r\n" + data)


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for every request head (see the module's docstring)."""

    head_timeout: float = HEAD_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of a later request's head
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is in (or the connection is done with)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self.head_timeout > 0:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is None or self.cycle.response_complete:  # between requests: the answer can go out now
            self.transport.write(_timeout_answer(self.head_timeout))
        self.transport.close()
