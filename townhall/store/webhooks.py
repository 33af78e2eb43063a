"""Queries for webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from townhall.store.schema import insert_row
from sqlalchemy.engine import RowMapping

from townhall.store.ops_tables import webhook_deliveries, webhooks

Row = RowMapping


def add(conn: Connection, *, site_id: str, url: str, secret: str, events: list[str], now: datetime) -> int:
    res = conn.execute(insert(webhooks).values(site_id=site_id, url=url, secret=secret, events=events, active=True,
                                               created_at=now))
    return int(res.inserted_primary_key[0])


def get(conn: Connection, webhook_id: int) -> Row | None:
    return conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()


def for_site(conn: Connection, site_id: str, *, active_only: bool = True) -> list[Row]:
    q = select(webhooks).where(webhooks.c.site_id == site_id)
    if active_only:
        q = q.where(webhooks.c.active.is_(True))
    return list(conn.execute(q.order_by(webhooks.c.id)).mappings())


def set_active(conn: Connection, webhook_id: int, active: bool) -> bool:
    return bool(conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(active=active)).rowcount)


def add_delivery(conn: Connection, **values: Any) -> int:
    return insert_row(conn, webhook_deliveries, values)


def get_delivery(conn: Connection, delivery_id: int) -> Row | None:
    q = select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
    return conn.execute(q).mappings().first()


def update_delivery(conn: Connection, delivery_id: int, **values: Any) -> None:
    conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values))


def deliveries(conn: Connection, site_id: str, *, state: str | None = None, webhook_id: int | None = None,
               limit: int = 100) -> list[Row]:
    q = (select(webhook_deliveries, webhooks.c.url)
         .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
         .where(webhook_deliveries.c.site_id == site_id))
    if state:
        q = q.where(webhook_deliveries.c.state == state)
    if webhook_id is not None:
        q = q.where(webhook_deliveries.c.webhook_id == webhook_id)
    return list(conn.execute(q.order_by(webhook_deliveries.c.id.desc()).limit(limit)).mappings())
