"""Live updates: an in-process publish/subscribe bus for Server-Sent Events.

Publishers call ``publish`` from any thread; each subscriber is an asyncio queue on its own event loop.
A ``Relay`` (e.g. PostgreSQL LISTEN/NOTIFY) can carry events between processes: ``publish`` then hands the
event to the relay, and the relay calls ``deliver`` in every process, this one included.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


class Relay(Protocol):
    def send(self, channel: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One reader's stream of a channel's events, on the event loop that subscribed. ``get`` may be
    cancelled (a timeout) without ending the subscription; ``close`` ends it."""

    bus: EventBus
    channel: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self.bus._remove(self.channel, self)


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
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
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, group in by_loop.items():  # one wake-up per event loop, not one per reader
            try:
                loop.call_soon_threadsafe(_offer, group, event)
            except RuntimeError:  # loop closed
                for sub in group:
                    self._remove(channel, sub)

    def subscriber_count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is None:
                return sum(len(s) for s in self._subs.values())
            return len(self._subs.get(channel, ()))

    def subscribe(self, channel: str) -> Subscription:
        """Subscribe from inside a running event loop; ``close()`` the subscription when done."""
        sub = Subscription(self, channel, asyncio.get_running_loop())
        with self._lock:
            self._subs.setdefault(channel, set()).add(sub)
        return sub

    def _remove(self, channel: str, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]


def _offer(group: list[Subscription], event: dict[str, Any]) -> None:
    for sub in group:
        if not sub.queue.full():  # a reader too slow to keep up misses events and catches up by polling
            sub.queue.put_nowait(event)
