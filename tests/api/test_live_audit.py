"""Audit of live updates: event ids and reconnection (``Last-Event-ID``), resets where a reader may have
missed events (too old an id, a slow reader, the PostgreSQL listener's lost connection), ids shared by
processes on one PostgreSQL database, a listener that outlives a failing watcher, and the stream's answers
for unknown sites and odd thread ids."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any, Callable

import httpx
import pytest

from tests.fixtures_app import AppFactory, LiveServer, auth
from townhall.app import Townhall
from townhall.service.events import QUEUE_SIZE, Delivery, EventBus

THREAD = "audit-article"
Events = list[tuple[str, str | None, dict[str, Any]]]  # (type, id, data)


def wait_for(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.02)


class Stream:
    """A raw SSE stream on a socket, parsed into events (heartbeats, id-only messages and ``ready`` skipped)."""

    def __init__(self, server: LiveServer, thread: str = THREAD, headers: str = "", query: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.sock.sendall(f"GET /api/v1/threads/{thread}/live{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Accept: text/event-stream\r\n{headers}\r\n".encode())
        self.buf = b""
        self.head = b""
        self.first_id: str | None = None
        self.closed = False
        self._read_head()

    def _read_head(self) -> None:
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            self.closed = True
        return chunk

    def events(self, until: Callable[[Events], bool], limit: float = 10.0) -> Events:
        out: Events = []
        deadline = time.monotonic() + limit
        text = b""
        while not until(out):
            assert time.monotonic() < deadline, (out, self.buf)
            if b"\n\n" not in self.buf:
                chunk = self._recv()
                assert chunk, ("stream ended", out)
                self.buf += chunk
                continue
            block, self.buf = self.buf.split(b"\n\n", 1)
            text += block
            fields: dict[str, str] = {}
            for line in block.decode().split("\n"):
                if line and not line.startswith(":"):
                    name, _, value = line.partition(":")
                    if name.strip().isdigit() or "\r" in name:  # chunked-encoding sizes
                        continue
                    fields[name.strip()[-5:] if name.strip().endswith("retry") else name.strip()] = value.strip()
            if fields.get("event") == "ready":  # the stream's first message: the position the reader stands at
                self.first_id = self.first_id or fields.get("id")
            elif "data" in fields:
                out.append((fields.get("event", "message"), fields.get("id"), json.loads(fields["data"])))
            elif "id" in fields and self.first_id is None:
                self.first_id = fields["id"]
        return out

    def settle(self, app: Townhall, thread: str = THREAD) -> Events:
        """Read until the events sent before this stream subscribed have all passed, and return them. On PostgreSQL
        a post made before the stream subscribed reaches it through the relay (LISTEN/NOTIFY), which may be after it
        did: its ``comment.published`` would come before the event a test waits for. A marker sent now on the
        thread's channel arrives after every event sent before it (one relay, in the order sent)."""
        bus = app.services.events
        marker = {"type": "test.settled", "nonce": time.monotonic_ns()}
        bus.publish(bus.channel(app.settings.default_site, thread), marker)
        got = self.events(lambda e: any(d == marker for _, _, d in e))
        return [e for e in got if e[2] != marker]

    def ended(self, limit: float = 10.0) -> bool:
        self.sock.settimeout(limit)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk or chunk.endswith(b"0\r\n\r\n"):
                    return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def post(server: LiveServer, text: str, thread: str = THREAD, who: str = "alice") -> int:
    r = httpx.post(f"{server.url}/api/v1/threads/{thread}/comments", json={"text": text}, headers=auth(who))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def relay_settled(app: Townhall, thread: str = THREAD) -> None:
    """Wait until this process has been handed every event sent on the thread's channel so far. On PostgreSQL an
    event reaches this process's watchers (the page cache among them) twice: at once when sent, and again when the
    relay (LISTEN/NOTIFY) delivers it, which may be later; a marker sent now comes back after every earlier event."""
    bus = app.services.events
    marker = {"type": "test.settled", "nonce": time.monotonic_ns()}
    seen: list[str] = []

    def watch(site_id: str, thread_id: str, event: dict[str, Any]) -> None:
        if event == marker:
            seen.append(thread_id)

    bus.watchers.append(watch)
    try:
        bus.publish(bus.channel(app.settings.default_site, thread), marker)
        wait_for(lambda: len(seen) >= (2 if app.settings.database_url.startswith("postgresql") else 1))
    finally:
        bus.watchers.remove(watch)


def subscribed(app: Townhall, n: int, thread: str = THREAD) -> None:
    bus = app.services.events
    wait_for(lambda: bus.subscriber_count(bus.channel(app.settings.default_site, thread)) == n)


def test_events_carry_increasing_ids_and_a_reconnect_gets_what_it_missed(app: Townhall, live_server: LiveServer) -> None:
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        first = post(live_server, "Before the reader's connection drops.")
        got = stream.events(lambda e: any(d["id"] == first for _, _, d in e))
        seen = [i for _, i, d in got if d["id"] == first][0]
        assert seen is not None and stream.first_id is not None and int(seen) > int(stream.first_id)
    finally:
        stream.close()
    subscribed(app, 0)
    missed = [post(live_server, f"While away {n}.") for n in range(3)]
    elsewhere = post(live_server, "Another article.", thread="audit-elsewhere")
    for how in ({"headers": f"Last-Event-ID: {seen}\r\n"}, {"query": f"?last_event_id={seen}"}):
        again = Stream(live_server, **how)  # type: ignore[arg-type]
        try:
            got = again.events(lambda e: len(e) >= len(missed))
            assert [d["id"] for _, _, d in got] == missed and elsewhere not in [d["id"] for _, _, d in got]
            ids = [int(i or 0) for _, i, _ in got]
            assert ids == sorted(ids) and len(set(ids)) == len(missed) and ids[0] > int(seen)
            later = post(live_server, "Live again.")
            assert again.events(lambda e: bool(e))[0][2]["id"] == later
            missed.append(later)  # the next reconnect from the same id misses it too
        finally:
            again.close()
        subscribed(app, 0)


def test_a_reader_whose_id_is_too_old_or_unknown_is_told_to_reload(app: Townhall, live_server: LiveServer) -> None:
    for stale in ("1", "not-an-id", "99999999999999999999"):
        stream = Stream(live_server, headers=f"Last-Event-ID: {stale}\r\n")
        try:
            kind, ident, data = stream.events(lambda e: bool(e))[0]
            assert kind == "reset" and data["type"] == "reset", (stale, kind, data)
            subscribed(app, 1)
            cid = post(live_server, f"After a reset from {stale}.")  # the stream goes on
            assert stream.events(lambda e: bool(e))[0][2]["id"] == cid
        finally:
            stream.close()
        subscribed(app, 0)


def test_stream_headers_and_answers_for_unknown_sites_and_odd_thread_ids(app: Townhall, live_server: LiveServer) -> None:
    stream = Stream(live_server, thread="no-such-thread-yet")  # created on its first comment: a stream, not 404
    try:
        head = stream.head.decode().lower()
        assert " 200 " in head.split("\r\n")[0]
        assert "text/event-stream" in head and "cache-control: no-cache" in head and "x-accel-buffering: no" in head
    finally:
        stream.close()
    with httpx.Client(base_url=live_server.url, timeout=5) as c:
        r = c.get(f"/api/v1/threads/{THREAD}/live", params={"site": "no-such-site"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
        for odd in ("%00", "a%0Ab", "x" * 301, "%E2%80%AE%F0%9F%98%80/..%2F", "%FF"):
            with c.stream("GET", f"/api/v1/threads/{odd}/live", headers={"Last-Event-ID": b"\xff"}) as resp:
                assert resp.status_code < 500, (odd, resp.status_code)


def test_a_reader_too_slow_to_keep_up_is_reset_not_left_behind_silently() -> None:
    bus = EventBus(flush_every=0.0)
    channel = bus.channel("site", "article")

    async def scenario() -> list[Delivery]:
        sub = bus.subscribe(channel)
        for n in range(QUEUE_SIZE + 50):
            bus.publish(channel, {"type": "comment.published", "id": n})
            if n % 100 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        got = await sub.get_all()
        sub.close()
        return got

    got = asyncio.run(scenario())
    assert len(got) <= QUEUE_SIZE
    assert got[-1].type == "reset" and got[-1].final and got[-1].id is not None


def test_a_reset_on_a_live_stream_ends_it_so_the_widget_reconnects(app: Townhall, live_server: LiveServer) -> None:
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        app.services.events.resync(app.services.events.last_id, True)  # as after the listener lost its connection
        kind, ident, _ = stream.events(lambda e: bool(e))[0]
        assert kind == "reset" and ident is not None
        assert stream.ended()
    finally:
        stream.close()
    subscribed(app, 0)


# ---------------------------------------------------------------- several processes on PostgreSQL


async def _collect(bus: EventBus, channel: str, n: int, since: str | None = None, limit: float = 10) -> list[Delivery]:
    sub = bus.subscribe(channel, since)
    out: list[Delivery] = []
    try:
        while len(out) < n:
            out += [d for d in await asyncio.wait_for(sub.get_all(), limit) if not d.heartbeat]
    finally:
        sub.close()
    return out


@pytest.mark.postgres
def test_two_processes_give_each_event_the_same_increasing_id_and_replay_each_others(
        make_app: AppFactory, postgres: Any) -> None:
    url = postgres.fresh()
    one, two = make_app(url), make_app(url)
    site = one.settings.default_site
    channel = EventBus.channel(site, THREAD)
    got: dict[str, list[Delivery]] = {}
    ready = threading.Barrier(3)

    def reader(name: str, app: Townhall) -> None:
        async def run() -> None:
            task = asyncio.ensure_future(_collect(app.services.events, channel, 6))
            await asyncio.sleep(0.2)
            ready.wait()
            got[name] = await task
        asyncio.run(run())

    threads = [threading.Thread(target=reader, args=(n, a)) for n, a in (("one", one), ("two", two))]
    for t in threads:
        t.start()
    ready.wait()
    publishers = [threading.Thread(target=lambda a=a, k=k: [a.services.events.publish(channel, {"type": "comment.published", "id": k * 10 + i}) for i in range(3)])
                  for k, a in enumerate((one, two))]
    for p in publishers:
        p.start()
    for t in publishers + threads:
        t.join(20)
    seq_one = [(d.id, d.event["id"]) for d in got["one"]]
    assert seq_one == [(d.id, d.event["id"]) for d in got["two"]]  # same order, same ids in both processes
    ids = [i for i, _ in seq_one]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids) and len(set(ids)) == 6

    # a reader who saw the first two events on process one reconnects to process two
    rest = asyncio.run(_collect(two.services.events, channel, 4, since=str(ids[1])))
    assert [(d.id, d.event["id"]) for d in rest] == seq_one[2:]


@pytest.mark.postgres
def test_the_listener_reconnects_after_its_connection_is_killed_and_readers_are_reset(
        make_app: AppFactory, postgres: Any) -> None:
    import sqlalchemy as sa

    url = postgres.fresh()
    one, two = make_app(url), make_app(url)
    relay = two.services.operations.relay  # type: ignore[union-attr]
    channel = EventBus.channel(one.settings.default_site, THREAD)

    async def scenario() -> tuple[list[Delivery], list[Delivery]]:
        bus = two.services.events
        sub = bus.subscribe(channel)
        pid = relay.listener_pid()
        assert pid is not None
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        engine.dispose()
        first = await asyncio.wait_for(sub.get_all(), 10)
        sub.close()
        deadline = time.monotonic() + 10
        while relay.listener_pid() in (None, pid):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        task = asyncio.ensure_future(_collect(bus, channel, 1))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(one.services.events.publish, channel, {"type": "comment.published", "id": 7})
        return first, await task

    first, after = asyncio.run(scenario())
    assert [d.type for d in first] == ["reset"] and first[0].final
    assert [d.event["id"] for d in after] == [7]  # the listener is back


@pytest.mark.postgres
def test_a_failing_watcher_does_not_stop_the_listener(make_app: AppFactory, postgres: Any) -> None:
    url = postgres.fresh()
    one, two = make_app(url), make_app(url)
    channel = EventBus.channel(one.settings.default_site, THREAD)
    calls: list[int] = []

    def broken(site: str, thread: str, event: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a watcher's bug")

    two.services.events.watchers.append(broken)

    async def scenario() -> list[Delivery]:
        task = asyncio.ensure_future(_collect(two.services.events, channel, 1))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(one.services.events.publish, channel, {"type": "comment.published", "id": 1})
        await asyncio.sleep(0.5)
        await asyncio.to_thread(one.services.events.publish, channel, {"type": "comment.published", "id": 2})
        return await task

    got = asyncio.run(scenario())
    assert [d.event["id"] for d in got] == [2]
