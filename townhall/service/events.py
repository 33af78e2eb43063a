"""Live updates: an in-process publish/subscribe bus for Server-Sent Events.

Publishers call ``publish`` from any thread; each subscriber is an asyncio queue on its own event loop.
A ``Relay`` (e.g. PostgreSQL LISTEN/NOTIFY) can carry events between processes: ``publish`` then hands the
event to the relay, and the relay calls ``deliver`` in every process, this one included.

Delivery to an event loop is throttled: the first event after a quiet spell is handed over at once, and
events that follow within ``flush_every`` seconds are handed over together when that time is up. Under
load a reader then wakes (and its stream is written) a few times a second instead of once per event —
with 500 readers of busy threads, the difference between thousands of writes a second and hundreds.

Every event carries an id, increasing in the order readers receive events: in one process a counter that
starts at the process's start time in microseconds (so ids keep increasing across restarts); through a relay,
the id the relay gives it (on PostgreSQL the notifying transaction's id, the same in every process). The bus
keeps the last ``history`` events, so that a reader who reconnects with the last id they saw
(``Last-Event-ID``) is sent what they missed. Where that cannot be done — the id is older than what is
kept, from another run, or unknown; the relay lost its connection and events may have gone by unseen; a
reader too slow to keep up — the reader gets a ``reset`` event instead: reload the thread.

**Channels.** A thread's channel is ``channel(site, thread)`` (``site\x1fthread``); its readers subscribe to it. A
site's channel, ``site_channel(site)`` (``site\x1f``: no thread id is empty), has no readers of its own: an event
published on it (``site.announcement``, the site's announcement set or cleared) is delivered to every reader of
every thread of that site in this process, and — being one event on one channel — the relay carries it to the other
processes as such, where it reaches their readers of the site's threads, including threads no reader here follows.
It is kept in the history once, under the site's channel, and replayed to a reader of any of the site's threads who
reconnects from before it (or the reader is reset, as for a thread's events). Watchers see it with the thread id
``""``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

FLUSH_EVERY = 0.5  # seconds: at most this late under load; at once when the loop has had nothing for as long
HEARTBEAT_EVERY = 15.0  # seconds: readers with nothing to receive get a heartbeat, so proxies keep the stream
HISTORY = 1000  # events kept for readers who reconnect (all threads of the process together)
QUEUE_SIZE = 1000  # events waiting for one reader; a reader this far behind is reset, not kept up


def _clock_id() -> int:
    return time.time_ns() // 1000


class Relay(Protocol):
    def send(self, channel: str, event: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class Resync(Protocol):
    """What a relay calls when its listener (re)connects: ``position`` is the id from which every later event
    will reach this process (None: not known, replay nothing); ``lost``: events may have gone by unseen."""

    def __call__(self, position: int | None, lost: bool) -> None: ...


class Delivery:
    """One published event as all its subscribers receive it: the same object for every reader, so its
    JSON text is made once however many readers it goes to."""

    __slots__ = ("event", "heartbeat", "id", "final", "_data")

    def __init__(self, event: dict[str, Any], heartbeat: bool = False, event_id: int | None = None,
                 final: bool = False) -> None:
        self.event = event
        self.heartbeat = heartbeat  # not an event: a sign of life for a reader who has had nothing lately
        self.id = event_id  # the SSE id (None: the event has none, e.g. a heartbeat)
        self.final = final  # the stream ends after it (a reset the reader must act on)
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
    queue: asyncio.Queue[Delivery] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    position: int | None = None  # the id of the last event this reader has (been sent, or had no need of)
    ended: bool = False  # a final reset is waiting: nothing more is queued

    def offer(self, delivery: Delivery) -> None:
        """Queue an event (on the subscriber's loop). A reader who has ``QUEUE_SIZE`` waiting already is too
        slow to keep up: what waits is dropped, and the reader gets a final ``reset`` instead of missing
        events without knowing."""
        if self.ended:
            return
        if not self.queue.full():
            self.queue.put_nowait(delivery)
            return
        self.end(reset_event("slow", delivery.id if delivery.id is not None else self.bus.last_id))

    def end(self, reset: Delivery) -> None:
        """Drop what waits and queue ``reset`` (final) as the last thing this reader gets."""
        if self.ended:
            return
        self.ended = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(reset)

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


def reset_event(reason: str, position: int | None, final: bool = True) -> Delivery:
    """"You may have missed events: reload the thread". Its id is where the reader stands once reloaded."""
    return Delivery({"type": "reset", "reason": reason}, event_id=position, final=final)


@dataclass(eq=False)
class _Outbox:
    """Events waiting for one event loop, and when that loop was last handed any."""

    pending: list[tuple[list[Subscription], Delivery]] = field(default_factory=list)
    armed: bool = False
    last_flush: float = float("-inf")
    beating: bool = False  # a heartbeat timer is set on the loop


class EventBus:
    def __init__(self, flush_every: float = FLUSH_EVERY, heartbeat_every: float = HEARTBEAT_EVERY,
                 history: int = HISTORY) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self._outboxes: dict[asyncio.AbstractEventLoop, _Outbox] = {}
        self.flush_every = flush_every
        self.heartbeat_every = heartbeat_every
        self._relay: Relay | None = None
        # The last events, oldest first, and the id after which none is missing from them (None: none known)
        self._history: deque[tuple[int, str, Delivery]] = deque()
        self._history_size = max(0, history)
        self._floor: int | None = _clock_id()
        self.last_id: int | None = self._floor
        # Called with (site id, thread id, event) for every event, before readers get it: in the process
        # that publishes it at once, in every process when delivered (e.g. to drop a thread's cached pages).
        # A site's event (on ``site_channel``) comes with the thread id "".
        self.watchers: list[Callable[[str, str, dict[str, Any]], None]] = []

    @staticmethod
    def channel(site_id: str, thread_external_id: str) -> str:
        return f"{site_id}\x1f{thread_external_id}"

    @staticmethod
    def site_channel(site_id: str) -> str:
        """The channel of every thread of a site at once (a thread id is never empty): see the module's docstring."""
        return f"{site_id}\x1f"

    def _readers(self, channel: str) -> list[Subscription]:
        """The readers an event on ``channel`` goes to: its own, or for a site's channel those of every thread of the
        site (called with the lock held)."""
        if not channel.endswith("\x1f"):
            return list(self._subs.get(channel, ()))
        return [s for c, group in self._subs.items() if c.startswith(channel) for s in group]

    @property
    def relay(self) -> Relay | None:
        return self._relay

    @relay.setter
    def relay(self, relay: Relay | None) -> None:
        """Events then take their ids from the relay; one that can tell of a lost connection (``bind``) is
        given :meth:`resync`. Until it reports where it stands, reconnecting readers are reset."""
        with self._lock:
            self._relay = relay
            self._history.clear()
            if relay is not None:  # ids of another kind from now on
                self._floor = self.last_id = None
            else:
                self.last_id = max(self.last_id or 0, _clock_id())
                self._floor = self.last_id
        bind = getattr(relay, "bind", None)
        if callable(bind):
            bind(self.resync)

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        relay = self._relay
        if relay is not None:
            self._watch(channel, event)  # this process at once; the others when the relay delivers
            relay.send(channel, event)
        else:
            self.deliver(channel, event)

    def _watch(self, channel: str, event: dict[str, Any]) -> None:
        site_id, _, thread_id = channel.partition("\x1f")
        for watch in self.watchers:
            watch(site_id, thread_id, event)

    def deliver(self, channel: str, event: dict[str, Any], event_id: int | None = None) -> None:
        """Hand ``event`` to this process's readers of ``channel``. ``event_id``: the id a relay gave it; without
        a relay the bus numbers it; through a relay without an id (delivered here only) it has none."""
        self._watch(channel, event)
        with self._lock:
            if event_id is None and self._relay is None:
                event_id = max((self.last_id or 0) + 1, _clock_id())
            delivery = Delivery(event, event_id=event_id)
            if event_id is not None:
                self._remember(channel, delivery, event_id)
            subs = self._readers(channel)  # with the history, under one lock: replayed or sent, never both
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, group in by_loop.items():
            if loop.is_closed():
                self._forget_loop(loop, group)
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
                self._forget_loop(loop, group)

    def _remember(self, channel: str, delivery: Delivery, event_id: int) -> None:
        """Keep the event for reconnecting readers (called with the lock held)."""
        if self.last_id is not None and event_id <= self.last_id:
            # Out of order (a relay's id from before the listener's position): readers who reconnect from
            # before it cannot be told exactly what they missed.
            self._history.clear()
            self._floor = self.last_id
            return
        self.last_id = event_id
        if self._history_size == 0:
            self._floor = event_id
            return
        self._history.append((event_id, channel, delivery))
        while len(self._history) > self._history_size:
            self._floor = self._history.popleft()[0]

    def resync(self, position: int | None, lost: bool) -> None:
        """The relay's listener stands at ``position`` (see :class:`Resync`). After a loss every reader gets a
        final ``reset``: the stream ends, and the reader reloads (the widget polls the count on reconnecting)."""
        with self._lock:
            self._history.clear()
            self._floor = position
            self.last_id = position
            subs = [s for group in self._subs.values() for s in group] if lost else []
            mark = self.last_id
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, group in by_loop.items():
            reset = reset_event("lost", mark)
            try:
                loop.call_soon_threadsafe(lambda group=group, reset=reset: [s.end(reset) for s in group])
            except RuntimeError:  # loop closed: its readers are gone
                pass

    def _replay(self, channel: str, last_event_id: str | None) -> tuple[list[Delivery], int | None]:
        """What a reader who last saw ``last_event_id`` missed on ``channel``, and the id they then stand at
        (called with the lock held). A reset where that cannot be told."""
        position = self.last_id
        if last_event_id is None or not last_event_id.strip():
            return [], position
        try:
            seen = int(last_event_id.strip())
        except ValueError:
            return [reset_event("unknown", position, final=False)], position
        if self._floor is None or position is None or not self._floor <= seen <= position:
            return [reset_event("unknown" if position is None or seen > position else "too_old", position,
                                final=False)], position
        site = self.site_channel(channel.partition("\x1f")[0])  # and what was sent to every thread of its site
        missed = [d for i, c, d in self._history if i > seen and (c == channel or c == site)]
        if len(missed) >= QUEUE_SIZE:
            return [reset_event("too_many", position, final=False)], position
        return missed, position

    def _forget_loop(self, loop: asyncio.AbstractEventLoop, group: list[Subscription]) -> None:
        with self._lock:
            self._outboxes.pop(loop, None)
        for sub in group:
            self._remove(sub.channel, sub)

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
                sub.offer(delivery)  # a reader too slow to keep up is reset

    def subscriber_count(self, channel: str | None = None) -> int:
        """Readers of ``channel`` (a site's channel: of all its threads), or of every channel."""
        with self._lock:
            if channel is None:
                return sum(len(s) for s in self._subs.values())
            return len(self._readers(channel))

    def subscribe(self, channel: str, last_event_id: str | None = None) -> Subscription:
        """Subscribe from inside a running event loop; ``close()`` the subscription when done. With
        ``last_event_id`` (the reader's ``Last-Event-ID``), what they missed since is queued first, or a
        ``reset`` where that cannot be told. ``position`` is then the id the reader stands at."""
        loop = asyncio.get_running_loop()
        sub = Subscription(self, channel, loop)
        with self._lock:
            missed, sub.position = self._replay(channel, last_event_id)
            for delivery in missed:
                sub.queue.put_nowait(delivery)
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
            sub.offer(beat)
        if again:
            loop.call_later(self.heartbeat_every, self._beat, loop)

    def _remove(self, channel: str, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]
