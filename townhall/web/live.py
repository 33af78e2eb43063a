"""Live updates over Server-Sent Events: readers are told about new comments as they arrive."""

from __future__ import annotations

import asyncio
import json
from typing import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from townhall.service.comments import check_thread_id
from townhall.web.api import services
from townhall.web.auth import site_id_of

router = APIRouter(prefix="/api/v1")
HEARTBEAT_SECONDS = 15.0


@router.get("/threads/{thread_id}/live", summary="Server-Sent Events for a thread (comment.published, …)",
            response_class=StreamingResponse)
async def live(request: Request, thread_id: str) -> StreamingResponse:
    svc = services(request)
    check_thread_id(thread_id)
    channel = svc.events.channel(site_id_of(request, svc), thread_id)

    async def stream() -> AsyncIterator[str]:
        # Starlette cancels this generator when the reader goes away (it listens for the disconnect).
        yield "retry: 3000\n\n"
        subscription = svc.events.subscribe(channel)
        try:
            while True:
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        event = await subscription.get()
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                yield f"event: {event.get('type', 'message')}\ndata: {json.dumps(event)}\n\n"
        finally:
            subscription.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
