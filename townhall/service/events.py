"""Live updates: an in-process publish/subscribe bus for Server-Sent Events.

Publishers call ``publish`` from any thread; each subscriber is an asyncio queue on its own event loop.
A ``Relay`` (e.g. PostgreSQL LISTEN/NOTIFY) can carry events between processes: ``publish`` then hands the
event to the relay, and the relay calls ``deliver`` in every process, this one included.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol


class Relay(Protocol):
    def send(self, channel: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[_Subscriber]] = {}
        self.relay: Relay | None = None

    @staticmethod
    def channel(site_id: str, thread_external_id: str) -> str:
        return f"{site_id}\x1f{thread_external_id}"

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        if self.relay is not None:
            self.relay.send(channel, event)
        else:
            self.deliver(channel, event)

    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub.queue, event)
            except RuntimeError:  # loop closed
                self._remove(channel, sub)

    def subscriber_count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is None:
                return sum(len(s) for s in self._subs.values())
            return len(self._subs.get(channel, ()))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        sub = _Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subs.setdefault(channel, set()).add(sub)
        try:
            while True:
                yield await sub.queue.get()
        finally:
            self._remove(channel, sub)

    def _remove(self, channel: str, sub: _Subscriber) -> None:
        with self._lock:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]


def _offer(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if not queue.full():  # a reader too slow to keep up misses events and catches up by polling
        queue.put_nowait(event)
