"""The query behind a reader's own comment history (``GET /api/v1/me/comments``, townhall.service.my_comments)."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.engine import RowMapping

from townhall.store.schema import comments, threads

Row = RowMapping
_c = comments.c


def account_comments_page(conn: Connection, site_id: str, account_id: int, *, statuses: Sequence[str], limit: int,
                          before: tuple[datetime, int] | None = None) -> list[Row]:
    """Up to ``limit`` of the account's comments on the site's threads whose status is one of ``statuses``, newest
    first (``created_at``, then ``id``, both descending), each with its thread's ``thread_external_id``,
    ``thread_title`` and ``thread_url``; ``before`` (a row's ``(created_at, id)``): only those after it in that
    order. Served by ``ix_comments_account`` (account_id, created_at); the join on the thread's primary key keeps
    another site's threads out (an account belongs to one site, so this is a guard, not a filter)."""
    q = (select(_c.id, _c.thread_id, _c.parent_id, _c.body, _c.html, _c.status, _c.created_at, _c.edited_at,
                threads.c.external_id.label("thread_external_id"), threads.c.title.label("thread_title"),
                threads.c.url.label("thread_url"))
         .join(threads, threads.c.id == _c.thread_id)
         .where(_c.account_id == account_id, threads.c.site_id == site_id, _c.status.in_(list(statuses))))
    if before is not None:
        at, ident = before
        q = q.where(or_(_c.created_at < at, and_(_c.created_at == at, _c.id < ident)))
    return list(conn.execute(q.order_by(_c.created_at.desc(), _c.id.desc()).limit(limit)).mappings())
