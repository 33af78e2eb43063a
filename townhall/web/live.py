"""Live updates over Server-Sent Events: readers are told about new comments as they arrive."""

from __future__ import annotations

from typing import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from townhall.service.comments import check_thread_id
from townhall.web.api import services
from townhall.web.auth import site_id_of

router = APIRouter(prefix="/api/v1")
_HEARTBEAT = b": heartbeat\n\n"


@router.get("/threads/{thread_id:path}/live", summary="Server-Sent Events for a thread (comment.published, …)",
            response_class=StreamingResponse)
async def live(request: Request, thread_id: str) -> StreamingResponse:
    svc = services(request)
    check_thread_id(thread_id)
    channel = svc.events.channel(site_id_of(request, svc), thread_id)

    async def stream() -> AsyncIterator[bytes]:
        # Starlette cancels this generator when the reader goes away (it listens for the disconnect).
        yield b"retry: 3000\n\n"
        subscription = svc.events.subscribe(channel)
        try:
            while True:
                batch = await subscription.get_all()  # events, or a heartbeat every 15 s when there are none
                # Everything that arrived together goes out in one write.
                yield b"".join(_HEARTBEAT if d.heartbeat else b"event: " + d.type.encode() + b"\ndata: " + d.data + b"\n\n"
                               for d in batch)
        finally:
            subscription.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
