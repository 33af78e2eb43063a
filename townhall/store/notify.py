"""Live updates across processes through PostgreSQL LISTEN/NOTIFY.

``send`` NOTIFYs the event on one channel; every process (this one included) runs a listener thread
with its own psycopg connection that receives it and calls ``deliver`` (the service's ``EventBus.deliver``),
which hands it to that process's SSE readers. It lives in the store because it speaks SQL. If the database cannot be reached, events are delivered locally only and the
listener reconnects.
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


def conninfo(url: str) -> str:
    """A libpq connection string from an SQLAlchemy URL (postgresql+psycopg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgRelay:
    def __init__(self, url: str, deliver: Callable[[str, dict[str, Any]], None], channel: str = PG_CHANNEL) -> None:
        self.dsn = conninfo(url)
        self.deliver = deliver
        self.channel = channel
        self._send_lock = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, wait: float = 5.0) -> None:
        self._thread = threading.Thread(target=self._listen, name="townhall-relay", daemon=True)
        self._thread.start()
        self._ready.wait(wait)

    def send(self, channel: str, event: dict[str, Any]) -> None:
        payload = json.dumps({"c": channel, "e": event}, separators=(",", ":"))
        if len(payload.encode()) > MAX_PAYLOAD:
            log.warning("live event too large for NOTIFY; delivered in this process only")
            self.deliver(channel, event)
            return
        with self._send_lock:
            for attempt in (1, 2):
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                    self._sender.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
                    return
                except psycopg.Error as exc:
                    self._sender = None
                    if attempt == 2:
                        log.warning("NOTIFY failed (%s); delivered in this process only", exc)
        self.deliver(channel, event)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self._ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._deliver(note.payload)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("live-update listener lost its connection (%s); reconnecting", exc)
                    self._stop.wait(1.0)

    def _deliver(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            self.deliver(str(data["c"]), dict(data["e"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live-update notification")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._send_lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None
