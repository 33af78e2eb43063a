"""Privacy (placeholder)."""
from __future__ import annotations
from townhall.service.core import Services
from townhall.service.jobs import Job, JobQueue
PURGE_JOB = "privacy.purge_signals"
def purge_job(svc: Services, job: Job) -> None:
    return None
def schedule_purge(svc: Services, queue: JobQueue) -> None:
    return None
