"""ASGI middleware: request body limits and security headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit. An HTTPException, because body
    parsers pass those through (FastAPI turns any other error while reading the body into a 400); the
    error handlers answer it as 413 in the envelope."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 in the error envelope (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"The request body is larger than {self.max_bytes} bytes."
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
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(message)
            return msg

        tracked = _Tracked(send)
        try:
            await self.app(scope, limited_receive, tracked)
        except _TooLarge:
            if not tracked.started:
                await _send_error(send, 413, "payload_too_large", message)


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
