"""Races on PostgreSQL made deterministic: the test holds a real lock (a table or row lock on a connection of its own)
and waits until the requests it started are blocked on it, then lets them go in the order it means to test."""

from __future__ import annotations

import time
from typing import Any


def until_waiting(conn: Any, n: int, limit: float = 30.0) -> None:
    """Return once ``n`` sessions of this database wait on a lock (``pg_stat_activity``), seen from ``conn``."""
    deadline = time.monotonic() + limit
    while True:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")  # else one snapshot of the view per transaction
        waiting = conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND wait_event_type = 'Lock'").scalar_one()
        if waiting >= n:
            return
        assert time.monotonic() < deadline, f"never {n} waiting on a lock"
        time.sleep(0.05)
