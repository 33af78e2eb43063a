"""Operations audit, jobs: a job whose process is killed (SIGKILL) while it runs is neither lost nor run twice at
once: it stays claimed until it is stale, is then taken again by another process and finishes once; a process without
a handler for a job's kind leaves it to one that has one instead of failing it for good."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta
from typing import Any

from townhall.app import Townhall
from townhall.service.core import Services, utcnow
from townhall.service.jobs import STALE_AFTER, Job, JobQueue
from townhall.service.operations import handlers
from tests.ops.conftest import POLICY

KIND = "audit.blocking"

RUNNER = """
import sys, time
from townhall.settings import Settings
from townhall.service.core import build_services
from townhall.service.jobs import JobQueue

svc = build_services(Settings.load(None, database_url=sys.argv[1], policy=sys.argv[2], sso_secret="x" * 40))

def block(svc, job):
    print("running", job.id, flush=True)
    time.sleep(3600)

JobQueue(svc, {sys.argv[3]: block}).run_once()
"""


def test_a_job_killed_mid_run_is_taken_again_once_stale_and_finishes_once(make_app: Any, db_url: str) -> None:
    app: Townhall = make_app(db_url, policy=POLICY)
    ran: list[int] = []

    def finish(_svc: Services, job: Job) -> None:
        ran.append(job.id)

    app.services.operations.queue.stop()  # only the runners below take jobs
    queue = JobQueue(app.services, {KIND: finish})
    job_id = queue.enqueue(KIND, {"n": 1})
    other = subprocess.Popen([sys.executable, "-c", RUNNER, db_url, POLICY, KIND], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None
        assert other.stdout.readline().split() == ["running", str(job_id)]
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait(30)
    row = next(j for j in queue.list() if j["id"] == job_id)
    assert (row["state"], row["attempts"]) == ("running", 1)
    assert queue.run_once() is False and ran == []  # not stale yet: nobody else takes it

    # another process, ten minutes on (it runs every kind of job, the daily purge that comes due meanwhile too)
    later = JobQueue(app.services, {**handlers(), KIND: finish}, clock=lambda: utcnow() + STALE_AFTER + timedelta(seconds=5))
    later.run_until_idle()
    assert ran == [job_id]
    row = next(j for j in later.list() if j["id"] == job_id)
    assert (row["state"], row["attempts"]) == ("done", 2)
    assert later.run_until_idle() == 0 and ran == [job_id]  # done once; not again
    assert later.list(state="failed") == []


def test_a_process_that_does_not_know_a_jobs_kind_leaves_it_to_one_that_does(make_app: Any, db_url: str) -> None:
    """Several servers on one database during a rolling upgrade: the new version queues a kind of job the old one has
    no handler for (as ``comments.rerender`` was once). The old process took it and failed it for good ("no handler"),
    so the work was lost until someone ran `townhall jobs retry`; it must leave the job to a process that knows it."""
    app: Townhall = make_app(db_url, policy=POLICY)
    app.services.operations.queue.stop()  # only the runners below take jobs
    ran: list[int] = []

    def new_work(_svc: Services, job: Job) -> None:
        ran.append(job.id)

    old = JobQueue(app.services, handlers())  # the version before: every kind but the new one
    new = JobQueue(app.services, {**handlers(), KIND: new_work})
    job_id = new.enqueue(KIND, {"n": 1})
    old.run_until_idle()
    row = next(j for j in old.list() if j["id"] == job_id)
    assert (row["state"], row["last_error"]) == ("queued", None), row
    new.run_until_idle()
    row = next(j for j in new.list() if j["id"] == job_id)
    assert row["state"] == "done" and ran == [job_id]
