"""Queries for a site's announcement (``sites.announcement``, ``announcement_until``, ``announcement_at``;
migration 0015): read with the site's row (townhall.store.content.get_site), locked and set here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.schema import sites

_SITE = select(sites).where(sites.c.id == bindparam("site_id"))


def lock_site(conn: Connection, site_id: str) -> RowMapping | None:
    """A site's row, locked until the transaction ends (PostgreSQL; SQLite's write transactions are already
    exclusive): a change of its announcement reads it as the change before it left it."""
    q = _SITE.with_for_update() if conn.dialect.name != "sqlite" else _SITE
    return conn.execute(q, {"site_id": site_id}).mappings().first()


def set_announcement(conn: Connection, site_id: str, text: str | None, until: datetime | None,
                     at: datetime | None) -> None:
    """Set a site's announcement (``text`` None: none, with ``until`` and ``at`` None too)."""
    conn.execute(update(sites).where(sites.c.id == site_id)
                 .values(announcement=text, announcement_until=until, announcement_at=at))
