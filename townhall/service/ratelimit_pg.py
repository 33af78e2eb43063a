"""Rate limits shared by every process through the database (used on PostgreSQL with several workers):
the same fixed one-minute windows and ``hit(key, now)`` interface as ``MemoryRateLimiter``."""

from __future__ import annotations

import math
from datetime import datetime

from townhall.service.errors import RateLimited
from townhall.store import ratelimits
from townhall.store.db import Database


class PgRateLimiter:
    def __init__(self, db: Database, per_minute: int) -> None:
        self.db = db
        self.per_minute = per_minute
        self._last_prune = 0

    def hit(self, key: str, now: datetime) -> None:
        if self.per_minute <= 0:
            return
        ts = now.timestamp()
        window = int(ts // 60)
        with self.db.write() as conn:
            count = ratelimits.hit(conn, key[:300], window)
            if window != self._last_prune:
                self._last_prune = window
                ratelimits.prune(conn, window - 1)
        if count > self.per_minute:
            raise RateLimited("Too many requests; please wait a moment.", max(1, math.ceil((window + 1) * 60 - ts)))
