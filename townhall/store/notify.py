"""Live updates across processes through PostgreSQL LISTEN/NOTIFY.

``send`` NOTIFYs the event on one channel; every process (this one included) runs a listener thread
with its own psycopg connection that receives it and calls ``deliver`` (the service's ``EventBus.deliver``),
which hands it to that process's SSE readers. It lives in the store because it speaks SQL. If the database
cannot be reached, events are delivered locally only and the listener reconnects.

**Event ids.** Each notification carries the id of the transaction that sent it. Senders take a
transaction-level advisory lock first, and PostgreSQL queues a transaction's notifications before it lets go
of its locks, so every process receives the events in the order of their ids: a reader who reconnects to
another process, with the last id they saw, can be sent exactly what they missed.

**Size.** PostgreSQL takes payloads under 8,000 bytes. An event is sent with its text escaped to ASCII, or in UTF-8
where that is too long (a 1,000-character message or announcement of emoji: 12,000 bytes escaped, 4,000 in UTF-8;
the database's encoding is then UTF-8's, as ``createdb``'s default is). One still too long is delivered in this
process only.

**A lost connection.** Notifications sent while the listener was not connected are gone for this process.
When it connects again it tells the bus (``resync``, given by ``bind``), which resets its readers: the
widget then reloads what it may have missed.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable

import psycopg
from sqlalchemy.engine import make_url


log = logging.getLogger("townhall.relay")
PG_CHANNEL = "townhall_events"
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes and more
_ORDER_LOCK_ID = 0x74686576  # "thev": held by a sender from taking its id until its NOTIFY is queued
# The id is the sending transaction's (xid8: never reused, increasing); the materialised CTE takes the lock
# before the id is assigned.
_SEND = ("WITH serialised AS MATERIALIZED (SELECT pg_advisory_xact_lock(%s)) "
         "SELECT pg_notify(%s, json_build_object('i', pg_current_xact_id()::text::bigint, 'c', %s::text, "
         "'e', %s::json)::text) FROM serialised")
# Every transaction from this one on sends notifications this listener will receive.
_POSITION = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint - 1"

Deliver = Callable[[str, dict[str, Any], int | None], None]
Resync = Callable[[int | None, bool], None]


def conninfo(url: str) -> str:
    """A libpq connection string from an SQLAlchemy URL (postgresql+psycopg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _event_json(channel: str, event: dict[str, Any]) -> tuple[str | None, int]:
    """The event's JSON as the notification carries it, and the notification's size in bytes: escaped to ASCII
    (``\\uXXXX``, up to 12 bytes a character), or in UTF-8 (at most 4) where the escaped notification would be over
    ``MAX_PAYLOAD``; None where neither fits. The size is the notification's as this process would write it, with
    the largest id: ``{"c": channel, "e": event, "i": id}``."""
    size = 0
    for ascii_only in (True, False):
        text = json.dumps(event, separators=(",", ":"), ensure_ascii=ascii_only)
        size = len(f'{{"c":{json.dumps(channel, ensure_ascii=ascii_only)},"e":{text},"i":{2**63 - 1}}}'.encode())
        if size <= MAX_PAYLOAD:
            return text, size
    return None, size


class PgRelay:
    def __init__(self, url: str, deliver: Deliver, channel: str = PG_CHANNEL) -> None:
        self.dsn = conninfo(url)
        self.deliver = deliver
        self.channel = channel
        self.resync: Resync | None = None
        self._send_lock = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: psycopg.Connection[Any] | None = None

    def bind(self, resync: Resync) -> None:
        """Tell ``resync`` where the listener stands each time it connects (the bus's ``EventBus.resync``)."""
        self.resync = resync

    def start(self, wait: float = 5.0) -> None:
        self._thread = threading.Thread(target=self._listen, name="townhall-relay", daemon=True)
        self._thread.start()
        self._ready.wait(wait)

    def send(self, channel: str, event: dict[str, Any]) -> None:
        sent, size = _event_json(channel, event)
        if sent is None:
            log.warning("live event too large for NOTIFY (%d bytes); delivered in this process only", size)
            self.deliver(channel, event, None)
            return
        with self._send_lock:
            for attempt in (1, 2):
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                    self._sender.execute(_SEND, (_ORDER_LOCK_ID, self.channel, channel, sent))
                    return
                except psycopg.Error as exc:
                    self._sender = None
                    if attempt == 2:
                        log.warning("NOTIFY failed (%s); delivered in this process only", exc)
        self.deliver(channel, event, None)

    def _listen(self) -> None:
        connected_before = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    self._listener = conn
                    conn.execute(f'LISTEN "{self.channel}"')
                    row = conn.execute(_POSITION).fetchone()
                    self._resync(int(row[0]) if row else None, lost=connected_before)
                    connected_before = True
                    self._ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._deliver(note.payload)
            except Exception as exc:  # noqa: BLE001 - the thread must outlive anything, or live updates stop
                if not self._stop.is_set():
                    log.warning("live-update listener lost its connection (%s); reconnecting", exc)
                    self._stop.wait(1.0)
            finally:
                self._listener = None

    def _resync(self, position: int | None, lost: bool) -> None:
        if self.resync is None:
            return
        try:
            self.resync(position, lost)
        except Exception:  # noqa: BLE001
            log.exception("live-update resync failed")

    def _deliver(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            channel, event = str(data["c"]), dict(data["e"])
            event_id = int(data["i"]) if data.get("i") is not None else None
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed live-update notification")
            return
        try:
            self.deliver(channel, event, event_id)
        except Exception:  # noqa: BLE001 - one failing watcher must not stop the listener
            log.exception("delivering a live update failed")

    def listener_pid(self) -> int | None:
        """The backend process id of the listener's connection (None while it is not connected)."""
        conn = self._listener
        return None if conn is None or conn.closed else int(conn.info.backend_pid)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._send_lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None
