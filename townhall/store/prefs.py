"""Queries for readers' notification preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from townhall.store.ops_tables import reader_prefs


def wants_replies(conn: Connection, account_id: int) -> bool:
    q = select(reader_prefs.c.notify_replies).where(reader_prefs.c.account_id == account_id)
    return bool(conn.execute(q).scalar_one_or_none())


def set_replies(conn: Connection, account_id: int, value: bool, now: datetime) -> None:
    res = conn.execute(update(reader_prefs).where(reader_prefs.c.account_id == account_id)
                       .values(notify_replies=value, updated_at=now))
    if not res.rowcount:
        conn.execute(insert(reader_prefs).values(account_id=account_id, notify_replies=value, updated_at=now))


def forget(conn: Connection, account_id: int) -> None:
    conn.execute(delete(reader_prefs).where(reader_prefs.c.account_id == account_id))
