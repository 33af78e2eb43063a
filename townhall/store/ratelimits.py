"""Shared fixed-window counters for rate limits (one row per key and minute)."""

from __future__ import annotations

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from townhall.store.ops_tables import rate_windows


def hit(conn: Connection, key: str, window: int) -> int:
    """Count one hit of ``key`` in ``window``; returns the count including this hit (atomic upsert)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(rate_windows).values(key=key, window=window, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=["key", "window"], set_={"count": rate_windows.c.count + 1})
    return int(conn.execute(stmt.returning(rate_windows.c.count)).scalar_one())


def prune(conn: Connection, before_window: int) -> int:
    return int(conn.execute(delete(rate_windows).where(rate_windows.c.window < before_window)).rowcount or 0)
