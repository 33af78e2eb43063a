"""Background work: a jobs table and an in-process runner thread behind one interface.

``JobQueue.enqueue(kind, payload, run_at)`` stores a job; a runner thread in every Townhall process
claims due jobs (on PostgreSQL with FOR UPDATE SKIP LOCKED, so processes share the queue), runs the
handler for its kind outside any transaction, and records the outcome. A failed attempt is retried with
exponential backoff until ``max_attempts``; then the job stays ``failed`` — visible with
``townhall jobs list --state failed`` and retryable with ``townhall jobs retry ID``. A job whose process
died while running it is taken again after ``STALE_AFTER``. Handlers must therefore be idempotent.

A :class:`Recurring` handler's job queues its own next run (unless its payload says ``"repeat": false``):
the runner does it in the transaction that records the outcome, done or failed for good, whichever
process runs it (a server, or ``townhall jobs run``), and only when no job of the kind is queued or running
already, so a retried old job joins the chain instead of starting a second one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from townhall.service.core import Clock, Services, utcnow
from townhall.store import jobs as store

log = logging.getLogger("townhall.jobs")
STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[Services, Job], None]


@dataclass(frozen=True, slots=True)
class Recurring:
    """A handler whose job repeats every ``every`` (see the module's docstring)."""

    run: Handler
    every: timedelta

    def __call__(self, svc: Services, job: Job) -> None:
        self.run(svc, job)


class PermanentError(Exception):
    """A handler raises this when retrying cannot help (the job fails at once)."""


def default_backoff(attempt: int) -> float:
    """Seconds before the next attempt: 10 s, 20 s, 40 s, … capped at one hour."""
    return float(min(3600, 10 * 2 ** (attempt - 1)))


class JobQueue:
    def __init__(self, svc: Services, handlers: Mapping[str, Handler] | None = None, *, clock: Clock = utcnow,
                 poll_seconds: float = 1.0, backoff: Callable[[int], float] = default_backoff,
                 max_attempts: int = 8) -> None:
        self.svc = svc
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.clock = clock  # real time: retries must come due even when the application's clock is a test's
        self.poll_seconds = poll_seconds
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- producing ---------------------------------------------------------------------------------
    def enqueue(self, kind: str, payload: dict[str, Any], run_at: datetime | None = None, *,
                conn: Connection | None = None, max_attempts: int | None = None) -> int:
        """Store a job (inside ``conn``'s transaction when given, so it commits with the work that caused it)."""
        now = self.clock()
        attempts = max_attempts or self.max_attempts
        if conn is not None:
            job_id = store.enqueue(conn, kind=kind, payload=payload, run_at=run_at or now, max_attempts=attempts, now=now)
        else:
            with self.svc.db.write() as own:
                job_id = store.enqueue(own, kind=kind, payload=payload, run_at=run_at or now, max_attempts=attempts, now=now)
        self._wake.set()
        return job_id

    # --- consuming ---------------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Claim and run one due job; False when none was due."""
        now = self.clock()
        kinds = list(self.handlers)  # a kind this process has no handler for is left to one that has (an upgrade)
        if not kinds:
            return False
        with self.svc.db.read() as conn:
            if not store.any_due(conn, now=now, stale_before=now - STALE_AFTER, kinds=kinds):
                return False
        with self.svc.db.write() as conn:
            row = store.claim(conn, now=now, worker=self.worker, stale_before=now - STALE_AFTER, kinds=kinds)
        if row is None:
            return False
        job = Job(int(row["id"]), row["kind"], dict(row["payload"] or {}), int(row["attempts"]), int(row["max_attempts"]))
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentError(f"no handler for job kind {job.kind!r}")
            handler(self.svc, job)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job
            permanent = isinstance(exc, PermanentError) or job.last_attempt
            retry_at = None if permanent else self.clock() + timedelta(seconds=self.backoff(job.attempt))
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempt, exc)
            with self.svc.db.write(exclusive=isinstance(handler, Recurring)) as conn:
                store.fail(conn, job.id, error=f"{type(exc).__name__}: {exc}", retry_at=retry_at, now=self.clock())
                if permanent:
                    self._repeat(conn, handler, job)
            return True
        with self.svc.db.write(exclusive=isinstance(handler, Recurring)) as conn:
            store.finish(conn, job.id, self.clock())
            self._repeat(conn, handler, job)
        return True

    def _repeat(self, conn: Connection, handler: Handler | None, job: Job) -> None:
        """Queue a recurring job's next run, in the transaction that records this one's outcome (exclusive, so
        that processes finishing or scheduling the same kind at once queue one between them)."""
        if not isinstance(handler, Recurring) or not job.payload.get("repeat", True):
            return
        if store.pending_of_kind(conn, job.kind) == 0:
            self.enqueue(job.kind, job.payload, self.clock() + handler.every, conn=conn)

    def run_until_idle(self, limit: int = 1000) -> int:
        done = 0
        while done < limit and self.run_once():
            done += 1
        return done

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="townhall-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self.run_once()
            except Exception:  # noqa: BLE001 - the database may be away for a moment; keep going
                log.exception("job runner")
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)

    # --- looking ------------------------------------------------------------------------------------
    def list(self, *, state: str | None = None, kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self.svc.db.read() as conn:
            return [dict(r) for r in store.list_jobs(conn, state=state, kind=kind, limit=limit)]

    def retry(self, job_id: int) -> bool:
        with self.svc.db.write() as conn:
            ok = store.requeue(conn, job_id, self.clock())
        self._wake.set()
        return ok
