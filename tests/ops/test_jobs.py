"""The job queue: several runners (as in several processes, each with its own engine) share it and run
every job exactly once; failures back off and end up visible and retryable."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from townhall.app import Townhall
from townhall.service.core import build_services
from townhall.service.jobs import Job, JobQueue, PermanentError


def test_runners_share_the_queue_and_run_each_job_once(app: Townhall) -> None:
    seen: Counter[int] = Counter()
    lock = threading.Lock()

    def work(_svc: Any, job: Job) -> None:
        with lock:
            seen[job.payload["n"]] += 1

    app.services.operations.queue.stop()  # only the runners below take jobs
    producer = JobQueue(app.services)
    for n in range(60):
        producer.enqueue("count", {"n": n})
    others = [build_services(app.settings) for _ in range(2)]  # separate engines, like separate processes
    queues = [JobQueue(s, {"count": work}) for s in [app.services, *others]]
    threads = [threading.Thread(target=q.run_until_idle) for q in queues]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in others:
        s.db.dispose()
    assert sorted(seen) == list(range(60)) and set(seen.values()) == {1}
    assert {j["state"] for j in producer.list(kind="count", limit=100)} == {"done"}


def test_failures_back_off_then_fail_and_can_be_retried(app: Townhall) -> None:
    app.services.operations.queue.stop()
    calls: list[int] = []

    def flaky(_svc: Any, job: Job) -> None:
        calls.append(job.attempt)
        if job.payload.get("fatal"):
            raise PermanentError("cannot ever work")
        if len(calls) < 10:
            raise RuntimeError("not yet")

    queue = JobQueue(app.services, {"flaky": flaky}, backoff=lambda n: 0.0, max_attempts=3)
    job_id = queue.enqueue("flaky", {})
    assert queue.run_until_idle() == 3 and calls == [1, 2, 3]
    [failed] = queue.list(state="failed")
    assert failed["id"] == job_id and failed["attempts"] == 3 and "not yet" in failed["last_error"]
    assert queue.retry(job_id) and not queue.retry(job_id)
    calls.extend([0] * 6)
    assert queue.run_until_idle() == 1 and queue.list(state="done")[0]["id"] == job_id
    fatal = queue.enqueue("flaky", {"fatal": True})
    assert queue.run_until_idle() == 1  # a permanent error is not retried
    assert [j["id"] for j in queue.list(state="failed")] == [fatal]

    slow = JobQueue(app.services, {"flaky": flaky}, backoff=lambda n: 3600.0)
    slow.enqueue("flaky", {})
    calls.clear()
    assert slow.run_until_idle() == 1 and len(calls) == 1  # the retry is an hour away
    assert slow.list(state="queued")[0]["attempts"] == 1


def test_daily_purge_is_scheduled_and_reschedules_itself(app: Townhall) -> None:
    from townhall.service.privacy import PURGE_JOB, schedule_purge

    queue = app.services.operations.queue
    queue.stop()
    [scheduled] = queue.list(kind=PURGE_JOB)
    assert scheduled["state"] == "queued"
    schedule_purge(app.services, queue)  # what a second process does when it starts: no second job
    assert len(queue.list(kind=PURGE_JOB)) == 1
    from townhall.service.operations import handlers

    runner = JobQueue(app.services, handlers(), clock=lambda: queue.clock() + timedelta(minutes=2))
    assert runner.run_until_idle() == 1
    jobs = queue.list(kind=PURGE_JOB)
    assert [j["state"] for j in jobs] == ["queued", "done"]  # newest first: tomorrow's run is queued
    assert jobs[0]["run_at"].replace(tzinfo=None) > datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=23)
