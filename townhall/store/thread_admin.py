"""The moderators' list of a site's threads (the dashboard's Articles page): a page of threads, newest started
first, with their published, held and reported comment counts, in one query; and one thread with its counts.

A thread's effective state depends on the site's ``close_after_days`` and the clock (townhall.policy.closing);
the caller gives the instant before which an open thread's age has closed it (``aged_before``), so that the
filters here match that rule: closed by age is open by its state, not kept open by a moderator, and started or
published (``published_at`` where known, else ``created_at``) at or before ``aged_before``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, func, not_, or_, select
from sqlalchemy.engine import RowMapping

from townhall.store.schema import OPEN_REPORT, CommentStatus, ThreadState, comments, reports, threads

Row = RowMapping


class StateFilter(StrEnum):
    """Which threads a page lists, by their effective state."""

    ALL = "all"
    OPEN = "open"  # taking comments
    CLOSED = "closed"  # closed by a moderator
    AGED = "aged"  # open by its state, closed by the site's age limit


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """What a page of the list asks for. ``search``: a case-insensitive part of the title or the thread id
    (lower-cased by the caller); ``aged_before``: None where the site sets no age limit; ``report_threshold``: the
    weight of open reports at which a comment joins the site's reported queue (its house rules'), or None for no
    ``reported_count``."""

    state: StateFilter = StateFilter.ALL
    search: str | None = None
    aged_before: datetime | None = None
    before_id: int | None = None
    report_threshold: float | None = None


_COLUMNS = (threads.c.id, threads.c.external_id, threads.c.title, threads.c.url, threads.c.state, threads.c.created_at,
            threads.c.kept_open_at, threads.c.published_at, threads.c.premoderated)


def _aged(aged_before: datetime | None) -> Any:
    """Open by its state but past the site's age limit (as townhall.policy.closing.thread_closure has it)."""
    if aged_before is None:
        return None
    return and_(threads.c.state == ThreadState.OPEN.value, threads.c.kept_open_at.is_(None),
                func.coalesce(threads.c.published_at, threads.c.created_at) <= aged_before)


def _state_condition(state: StateFilter, aged_before: datetime | None) -> Any:
    aged = _aged(aged_before)
    if state is StateFilter.CLOSED:
        return threads.c.state == ThreadState.CLOSED.value
    if state is StateFilter.AGED:
        return aged if aged is not None else threads.c.id.is_(None)  # no limit: none is closed by age
    if state is StateFilter.OPEN:
        is_open = threads.c.state == ThreadState.OPEN.value
        return is_open if aged is None else and_(is_open, not_(aged))
    return None


def _open_weight() -> Any:
    """The weight of a comment's unresolved reports (None: none), on ``reports.comment_id``."""
    return (select(func.sum(reports.c.weight))
            .where(reports.c.comment_id == comments.c.id, OPEN_REPORT).scalar_subquery())


def _with_counts(page: Any, report_threshold: float | None) -> Any:
    """``page`` (a subquery of threads) with each thread's published and held comments, counted for the page's
    threads only, on the comments' ``(thread_id, root_id, status, …)`` index alone, newest first; with
    ``report_threshold``, its reported ones too (``reported_count``), in the same pass: the comments of the reported
    queue (as townhall.store.dashboard.reported_comments and townhall.store.stats.queue_sizes have them), published
    with unresolved reports weighing ``report_threshold`` or more, their reports looked up by comment."""
    published = CommentStatus.PUBLISHED.value
    held = CommentStatus.HELD.value
    sums = [func.sum(case((comments.c.status == published, 1), else_=0)).label("published"),
            func.sum(case((comments.c.status == held, 1), else_=0)).label("held")]
    if report_threshold is not None:  # the reports of published comments only (CASE looks no further for others)
        sums.append(func.sum(case((comments.c.status != published, 0),
                                  (_open_weight() >= report_threshold, 1), else_=0)).label("reported"))
    tally = (
        select(comments.c.thread_id, *sums)
        # thread_id alone: with "status IN (…)" too, SQLite's planner (without ANALYZE figures) walked the
        # (status, created_at) index over every held and published comment of the installation instead
        .where(comments.c.thread_id.in_(select(page.c.id)))
        .group_by(comments.c.thread_id)
        .subquery("tally")
    )
    counts = [func.coalesce(tally.c.published, 0).label("published_count"), func.coalesce(tally.c.held, 0).label("held_count")]
    if report_threshold is not None:
        counts.append(func.coalesce(tally.c.reported, 0).label("reported_count"))
    return (select(page, *counts).select_from(page.outerjoin(tally, tally.c.thread_id == page.c.id))
            .order_by(page.c.created_at.desc(), page.c.id.desc()))


def thread_page(conn: Connection, site_id: str, query: ThreadQuery, *, limit: int) -> list[Row]:
    """Up to ``limit`` of the site's threads matching ``query``, newest started first (then by id), after the
    thread ``query.before_id`` (a thread of another site, or none, ends the list), with ``published_count``,
    ``held_count`` and (with ``query.report_threshold``) ``reported_count``. One query."""
    q = select(*_COLUMNS).where(threads.c.site_id == site_id)
    condition = _state_condition(query.state, query.aged_before)
    if condition is not None:
        q = q.where(condition)
    if query.search:
        q = q.where(or_(func.lower(threads.c.title).contains(query.search, autoescape=True),
                        func.lower(threads.c.external_id).contains(query.search, autoescape=True)))
    if query.before_id is not None:
        anchor = (select(threads.c.created_at)
                  .where(threads.c.id == query.before_id, threads.c.site_id == site_id).scalar_subquery())
        q = q.where(or_(threads.c.created_at < anchor,
                        and_(threads.c.created_at == anchor, threads.c.id < query.before_id)))
    page = q.order_by(threads.c.created_at.desc(), threads.c.id.desc()).limit(limit).subquery("page")
    return list(conn.execute(_with_counts(page, query.report_threshold)).mappings())


def thread_with_counts(conn: Connection, site_id: str, external_id: str, *,
                       report_threshold: float | None = None) -> Row | None:
    """One of the site's threads (with its ``message``, which the list leaves out) with ``published_count``,
    ``held_count`` and (with ``report_threshold``) ``reported_count``, or None."""
    page = (select(*_COLUMNS, threads.c.message)
            .where(threads.c.site_id == site_id, threads.c.external_id == external_id).subquery("page"))
    return conn.execute(_with_counts(page, report_threshold)).mappings().first()

