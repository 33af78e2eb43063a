"""Queries behind the dashboard's numbers page: daily volumes, decisions in a window, queue sizes and ages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import RowMapping

from townhall.store.schema import (
    OPEN_REPORT,
    AppealState,
    CommentStatus,
    FlagState,
    accounts,
    appeals,
    comments,
    decisions,
    flags,
    reports,
    sites,
    threads,
)

Row = RowMapping


def comments_per_day(conn: Connection, site_id: str, since: datetime) -> list[tuple[str, str, int]]:
    """(day 'YYYY-MM-DD', status, count) for comments written since ``since``."""
    created = comments.c.created_at
    # The UTC day on both databases: SQLite stores UTC text; PostgreSQL's date() of a timestamptz would follow the
    # session's TimeZone (set to UTC by townhall.store.db, but not by a pooler that shares server sessions).
    day = func.date(func.timezone("UTC", created) if conn.dialect.name == "postgresql" else created).label("day")
    q = (
        select(day, comments.c.status, func.count().label("n"))
        .select_from(comments.join(threads, threads.c.id == comments.c.thread_id))
        .where(threads.c.site_id == site_id, comments.c.created_at >= since)
        .group_by(day, comments.c.status)
    )
    return [(str(r.day), str(r.status), int(r.n)) for r in conn.execute(q)]


def decisions_since(conn: Connection, site_id: str, since: datetime) -> list[Row]:
    """Every decision on the site's comments since ``since``, with the comment's creation time, oldest first."""
    q = (
        select(decisions.c.comment_id, decisions.c.source, decisions.c.verdict, decisions.c.hits, decisions.c.moderator,
               decisions.c.created_at, comments.c.created_at.label("comment_created_at"))
        .join(comments, comments.c.id == decisions.c.comment_id)
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(threads.c.site_id == site_id, decisions.c.created_at >= since)
        .order_by(decisions.c.id)
    )
    return list(conn.execute(q).mappings())


def queue_sizes(conn: Connection, site_id: str, report_threshold: float, *,
                thread_id: int | None = None) -> dict[str, tuple[int, Any]]:
    """Queue name -> (items waiting, creation time of the oldest). A reported comment waits once its open
    reports weigh ``report_threshold`` (as :func:`townhall.store.dashboard.reported_comments` lists them). With
    ``thread_id`` (a thread of the site), the held and reported queues are that thread's only."""
    out: dict[str, tuple[int, Any]] = {}
    for status in (CommentStatus.HELD,):
        q = select(func.count(), func.min(comments.c.created_at)).where(comments.c.status == status.value)
        if thread_id is not None:  # one thread's, on its (thread_id, root_id, status, created_at) index
            q = q.where(comments.c.thread_id == thread_id)
        elif [r[0] for r in conn.execute(select(sites.c.id).limit(2))] != [site_id]:  # several sites: filter by site
            q = q.where(comments.c.thread_id.in_(select(threads.c.id).where(threads.c.site_id == site_id).scalar_subquery()))
        n, oldest = conn.execute(q).one()
        out[status.value] = (int(n), oldest)
    open_reports = OPEN_REPORT
    over = func.sum(reports.c.weight) >= report_threshold
    if thread_id is not None:  # one thread's: its published comments on its (thread_id, root_id, status…) index, then their reports
        weighed = (
            select(reports.c.comment_id, func.min(reports.c.created_at).label("first"))
            .select_from(reports.join(comments, comments.c.id == reports.c.comment_id).join(threads, threads.c.id == comments.c.thread_id))
            .where(threads.c.site_id == site_id, open_reports, comments.c.status == CommentStatus.PUBLISHED.value,
                   comments.c.thread_id == thread_id)
            .group_by(reports.c.comment_id)
            .having(over)
            .subquery()
        )
        rq = select(func.count(), func.min(weighed.c.first))
    else:
        # The open reports are summed per comment first (one pass over them on the comment_id index), then only the
        # comments over the threshold are looked up by primary key and kept if published and the site's: the same set
        # as filtering before summing, since the site and the status are the comment's, not the report's. Filtering
        # first had SQLite walk every published comment of the installation on the (status, created_at) index (a
        # quarter of a second with 300,000 comments: bench/queue_sizes.py).
        weighed = select(reports.c.comment_id, func.min(reports.c.created_at).label("first")).where(open_reports) \
            .group_by(reports.c.comment_id).having(over).subquery()
        rq = (
            select(func.count(), func.min(weighed.c.first))
            .select_from(weighed.join(comments, comments.c.id == weighed.c.comment_id).join(threads, threads.c.id == comments.c.thread_id))
            .where(threads.c.site_id == site_id, comments.c.status == CommentStatus.PUBLISHED.value)
        )
    n, oldest = conn.execute(rq).one()
    out["reported"] = (int(n), oldest)
    aq = (
        select(func.count(), func.min(appeals.c.created_at))
        .select_from(appeals.join(accounts, accounts.c.id == appeals.c.account_id))
        .where(accounts.c.site_id == site_id, appeals.c.state == AppealState.OPEN.value)
    )
    n, oldest = conn.execute(aq).one()
    out["appeals"] = (int(n), oldest)
    fq = select(func.count(), func.min(flags.c.created_at)).where(flags.c.site_id == site_id, flags.c.state == FlagState.OPEN.value)
    n, oldest = conn.execute(fq).one()
    out["flags"] = (int(n), oldest)
    return out


def appeal_times_since(conn: Connection, site_id: str, since: datetime) -> list[Row]:
    """Decided appeals since ``since``: who decided, when it was made and decided, and the outcome."""
    q = (
        select(appeals.c.decided_by, appeals.c.created_at, appeals.c.decided_at, appeals.c.state)
        .join(accounts, accounts.c.id == appeals.c.account_id)
        .where(accounts.c.site_id == site_id, appeals.c.decided_at.is_not(None), appeals.c.decided_at >= since)
    )
    return list(conn.execute(q).mappings())
