"""Live updates over Server-Sent Events: readers are told about new comments as they arrive.

Each client address may hold at most ``live_streams_per_client`` streams open at once in a process
(:class:`LiveStreams`, kept on ``app.state.live_streams``); a stream takes its place when its response
starts and gives it back however it ends (finished, the reader gone, the server shutting down).
"""

from __future__ import annotations

import ipaddress
import threading
from typing import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from townhall.service.comments import check_thread_id
from townhall.service.errors import no_such_site
from townhall.service.events import Delivery
from townhall.web.api import services
from townhall.web.auth import site_id_of
from townhall.web.errors import envelope
from townhall.web.models import refusals

router = APIRouter(prefix="/api/v1")
_HEARTBEAT = b": heartbeat\n\n"


def client_key(host: str | None) -> str | None:
    """The address whose streams are counted together: an IPv4 address (also in its IPv6 form,
    ``::ffff:a.b.c.d``), or an IPv6 client's /64 (one host's privacy addresses all lie in it). None where the
    client has no address (a Unix socket without a forwarded header): such clients cannot be told apart, so
    they are not limited. ``host`` is uvicorn's client address, taken from ``X-Forwarded-For`` when the
    connection comes from a trusted proxy (``FORWARDED_ALLOW_IPS``), as for the rate limits."""
    if not host:
        return None
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class LiveStreams:
    """The live streams each client address holds open in this process (not shared between processes)."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client  # 0 or less: no limit
        self._lock = threading.Lock()  # one app may be served by several event loops (tests, embedding)
        self._open: dict[str, int] = {}

    def acquire(self, key: str | None) -> bool:
        """Take a place for a stream of ``key``; False when it holds ``per_client`` already."""
        if key is None or self.per_client <= 0:
            return True
        with self._lock:
            held = self._open.get(key, 0)
            if held >= self.per_client:
                return False
            self._open[key] = held + 1
            return True

    def release(self, key: str | None) -> None:
        if key is None or self.per_client <= 0:
            return
        with self._lock:
            held = self._open.get(key, 0) - 1
            if held > 0:
                self._open[key] = held
            else:
                self._open.pop(key, None)

    def count(self, key: str | None = None) -> int:
        """Streams open for ``key``, or for every client."""
        with self._lock:
            return self._open.get(key, 0) if key is not None else sum(self._open.values())


class _LiveResponse(StreamingResponse):
    """A stream that holds a place in :class:`LiveStreams` while it is sent. The place is taken and given back
    here, around the whole response, so that it is given back whatever ends the response: the stream's end,
    the reader's disconnect (Starlette cancels the sending), the server's shutdown (uvicorn cancels the
    request's task) or an error. Over the limit, the stream is not started (nothing is subscribed) and the
    answer is 429 ``too_many_streams`` in the error envelope."""

    def __init__(self, content: AsyncIterator[bytes], streams: LiveStreams, client: str | None) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.streams = streams
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.streams.acquire(self.client):
            refusal = envelope(429, "too_many_streams",
                               f"Too many live-update streams are open from your address (at most "
                               f"{self.streams.per_client}); close one, or follow the thread without live updates.")
            await refusal(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.streams.release(self.client)


def _frame(d: Delivery) -> bytes:
    if d.heartbeat:
        return _HEARTBEAT
    head = b"event: " + d.type.encode() + b"\n"
    if d.id is not None:
        head += b"id: %d\n" % d.id
    return head + b"data: " + d.data + b"\n\n"


def last_event_id(request: Request) -> str | None:
    """The last event the reader saw: the ``Last-Event-ID`` header a browser's EventSource sends when it
    reconnects by itself, else ``?last_event_id=`` (for a client that opens a new EventSource, which cannot
    set headers)."""
    value = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    return value[:40] if value else None


@router.get("/threads/{thread_id:path}/live", summary="Server-Sent Events for a thread (comment.published, …)",
            response_class=StreamingResponse,
            responses={200: {"description": "The stream of events", "content": {"text/event-stream": {}}},
                       **refusals(404, 422, 429, said={404: "`not_found`: no such site",
                                                    429: "Too many live-update streams open from the client's address"})})
async def live(request: Request, thread_id: str) -> StreamingResponse:
    svc = services(request)
    check_thread_id(thread_id)
    site_id = site_id_of(request, svc)
    if svc.site(site_id) is None:  # a thread that does not exist yet is fine: it is created on its first comment
        raise no_such_site(site_id)
    channel = svc.events.channel(site_id, thread_id)
    since = last_event_id(request)

    async def stream() -> AsyncIterator[bytes]:
        # Starlette cancels this generator when the reader goes away (it listens for the disconnect).
        subscription = svc.events.subscribe(channel, since)
        try:
            # The id the reader stands at, so that reconnecting before any event still gets what was missed: as an
            # event (``ready``), since an id alone is kept by the browser for its own reconnects but never shown to
            # the page, which opens a new stream with ``?last_event_id=`` after an error or a hidden tab's rest.
            at = (b"" if subscription.position is None or since is not None
                  else b'event: ready\nid: %d\ndata: {"type": "ready"}\n' % subscription.position)
            yield b"retry: 3000\n" + at + b"\n"
            while True:
                batch = await subscription.get_all()  # events, or a heartbeat every 15 s when there are none
                # Everything that arrived together goes out in one write.
                yield b"".join(_frame(d) for d in batch)
                if any(d.final for d in batch):  # a reset that ends the stream: the reader reconnects and reloads
                    return
        finally:
            subscription.close()

    streams: LiveStreams = request.app.state.live_streams
    return _LiveResponse(stream(), streams, client_key(request.client.host if request.client else None))
