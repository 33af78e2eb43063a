"""Comments drawn again by the renderer of today: a background job for the comments an older Townhall rendered.

A comment's HTML is made when it is written (``townhall.service.render``) and stored beside its text, with the
renderer's version (``RENDER_VERSION``). When a new Townhall renders some text differently (a fix, a new kind of
markup), the comments written before would keep the old HTML until edited; instead, every process that starts
queues one ``comments.rerender`` job if any comment has an older version and no such job is queued or running
(an exclusive transaction, as the daily purge: processes starting together queue one between them). The job renders
up to ``PER_JOB`` comments from their text, in transactions of ``BATCH``, and queues its successor while any are
left, so mail and webhook jobs are not kept waiting behind a large archive. Each write is guarded: a comment edited,
erased or rendered by a newer process meanwhile is left as it is. Idempotent, as every job must be.
"""

from __future__ import annotations

from dataclasses import dataclass

from townhall.service.core import Services, utcnow
from townhall.service.jobs import Job, JobQueue
from townhall.service.render import RENDER_VERSION, render
from townhall.store import jobs as job_store
from townhall.store import rerender as store

JOB_KIND = "comments.rerender"
BATCH = 500  # comments per transaction
PER_JOB = 5000  # comments per job; the rest go to the job it queues


@dataclass(frozen=True, slots=True)
class Pass:
    """What one run did: comments looked at, HTML that changed, and whether older ones are left."""

    seen: int
    changed: int
    left: bool


def stale(svc: Services) -> int:
    """How many comments an older renderer made."""
    with svc.db.read() as conn:
        return store.count_stale(conn, RENDER_VERSION)


def rerender(svc: Services, *, limit: int = PER_JOB, batch: int = BATCH) -> Pass:
    """Render again up to ``limit`` of the comments an older renderer made, oldest first."""
    seen = changed = 0
    after = 0
    while seen < limit:
        with svc.db.read() as conn:
            rows = store.stale_batch(conn, RENDER_VERSION, after_id=after, limit=min(batch, limit - seen))
        if not rows:
            return Pass(seen, changed, left=False)
        made = [(int(r["id"]), r["body"], render(r["body"])) for r in rows]
        differ = [m for m, r in zip(made, rows) if m[2] != r["html"]]
        with svc.db.write() as conn:  # the ones whose HTML changes, then those where only the version does
            changed += store.set_html(conn, differ, version=RENDER_VERSION)
            store.set_html(conn, [m for m, r in zip(made, rows) if m[2] == r["html"]], version=RENDER_VERSION)
        seen += len(rows)
        after = made[-1][0]
    with svc.db.read() as conn:
        left = bool(store.stale_batch(conn, RENDER_VERSION, after_id=after, limit=1))
    return Pass(seen, changed, left=left)


def rerender_job(svc: Services, job: Job) -> None:
    done = rerender(svc, limit=PER_JOB)
    if done.left:  # the successor: after the jobs already due (mail, webhooks), not before them
        with svc.db.write() as conn:
            now = utcnow()
            job_store.enqueue(conn, kind=JOB_KIND, payload={}, run_at=now, max_attempts=job.max_attempts, now=now)


def schedule_rerender(svc: Services, queue: JobQueue) -> bool:
    """Queue the job if comments need it and none is queued or running; True if one was queued."""
    with svc.db.read() as conn:
        if not store.stale_batch(conn, RENDER_VERSION, after_id=0, limit=1):
            return False
    with svc.db.write(exclusive=True) as conn:
        if job_store.pending_of_kind(conn, JOB_KIND):
            return False
        queue.enqueue(JOB_KIND, {}, conn=conn)
        return True
