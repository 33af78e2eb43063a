"""The HTTP/1.1 protocol that ``townhall serve`` runs: uvicorn's h11 protocol, with a deadline for each request's
head (its request line and headers).

uvicorn times only the idle time between two requests of a connection (``timeout_keep_alive``), and every byte
that arrives starts that timer again; a new connection has no timer at all until its first response. A client
that sends a request head a byte at a time, or never finishes it (Slowloris), therefore holds its connection —
a file descriptor, and a place under ``limit_concurrency`` — for as long as it likes, and the application cannot
help: it is called only once the head is complete. Here a request head must arrive whole within
:data:`HEAD_TIMEOUT_S` seconds: counted from the connection's start for its first request,
and from the first byte of each later one. A client that takes longer gets ``408 request_timeout`` in the error
envelope, and its connection is closed. The body has a timer of its own (``body_timeout_seconds``,
:class:`townhall.web.middleware.BodyLimit`).
"""

from __future__ import annotations

import asyncio
import json

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: uvicorn runs h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

HEAD_TIMEOUT_S = 20.0  # nginx's client_header_timeout is 60 s, Apache's RequestReadTimeout header=20-40


def _timeout_answer(seconds: float) -> bytes:
    body = json.dumps({"error": {"code": "request_timeout", "details": {"head_timeout_seconds": seconds},
                                 "message": f"The request's headers did not arrive within {seconds:g} seconds."}})
    data = body.encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n"
            b"connection: close\r\n"
            b"content-length: " + str(len(data)).encode() + b"\r\n\r\n" + data)


class _HeadDeadline:
    """The deadline itself, shared by both of uvicorn's HTTP/1.1 protocols; each says when a head begins and
    when it is complete. Mixed in before the protocol class."""

    head_timeout: float = HEAD_TIMEOUT_S
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)  # type: ignore[misc]
        self._start_head()  # the first request's head: counted from the connection's start

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        super().connection_lost(exc)  # type: ignore[misc]

    def _start_head(self) -> None:
        self._awaiting_head = True
        if self._head_timer is None and self.head_timeout > 0:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _head_done(self) -> None:
        self._awaiting_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head:
            return
        if self.cycle is None or self.cycle.response_complete:  # between requests: the answer can go out now
            self.transport.write(_timeout_answer(self.head_timeout))
        self.transport.close()


class H11HeadDeadline(_HeadDeadline, H11Protocol):
    """uvicorn's pure-Python h11 protocol with the deadline: a head is awaited while the client's side of the
    exchange is IDLE (h11 leaves it on the request's head)."""

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._start_head()  # the first byte of a later request's head
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_done()  # the head is in (or the connection is done with)


class HttpToolsHeadDeadline(_HeadDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol (its default where httptools is installed, as with ``uvicorn[standard]``)
    with the deadline: a head is awaited from the parser's start of a message to its end of the headers."""

    def on_message_begin(self) -> None:
        self._start_head()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_done()
        super().on_headers_complete()


# the protocol ``townhall serve`` runs: httptools where it is installed (uvicorn's "auto"), else h11
HeadDeadlineProtocol: type[asyncio.Protocol] = HttpToolsHeadDeadline if HttpToolsProtocol is not None else H11HeadDeadline
