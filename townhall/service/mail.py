"""E-mail (placeholder; filled in below)."""
from __future__ import annotations
from typing import Any
from townhall.service.core import Services
from townhall.service.jobs import Job, JobQueue
JOB_KIND = "mail.send"
def send_job(svc: Services, job: Job) -> None:
    return None
def listener(svc: Services, queue: JobQueue) -> Any:
    return lambda event, site_id, payload: None
