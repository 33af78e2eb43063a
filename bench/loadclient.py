"""A small HTTP/1.1 load client: one keep-alive connection per simulated user, over asyncio streams.

Why not httpx here: on this 2-core machine the load generator shares the CPU with the server it measures.
httpx's async pool spent 1.8 ms of client CPU per request at concurrency 16 and 8 ms at 64 (3.7 ms with one
client per connection), so at 64 users the benchmark measured httpx, not the server (118 posts/s with httpx,
392 with this client, same server, same run). This client spends about 0.2 ms per request at any
concurrency, as wrk or hey would. It speaks only what the benchmarks need: GET/POST, JSON bodies,
Content-Length or chunked responses, keep-alive (reconnecting when the server closes), no cookies, no TLS.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit


class Response:
    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class ConnectionError_(OSError):
    """The server closed or broke the connection mid-request."""


class LoadClient:
    """One connection to one server; requests on it go one after another, like one browser tab's."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._origin: tuple[str, int] | None = None

    async def get(self, url: str, *, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("GET", url, params=params, headers=headers)

    async def post(self, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                   headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("POST", url, params=params, json=json, headers=headers)

    async def request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                      headers: Mapping[str, str] | None = None) -> Response:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        if params:
            target += ("&" if "?" in target else "?") + urlencode(params)
        body = b"" if json is None else jsonlib.dumps(json).encode()
        lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Accept: application/json"]
        if json is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (1, 2):  # a keep-alive connection the server has closed in between is retried once
            fresh = await self._connect(host, port)
            try:
                return await asyncio.wait_for(self._exchange(raw), self.timeout)
            except (ConnectionError_, ConnectionError, asyncio.IncompleteReadError):
                await self.aclose()
                if fresh or attempt == 2:
                    raise ConnectionError_(f"{method} {url}: connection closed by the server") from None
        raise AssertionError("unreachable")

    async def _connect(self, host: str, port: int) -> bool:
        if self._writer is not None and self._origin == (host, port) and not self._writer.is_closing():
            return False
        await self.aclose()
        self._reader, self._writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.timeout)
        self._origin = (host, port)
        return True

    async def _exchange(self, raw: bytes) -> Response:
        assert self._reader is not None and self._writer is not None
        self._writer.write(raw)
        await self._writer.drain()
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError_("closed")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = await self._reader.readline()
            if not line:
                raise ConnectionError_("closed")
            if line == b"\r\n":
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return Response(status, headers, content)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        out = bytearray()
        while True:
            size = int((await self._reader.readline()).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await self._reader.readline()) not in (b"\r\n", b""):
                    pass
                return bytes(out)
            out += await self._reader.readexactly(size)
            await self._reader.readexactly(2)

    async def aclose(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def __aenter__(self) -> LoadClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
