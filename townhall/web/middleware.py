"""ASGI middleware: request body limits (size and time) and security headers."""

from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import unquote_to_bytes

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, because body
    parsers pass those through (FastAPI turns any other error while reading the body into a 400); the
    error handlers answer it as 413 in the envelope."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


class _TooSlow(HTTPException):
    """Raised from ``receive`` when the body has not all arrived in time; answered as 408 in the envelope,
    with ``Connection: close`` (the rest of the body may still be on its way: the connection cannot serve
    another request)."""

    def __init__(self, message: str) -> None:
        super().__init__(408, message, headers={"Connection": "close"})


async def _send_error(send: Send, status: int, code: str, message: str,
                      headers: Mapping[str, str] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 in the error envelope (declared or streamed), and
    bodies that take longer than ``timeout`` seconds to arrive with 408 (0: no time limit).

    The time runs from the application's first read of the body to its last byte, however the body is cut
    into chunks: a client trickling a byte a second would otherwise hold a request (and the worker thread or
    database connection it may be waiting for) as long as it likes, and uvicorn's own timeouts only cover idle
    connections between requests. A total limit rather than a minimum rate, because every body Townhall takes
    is small (``max_body_bytes``, 64 KB by default; archives are imported from files with ``townhall import``,
    never uploaded): 64 KB in 30 s is about 2 KB/s, which any real connection exceeds. Once the body is
    complete, reads (waiting for the client to disconnect, as a live stream does) are not timed."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 0.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"The request body is larger than {self.max_bytes} bytes."
        has_body = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_error(send, 400, "bad_request", "Invalid Content-Length header.")
                    return
                if declared > self.max_bytes:
                    await _send_error(send, 413, "payload_too_large", message)
                    return
                has_body = has_body or declared > 0
            elif name == b"transfer-encoding":
                has_body = True
        seen = 0
        timed = has_body and self.timeout > 0  # no body (a GET, a live stream): nothing to time
        deadline: float | None = None

        async def limited_receive() -> Message:
            nonlocal seen, timed, deadline
            if timed:
                if deadline is None:
                    deadline = anyio.current_time() + self.timeout
                with anyio.move_on_after(deadline - anyio.current_time()) as waited:
                    msg = await receive()
                if waited.cancelled_caught:
                    raise _TooSlow(f"The request body did not arrive within {self.timeout:g} seconds.")
            else:
                msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(message)
                if not msg.get("more_body", False):
                    timed = False  # the whole body is in
            else:
                timed = False  # http.disconnect
            return msg

        tracked = _Tracked(send)
        try:
            await self.app(scope, limited_receive, tracked)
        except (_TooLarge, _TooSlow) as exc:
            if not tracked.started:
                code = "payload_too_large" if exc.status_code == 413 else "request_timeout"
                await _send_error(send, exc.status_code, code, exc.detail, exc.headers)


class _Tracked:
    """``send``, noting whether the response has started (after which no error answer can be sent)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, msg: Message) -> None:
        if msg["type"] == "http.response.start":
            self.started = True
        await self.send(msg)


class InternalErrors:
    """The innermost middleware: an unexpected exception becomes the 500 error envelope here, inside the other
    middleware, so that it carries the security and CORS headers like every other response (Starlette would
    answer it from outside every middleware, without them). The exception is raised on afterwards, so that the
    application's handler logs it (it answers nothing more once a response has started) and the server does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = _Tracked(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if not tracked.started and not isinstance(exc, HTTPException):
                await _send_error(send, 500, "internal", "Something went wrong on our side; it has been logged.")
            raise


class Utf8Path:
    """Refuse a request whose path's percent-escapes do not spell UTF-8 (``/api/v1/threads/%FF/comments``) with 400
    in the error envelope. The server decodes such a path with U+FFFD in place of each bad byte, so different
    article ids (``%FF``, ``%FE``, the lone surrogate ``%ED%A0%80``) would all be stored as one thread named "\ufffd"
    and share its comments. A browser's ``encodeURIComponent`` never writes them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and b"%" in raw:
            try:
                unquote_to_bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                await _send_error(send, 400, "bad_request", "The address is not valid UTF-8: its percent-escapes must "
                                  "spell UTF-8 characters (as encodeURIComponent writes them).")
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers every response carries; HTML pages get a Content-Security-Policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def add_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers: list[Any] = list(msg.get("headers", []))
                names = {h[0].lower() for h in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
                ctype = next((h[1] for h in headers if h[0].lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in names:
                    ancestors = b"'none'" if path.startswith("/admin") else b"'self'"
                    extra.append((b"content-security-policy",
                                  b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                  b"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                                  b"frame-ancestors " + ancestors))
                    extra.append((b"x-frame-options", b"DENY" if path.startswith("/admin") else b"SAMEORIGIN"))
                msg["headers"] = headers + [e for e in extra if e[0] not in names]
            await send(msg)

        await self.app(scope, receive, add_headers)


class Cors(CORSMiddleware):
    """Starlette's CORS middleware, whose refusal of a preflight (a method, header or private-network access not
    allowed) comes as 400 in the error envelope, like every other error, rather than as plain text
    ("Disallowed CORS headers"); its CORS headers are kept, so that the browser reads which were allowed."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        refused = bytes(answer.body).decode("utf-8", "replace").removeprefix("Disallowed CORS ").split(", ")
        headers = {k: v for k, v in answer.headers.items() if k not in ("content-length", "content-type")}
        details = {"refused": refused, "allowed_methods": sorted(self.allow_methods),
                   "allowed_headers": sorted(self.allow_headers)}
        message = f"This API does not allow the {' and the '.join(refused)} this preflight asks for."
        return JSONResponse({"error": {"code": "bad_request", "message": message, "details": details}},
                            status_code=answer.status_code, headers=headers)
