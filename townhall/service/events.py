"""Live updates: an in-process publish/subscribe bus for Server-Sent Events.

Publishers call ``publish`` from any thread; each subscriber is an asyncio queue on its own event loop.
A ``Relay`` (e.g. PostgreSQL LISTEN/NOTIFY) can carry events between processes: ``publish`` then hands the
event to the relay, and the relay calls ``deliver`` in every process, this one included.

Delivery to an event loop is throttled: the first event after a quiet spell is handed over at once, and
events that follow within ``flush_every`` seconds are handed over together when that time is up. Under
load a reader then wakes (and its stream is written) a few times a second instead of once per event —
with 500 readers of busy threads, the difference between thousands of writes a second and hundreds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

FLUSH_EVERY = 0.5  # seconds: at most this late under load; at once when the loop has had nothing for as long
HEARTBEAT_EVERY = 15.0  # seconds: readers with nothing to receive get a heartbeat, so proxies keep the stream


class Relay(Protocol):
    def send(self, channel: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class Delivery:
    """One published event as all its subscribers receive it: the same object for every reader, so its
    JSON text is made once however many readers it goes to."""

    __slots__ = ("event", "heartbeat", "_data")

    def __init__(self, event: dict[str, Any], heartbeat: bool = False) -> None:
        self.event = event
        self.heartbeat = heartbeat  # not an event: a sign of life for a reader who has had nothing lately
        self._data: bytes | None = None

    @property
    def type(self) -> str:
        return str(self.event.get("type", "message"))

    @property
    def data(self) -> bytes:
        """The event as UTF-8 JSON (made on first use; two threads racing make the same bytes)."""
        if self._data is None:
            self._data = json.dumps(self.event).encode()
        return self._data


@dataclass(eq=False)
class Subscription:
    """One reader's stream of a channel's events, on the event loop that subscribed. ``get`` may be
    cancelled (a timeout) without ending the subscription; ``close`` ends it."""

    bus: EventBus
    channel: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    async def get(self) -> Delivery:
        return await self.queue.get()

    async def get_all(self) -> list[Delivery]:
        """Wait for the next event, and take every other one already waiting with it."""
        out = [await self.queue.get()]
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out

    def close(self) -> None:
        self.bus._remove(self.channel, self)


@dataclass(eq=False)
class _Outbox:
    """Events waiting for one event loop, and when that loop was last handed any."""

    pending: list[tuple[list[Subscription], Delivery]] = field(default_factory=list)
    armed: bool = False
    last_flush: float = float("-inf")
    beating: bool = False  # a heartbeat timer is set on the loop


class EventBus:
    def __init__(self, flush_every: float = FLUSH_EVERY, heartbeat_every: float = HEARTBEAT_EVERY) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self._outboxes: dict[asyncio.AbstractEventLoop, _Outbox] = {}
        self.flush_every = flush_every
        self.heartbeat_every = heartbeat_every
        self.relay: Relay | None = None
        # Called with (site id, thread id, event) for every event, before readers get it: in the process
        # that publishes it at once, in every process when delivered (e.g. to drop a thread's cached pages).
        self.watchers: list[Callable[[str, str, dict[str, Any]], None]] = []

    @staticmethod
    def channel(site_id: str, thread_external_id: str) -> str:
        return f"{site_id}\x1f{thread_external_id}"

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        if self.relay is not None:
            self._watch(channel, event)  # this process at once; the others when the relay delivers
            self.relay.send(channel, event)
        else:
            self.deliver(channel, event)

    def _watch(self, channel: str, event: dict[str, Any]) -> None:
        site_id, _, thread_id = channel.partition("\x1f")
        for watch in self.watchers:
            watch(site_id, thread_id, event)

    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        self._watch(channel, event)
        delivery = Delivery(event)
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, group in by_loop.items():
            if loop.is_closed():
                self._forget_loop(loop, channel, group)
                continue
            with self._lock:
                box = self._outboxes.setdefault(loop, _Outbox())
                box.pending.append((group, delivery))
                if box.armed:
                    continue  # a hand-over to this loop is already on its way
                box.armed = True
                delay = max(0.0, box.last_flush + self.flush_every - time.monotonic())
            try:
                loop.call_soon_threadsafe(self._arm, loop, delay)
            except RuntimeError:  # loop closed meanwhile
                self._forget_loop(loop, channel, group)

    def _forget_loop(self, loop: asyncio.AbstractEventLoop, channel: str, group: list[Subscription]) -> None:
        with self._lock:
            self._outboxes.pop(loop, None)
        for sub in group:
            self._remove(channel, sub)

    def _arm(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        if delay <= 0:
            self._flush(loop)
        else:
            loop.call_later(delay, self._flush, loop)

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            box = self._outboxes.get(loop)
            if box is None:
                return
            pending, box.pending = box.pending, []
            box.armed = False
            box.last_flush = time.monotonic()
        for group, delivery in pending:
            for sub in group:
                if not sub.queue.full():  # a reader too slow to keep up misses events and catches up by polling
                    sub.queue.put_nowait(delivery)

    def subscriber_count(self, channel: str | None = None) -> int:
        with self._lock:
            if channel is None:
                return sum(len(s) for s in self._subs.values())
            return len(self._subs.get(channel, ()))

    def subscribe(self, channel: str) -> Subscription:
        """Subscribe from inside a running event loop; ``close()`` the subscription when done."""
        loop = asyncio.get_running_loop()
        sub = Subscription(self, channel, loop)
        with self._lock:
            self._subs.setdefault(channel, set()).add(sub)
            box = self._outboxes.setdefault(loop, _Outbox())
            start_beating = not box.beating
            box.beating = True
        if start_beating:  # one timer per event loop, not one per reader and wait
            loop.call_later(self.heartbeat_every, self._beat, loop)
        return sub

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            mine = [s for group in self._subs.values() for s in group if s.loop is loop]
            idle = [s for s in mine if s.queue.empty()]
            again = bool(mine)
            if not again:  # nobody left on this loop: forget it (a later reader starts a new timer)
                self._outboxes.pop(loop, None)
        beat = Delivery({"type": "heartbeat"}, heartbeat=True)
        for sub in idle:
            sub.queue.put_nowait(beat)
        if again:
            loop.call_later(self.heartbeat_every, self._beat, loop)

    def _remove(self, channel: str, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]
