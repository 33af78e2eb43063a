"""Queries for the background job queue. On PostgreSQL a job is claimed with SELECT … FOR UPDATE SKIP
LOCKED, so several processes share the queue without taking the same job; SQLite serialises writers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.ops_tables import jobs

Row = RowMapping


def enqueue(conn: Connection, *, kind: str, payload: dict[str, Any], run_at: datetime, max_attempts: int,
            now: datetime) -> int:
    res = conn.execute(insert(jobs).values(kind=kind, payload=payload, state="queued", attempts=0,
                                           max_attempts=max_attempts, run_at=run_at, created_at=now))
    return int(res.inserted_primary_key[0])


def _due(now: datetime, stale_before: datetime, kinds: Collection[str]) -> Any:
    return and_(jobs.c.kind.in_(list(kinds)),
                or_(and_(jobs.c.state == "queued", jobs.c.run_at <= now),
                    and_(jobs.c.state == "running", jobs.c.locked_at < stale_before)))


def any_due(conn: Connection, *, now: datetime, stale_before: datetime, kinds: Collection[str]) -> bool:
    """A cheap read before claiming, so idle runners do not take the write lock every poll."""
    return conn.execute(select(jobs.c.id).where(_due(now, stale_before, kinds)).limit(1)).first() is not None


def claim(conn: Connection, *, now: datetime, worker: str, stale_before: datetime, kinds: Collection[str]) -> Row | None:
    """Take the next due job of one of ``kinds`` (the kinds this process has handlers for: a job of a kind only a
    newer Townhall knows is left to a process that runs it) or one whose worker died while running it, and mark it
    running."""
    due = _due(now, stale_before, kinds)
    q = select(jobs.c.id).where(due).order_by(jobs.c.run_at, jobs.c.id).limit(1).with_for_update(skip_locked=True)
    job_id = conn.execute(q).scalar_one_or_none()
    if job_id is None:
        return None
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(
        state="running", locked_by=worker, locked_at=now, attempts=jobs.c.attempts + 1))
    return conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()


def finish(conn: Connection, job_id: int, now: datetime) -> None:
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(state="done", finished_at=now, locked_by=None,
                                                                locked_at=None, last_error=None))


def fail(conn: Connection, job_id: int, *, error: str, retry_at: datetime | None, now: datetime) -> None:
    """Record a failed attempt: queued again at ``retry_at``, or failed for good when it is None."""
    values: dict[str, Any] = {"last_error": error[:2000], "locked_by": None, "locked_at": None}
    if retry_at is None:
        values.update(state="failed", finished_at=now)
    else:
        values.update(state="queued", run_at=retry_at)
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


def get(conn: Connection, job_id: int) -> Row | None:
    return conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()


def list_jobs(conn: Connection, *, state: str | None = None, kind: str | None = None, limit: int = 100) -> list[Row]:
    q = select(jobs)
    if state:
        q = q.where(jobs.c.state == state)
    if kind:
        q = q.where(jobs.c.kind == kind)
    return list(conn.execute(q.order_by(jobs.c.id.desc()).limit(limit)).mappings())


def requeue(conn: Connection, job_id: int, now: datetime) -> bool:
    res = conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.state == "failed").values(
        state="queued", run_at=now, attempts=0, finished_at=None))
    return bool(res.rowcount)


def pending_of_kind(conn: Connection, kind: str) -> int:
    q = select(func.count()).select_from(jobs).where(jobs.c.kind == kind, jobs.c.state.in_(["queued", "running"]))
    return int(conn.execute(q).scalar_one())


def prune_done(conn: Connection, before: datetime) -> int:
    return int(conn.execute(delete(jobs).where(jobs.c.state == "done", jobs.c.finished_at < before)).rowcount or 0)
