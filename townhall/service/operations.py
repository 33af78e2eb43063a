"""Wires the operations features into a running application: the job runner and its handlers, the
webhook and e-mail listeners, and — on PostgreSQL — the cross-process live-update relay and the shared
rate limiter. ``create_app`` calls ``Operations.attach``; ``Townhall.close`` calls ``stop``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from townhall.service.core import Services
from townhall.service.jobs import Handler, JobQueue

log = logging.getLogger("townhall.operations")


def handlers() -> dict[str, Handler]:
    from townhall.service import mail, privacy, rerender, webhooks

    return {webhooks.JOB_KIND: webhooks.deliver, mail.JOB_KIND: mail.send_job, privacy.PURGE_JOB: privacy.purge_job,
            rerender.JOB_KIND: rerender.rerender_job}


@dataclass
class Operations:
    svc: Services
    queue: JobQueue
    relay: Any = None
    closers: list[Any] = field(default_factory=list)

    @classmethod
    def attach(cls, svc: Services, *, start: bool = True) -> Operations:
        from townhall.service import mail, privacy, rerender, webhooks

        queue = JobQueue(svc, handlers())
        ops = cls(svc, queue)
        svc.listeners.append(webhooks.listener(svc, queue))
        svc.listeners.append(mail.listener(svc, queue))
        if not svc.db.is_sqlite:
            from townhall.service.ratelimit_pg import PgRateLimiter
            from townhall.store.notify import PgRelay

            svc.limiter = PgRateLimiter(svc.db, svc.settings.rate_limit_per_minute)
            ops.relay = PgRelay(svc.db.url, svc.events.deliver)
            svc.events.relay = ops.relay
            ops.relay.start()
        if start:
            privacy.schedule_purge(svc, queue)
            rerender.schedule_rerender(svc, queue)  # comments an older Townhall rendered, if any
            queue.start()
        return ops

    def stop(self) -> None:
        self.queue.stop()
        if self.relay is not None:
            self.svc.events.relay = None
            self.relay.close()
