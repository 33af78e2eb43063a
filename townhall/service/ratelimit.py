"""Fixed-window rate limits per key (account, IP prefix). In-process; shared across processes by the
PostgreSQL-backed limiter in ``townhall.service.ratelimit_pg`` when running several workers."""

from __future__ import annotations

import math
import threading
from datetime import datetime
from typing import Protocol

from townhall.service.errors import RateLimited


class RateLimiter(Protocol):
    def hit(self, key: str, now: datetime) -> None: ...


class MemoryRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, now: datetime) -> None:
        if self.per_minute <= 0:
            return
        ts = now.timestamp()
        window = int(ts // 60)
        with self._lock:
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            if count >= self.per_minute:
                retry = max(1, math.ceil((window + 1) * 60 - ts))
                raise RateLimited("Too many requests; please wait a moment.", retry)
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 100_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
