"""Queries for sites, threads, comments, reactions and reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import Connection, and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from townhall.store import ignores, people
from townhall.store.schema import (OPEN_REPORT, TOMBSTONES, CommentStatus, ThreadState, comments, insert_row, reactions, reports,
                                   sites, threads)

Row = RowMapping


# --- sites -------------------------------------------------------------------------------------------
# The lookups every post and page read makes are built once, with bound parameters: building a statement
# and its cache key cost about twice as much CPU as running it on SQLite (0.19 vs 0.06 ms for a row by id).
_SITE = select(sites).where(sites.c.id == bindparam("site_id"))
_THREAD = select(threads).where(threads.c.site_id == bindparam("site_id"), threads.c.external_id == bindparam("external_id"))
_THREAD_BY_ID = select(threads).where(threads.c.id == bindparam("thread_id"))
_COMMENT = select(comments).where(comments.c.id == bindparam("comment_id"))


def get_site(conn: Connection, site_id: str) -> Row | None:
    return conn.execute(_SITE, {"site_id": site_id}).mappings().first()


def list_sites(conn: Connection) -> list[Row]:
    return list(conn.execute(select(sites).order_by(sites.c.id)).mappings())


def insert_site(conn: Connection, **values: Any) -> None:
    conn.execute(insert(sites).values(**values))


def update_site(conn: Connection, site_id: str, **values: Any) -> None:
    conn.execute(update(sites).where(sites.c.id == site_id).values(**values))


# --- threads -----------------------------------------------------------------------------------------
def get_thread(conn: Connection, site_id: str, external_id: str) -> Row | None:
    return conn.execute(_THREAD, {"site_id": site_id, "external_id": external_id}).mappings().first()


def get_thread_by_id(conn: Connection, thread_id: int) -> Row | None:
    return conn.execute(_THREAD_BY_ID, {"thread_id": thread_id}).mappings().first()


def insert_thread(conn: Connection, *, site_id: str, external_id: str, url: str | None, title: str | None, now: datetime,
                  published_at: datetime | None = None, premoderated: bool = False, message: str | None = None,
                  state: ThreadState = ThreadState.OPEN) -> int | None:
    """The new thread's id; None where another transaction made the same thread a moment ago (PostgreSQL: a first
    comment, an import, a moderator or a publisher at once): the caller reads that one."""
    values = dict(site_id=site_id, external_id=external_id, url=url, title=title, state=state.value, created_at=now,
                  published_at=published_at, premoderated=premoderated, message=message)
    try:
        with conn.begin_nested():
            return int(conn.execute(insert(threads).values(**values)).inserted_primary_key[0])
    except IntegrityError:
        if get_thread(conn, site_id, external_id) is None:
            raise
        return None


def lock_thread(conn: Connection, thread_id: int) -> Row | None:
    """A thread's row, locked until the transaction ends (PostgreSQL; SQLite's write transactions are already
    exclusive): a change of its article data reads it as the change before it left it."""
    q = _THREAD_BY_ID.with_for_update() if conn.dialect.name != "sqlite" else _THREAD_BY_ID
    return conn.execute(q, {"thread_id": thread_id}).mappings().first()


def update_thread(conn: Connection, thread_id: int, **values: Any) -> None:
    """Set a thread's article data (``title``, ``url``, ``published_at``), its ``premoderated`` or its ``message``."""
    unknown = set(values) - {"title", "url", "published_at", "premoderated", "message"}
    if unknown:
        raise TypeError(f"not a thread's article data: {sorted(unknown)}")
    if values:
        conn.execute(update(threads).where(threads.c.id == thread_id).values(**values))


def set_thread_state(conn: Connection, thread_id: int, state: ThreadState, *, kept_open_at: datetime | None = None) -> None:
    """A moderator's state for the thread; ``kept_open_at``: when an "open" overrode the site's age limit (None
    clears it)."""
    conn.execute(update(threads).where(threads.c.id == thread_id).values(state=state.value, kept_open_at=kept_open_at))


def list_threads(conn: Connection, site_id: str, limit: int = 100) -> list[Row]:
    q = select(threads).where(threads.c.site_id == site_id).order_by(threads.c.id.desc()).limit(limit)
    return list(conn.execute(q).mappings())


# --- comments ----------------------------------------------------------------------------------------
def insert_comment(conn: Connection, **values: Any) -> int:
    return insert_row(conn, comments, values)


def get_comment(conn: Connection, comment_id: int, *, for_update: bool = False) -> Row | None:
    """One comment; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite's write
    transactions are already exclusive). Lock its author's account first where the transaction may write
    that too (the lock order: :func:`townhall.store.people.get_account`), or use :func:`lock_comment`."""
    q = _COMMENT.with_for_update() if for_update and conn.dialect.name != "sqlite" else _COMMENT
    return conn.execute(q, {"comment_id": comment_id}).mappings().first()


def lock_comment(conn: Connection, comment_id: int) -> Row | None:
    """One comment, locked with its author's account, in the lock order: the account's row first, then the
    comment's (see :func:`townhall.store.people.get_account`), for a transaction that starts from a comment
    and may then write its author (a moderator's decision: a strike, or lifting one). The author is read
    before either lock is taken; should the comment have changed hands meanwhile (an import claim moves
    comments), the new author is locked too."""
    row = get_comment(conn, comment_id)
    for _ in range(3):
        if row is None:
            return None
        people.get_account(conn, int(row["account_id"]), for_update=True)
        locked = get_comment(conn, comment_id, for_update=True)
        if locked is None or locked["account_id"] == row["account_id"]:
            return locked
        row = locked
    return row


def get_comments(conn: Connection, ids: Iterable[int]) -> list[Row]:
    ids = list(ids)
    if not ids:
        return []
    return list(conn.execute(select(comments).where(comments.c.id.in_(ids))).mappings())


def update_comment(conn: Connection, comment_id: int, **values: Any) -> None:
    conn.execute(update(comments).where(comments.c.id == comment_id).values(**values))


def set_status_many(conn: Connection, comment_ids: Sequence[int], status: CommentStatus) -> None:
    if comment_ids:
        conn.execute(update(comments).where(comments.c.id.in_(list(comment_ids))).values(status=status.value))


def _may_have_published_reply() -> Any:
    """A published comment sits deeper and later in the same tree (found through the root, which is indexed).
    It may answer another branch: the listing drops tombstones left with no reply when it nests them."""
    reply = comments.alias("reply")
    return (select(reply.c.id)
            .where(reply.c.root_id == func.coalesce(comments.c.root_id, comments.c.id),
                   reply.c.status == CommentStatus.PUBLISHED.value, reply.c.depth > comments.c.depth,
                   reply.c.id > comments.c.id)
            .exists())


# Built once, like _REPLIES_OF_ROOTS below: a subquery built per thread read leaves reference cycles behind.
_MAY_HAVE_PUBLISHED_REPLY = _may_have_published_reply()


def _visible(viewer_id: Any) -> Any:
    """Published and deleted comments, rejected ones that may have a published reply (shown as "removed by a
    moderator", so that the replies keep their place), and the viewer's own held ones (``viewer_id``: an id,
    a bound parameter, or None for nobody). Deleted and rejected comments are tombstones: no text, no author
    (see :func:`townhall.service.comments.serialize`)."""
    shown = or_(comments.c.status.in_([CommentStatus.PUBLISHED.value, CommentStatus.DELETED.value]),
                and_(comments.c.status == CommentStatus.REJECTED.value, _MAY_HAVE_PUBLISHED_REPLY))
    if viewer_id is None:
        return shown
    return or_(shown, and_(comments.c.status == CommentStatus.HELD.value, comments.c.account_id == viewer_id))


def _has_reply_to_show(with_viewer: bool) -> Any:
    """A top-level comment has a reply that a thread shows with its text: a published one, or (``with_viewer``)
    one of the viewer's own held ones (the bound parameter ``viewer``)."""
    reply = comments.alias("shown_reply")
    shown = reply.c.status == CommentStatus.PUBLISHED.value
    if with_viewer:  # the IN lets the (root_id, status) index answer both statuses
        shown = and_(reply.c.status.in_([CommentStatus.PUBLISHED.value, CommentStatus.HELD.value]),
                     or_(shown, reply.c.account_id == bindparam("viewer")))
    return select(reply.c.id).where(reply.c.root_id == comments.c.id, shown).exists()


# Built once, like _MAY_HAVE_PUBLISHED_REPLY.
_ROOT_HAS_REPLY_TO_SHOW = {False: _has_reply_to_show(False), True: _has_reply_to_show(True)}


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last item of a page: the sort key and the id as a tie-breaker."""

    key: float
    id: int


SORTS = ("newest", "oldest", "top")


def list_roots(
    conn: Connection, thread_id: int, *, sort: str, limit: int, cursor: Cursor | None, viewer_id: int | None
) -> list[Row]:
    """Up to ``limit`` top-level comments after ``cursor``, as a page lists them: visible (:func:`_visible`), and a
    tombstone (deleted, or removed by a moderator), or a comment of an author the viewer ignores, only while a
    reply of its own is shown with text, which it keeps in place. A tombstone with nothing to keep is left out
    here, not after the page was cut, so that a page holds ``limit`` comments whenever that many follow the cursor."""
    with_viewer = viewer_id is not None
    q = select(comments).where(
        comments.c.thread_id == thread_id, comments.c.root_id.is_(None), _visible(viewer_id),
        or_(comments.c.status.not_in(TOMBSTONES), _ROOT_HAS_REPLY_TO_SHOW[with_viewer]),
    )
    if with_viewer:  # an author the viewer ignores: only while a reply is kept in place (listed as a placeholder)
        q = q.where(or_(comments.c.account_id.not_in(ignores.HIDDEN), _ROOT_HAS_REPLY_TO_SHOW[True]))
    if sort == "top":
        if cursor is not None:
            q = q.where(
                or_(comments.c.reactions < cursor.key, and_(comments.c.reactions == cursor.key, comments.c.id < cursor.id))
            )
        q = q.order_by(comments.c.reactions.desc(), comments.c.id.desc())
    elif sort == "oldest":
        if cursor is not None:
            q = q.where(comments.c.id > cursor.id)
        q = q.order_by(comments.c.id.asc())
    else:
        if cursor is not None:
            q = q.where(comments.c.id < cursor.id)
        q = q.order_by(comments.c.id.desc())
    return list(conn.execute(q.limit(limit), {"viewer": viewer_id} if with_viewer else {}).mappings())


def _replies_of_roots_statement(with_viewer: bool) -> Any:
    rn = func.row_number().over(partition_by=comments.c.root_id, order_by=comments.c.id.asc()).label("rn")
    # Two statements: with the viewer's OR, SQLite scanned by status instead of by root.
    shown = _visible(bindparam("viewer") if with_viewer else None)
    inner = select(comments, rn).where(comments.c.root_id.in_(bindparam("roots", expanding=True)), shown).subquery()
    return select(inner).where(inner.c.rn <= bindparam("keep")).order_by(inner.c.id.asc())


# Built once: a subquery's column proxies are reference cycles, and building this per thread read left
# ~300 objects per read for the cycle collector (its pauses reached 100-200 ms under load).
_REPLIES_OF_ROOTS = {False: _replies_of_roots_statement(False), True: _replies_of_roots_statement(True)}


def list_replies_of_roots(conn: Connection, root_ids: Sequence[int], *, per_root: int, viewer_id: int | None) -> list[Row]:
    """The first ``per_root + 1`` replies (any depth, oldest first) of each root (and the viewer's own held ones)."""
    if not root_ids:
        return []
    params: dict[str, Any] = {"roots": list(root_ids), "keep": per_root + 1}
    if viewer_id is not None:
        params["viewer"] = viewer_id
    return list(conn.execute(_REPLIES_OF_ROOTS[viewer_id is not None], params).mappings())


def list_replies_after(conn: Connection, root_id: int, *, after_id: int, limit: int, viewer_id: int | None) -> list[Row]:
    q = (
        select(comments)
        .where(comments.c.root_id == root_id, comments.c.id > after_id, _visible(viewer_id))
        .order_by(comments.c.id.asc())
        .limit(limit)
    )
    return list(conn.execute(q).mappings())


def list_featured(conn: Connection, thread_id: int, *, limit: int, offset: int = 0) -> list[Row]:
    """A thread's published featured comments (any depth), the most recently featured first."""
    q = (
        select(comments)
        .where(comments.c.thread_id == thread_id, comments.c.featured_at.is_not(None),
               comments.c.status == CommentStatus.PUBLISHED.value)
        .order_by(comments.c.featured_at.desc(), comments.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(conn.execute(q).mappings())


def under_held(conn: Connection, rows: Sequence[Mapping[str, Any]], viewer_id: int | None) -> set[int]:
    """The ids of ``rows`` that hang under a held comment (at any depth) other than one of ``viewer_id``'s own:
    a thread does not show them (:func:`_visible`; their replies have nothing to hang from). One read per level
    of the deepest reply; none for top-level comments."""
    hidden: set[int] = set()
    waiting: dict[int, list[int]] = {}  # an ancestor still to read -> the rows that hang under it
    for r in rows:
        if r["parent_id"] is not None:
            waiting.setdefault(int(r["parent_id"]), []).append(int(r["id"]))
    while waiting:
        q = select(comments.c.id, comments.c.parent_id, comments.c.status, comments.c.account_id).where(
            comments.c.id.in_(list(waiting)))
        found = list(conn.execute(q).mappings())
        following: dict[int, list[int]] = {}
        for a in found:
            below = [i for i in waiting[int(a["id"])] if i not in hidden]
            if a["status"] == CommentStatus.HELD.value and (viewer_id is None or a["account_id"] != viewer_id):
                hidden.update(below)
            elif below and a["parent_id"] is not None:
                following.setdefault(int(a["parent_id"]), []).extend(below)
        waiting = following
    return hidden


def under_held_comments(held_in: Any) -> Any:
    """A recursive CTE (``id``) of the held comments that ``held_in`` (a condition on ``comments``) selects and every
    comment under them, at any depth: what a signed-out reader is not shown (:func:`_visible` leaves a held comment
    out, and a reply has nothing to hang from under it; :func:`under_held` for rows already read). Each level is
    found through the top-level comment (``root_id``, indexed)."""
    held = (select(comments.c.id.label("id"), func.coalesce(comments.c.root_id, comments.c.id).label("root"))
            .where(comments.c.status == CommentStatus.HELD.value, held_in)
            .cte("under_held", recursive=True))
    child = comments.alias("held_child")
    return held.union(select(child.c.id, child.c.root_id).where(child.c.root_id == held.c.root, child.c.parent_id == held.c.id))


def shown_published(under: Any) -> Any:
    """The condition on ``comments`` of a comment a signed-out reader is shown with its text: published, and under no
    held comment (``under``: :func:`under_held_comments`), as the thread's listing shows it."""
    return and_(comments.c.status == CommentStatus.PUBLISHED.value,
                ~select(under.c.id).where(under.c.id == comments.c.id).exists())


# Built once, like the other reads every page view makes.
_COUNT_PUBLISHED = select(func.count()).select_from(comments).where(
    comments.c.thread_id == bindparam("thread_id"),
    shown_published(under_held_comments(comments.c.thread_id == bindparam("thread_id"))))


def count_published(conn: Connection, thread_id: int) -> int:
    """The thread's comments a signed-out reader is shown with their text, at any depth: its published comments but
    those under a comment held (again, after an edit) for review, which the listing does not show (its ``count``)."""
    return int(conn.execute(_COUNT_PUBLISHED, {"thread_id": thread_id}).scalar_one())


def count_account_comments(conn: Connection, account_id: int, status: CommentStatus | None = None) -> int:
    q = select(func.count()).select_from(comments).where(comments.c.account_id == account_id)
    if status is not None:
        q = q.where(comments.c.status == status.value)
    return int(conn.execute(q).scalar_one())


def list_account_comments(conn: Connection, account_id: int, *, statuses: Sequence[CommentStatus] | None = None, limit: int = 200,
                          for_update: bool = False) -> list[Row]:
    """An account's comments, newest first. ``for_update`` locks them (PostgreSQL; lock the account first, see
    :func:`townhall.store.people.get_account`): a comment changed meanwhile (its author deleted it) is waited
    for and judged again by ``statuses``, so the caller never overwrites the change."""
    q = select(comments).where(comments.c.account_id == account_id)
    if statuses:
        q = q.where(comments.c.status.in_([s.value for s in statuses]))
    q = q.order_by(comments.c.id.desc()).limit(limit)
    if for_update and conn.dialect.name != "sqlite":
        q = q.with_for_update()
    return list(conn.execute(q).mappings())


def list_by_status(conn: Connection, site_id: str, status: CommentStatus, *, limit: int, before_id: int | None = None) -> list[Row]:
    q = (
        select(comments, threads.c.external_id.label("thread_external_id"), threads.c.title.label("thread_title"))
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(threads.c.site_id == site_id, comments.c.status == status.value)
    )
    if before_id is not None:
        q = q.where(comments.c.id < before_id)
    return list(conn.execute(q.order_by(comments.c.id.desc()).limit(limit)).mappings())


def count_by_status(conn: Connection, site_id: str, status: CommentStatus) -> int:
    q = (
        select(func.count())
        .select_from(comments.join(threads, threads.c.id == comments.c.thread_id))
        .where(threads.c.site_id == site_id, comments.c.status == status.value)
    )
    return int(conn.execute(q).scalar_one())


# --- reactions ---------------------------------------------------------------------------------------
def get_reaction(conn: Connection, comment_id: int, account_id: int) -> Row | None:
    q = select(reactions).where(reactions.c.comment_id == comment_id, reactions.c.account_id == account_id)
    return conn.execute(q).mappings().first()


def put_reaction(conn: Connection, comment_id: int, account_id: int, kind: str, now: datetime) -> bool:
    """Set the account's reaction; returns True when a new reaction was added (not a change)."""
    existing = get_reaction(conn, comment_id, account_id)
    if existing is None:
        try:
            with conn.begin_nested():
                conn.execute(insert(reactions).values(comment_id=comment_id, account_id=account_id, kind=kind, created_at=now))
        except IntegrityError:  # PostgreSQL: the same reader's request a moment ago added it (a double click)
            if get_reaction(conn, comment_id, account_id) is None:
                raise
        else:
            conn.execute(update(comments).where(comments.c.id == comment_id).values(reactions=comments.c.reactions + 1))
            return True
    conn.execute(
        update(reactions)
        .where(reactions.c.comment_id == comment_id, reactions.c.account_id == account_id)
        .values(kind=kind)
    )
    return False


def delete_reaction(conn: Connection, comment_id: int, account_id: int) -> bool:
    res = conn.execute(
        reactions.delete().where(reactions.c.comment_id == comment_id, reactions.c.account_id == account_id)
    )
    if res.rowcount:
        conn.execute(update(comments).where(comments.c.id == comment_id).values(reactions=comments.c.reactions - 1))
        return True
    return False


# --- reports -----------------------------------------------------------------------------------------
def get_report(conn: Connection, comment_id: int, account_id: int) -> Row | None:
    q = select(reports).where(reports.c.comment_id == comment_id, reports.c.account_id == account_id)
    return conn.execute(q).mappings().first()


def insert_report(conn: Connection, **values: Any) -> int:
    return insert_row(conn, reports, values)


def insert_report_once(conn: Connection, **values: Any) -> int | None:
    """Insert a report unless the account has reported the comment already; ``None`` then (also when a
    concurrent request of the same reader inserted it a moment ago: PostgreSQL's unique constraint)."""
    if get_report(conn, values["comment_id"], values["account_id"]) is not None:
        return None
    try:
        with conn.begin_nested():
            return insert_row(conn, reports, values)
    except IntegrityError:
        if get_report(conn, values["comment_id"], values["account_id"]) is None:
            raise
        return None


def open_reports(conn: Connection, comment_id: int) -> list[Row]:
    q = select(reports).where(reports.c.comment_id == comment_id, OPEN_REPORT).order_by(reports.c.id)
    return list(conn.execute(q).mappings())


def resolve_reports(conn: Connection, comment_id: int) -> None:
    conn.execute(update(reports).where(reports.c.comment_id == comment_id).values(resolved=True))


def reactions_by(conn: Connection, account_id: int, comment_ids: Sequence[int]) -> dict[int, str]:
    if not comment_ids:
        return {}
    q = select(reactions.c.comment_id, reactions.c.kind).where(
        reactions.c.account_id == account_id, reactions.c.comment_id.in_(list(comment_ids))
    )
    return {int(r.comment_id): r.kind for r in conn.execute(q)}


def recent_comments_for_trolls(conn: Connection, since: datetime) -> Iterable[Row]:
    """Comments since ``since`` with what the coordination detector needs, oldest first."""
    from townhall.store.schema import accounts

    q = (
        select(comments, threads.c.site_id, threads.c.external_id.label("thread_external_id"),
               accounts.c.created_at.label("account_created_at"))
        .join(threads, threads.c.id == comments.c.thread_id)
        .join(accounts, accounts.c.id == comments.c.account_id)
        .where(comments.c.created_at >= since)
        .order_by(comments.c.id)
    )
    return conn.execute(q).mappings()


def recent_reactions_for_trolls(conn: Connection, since: datetime) -> Iterator[Row]:
    """Likes, then reports, made since ``since``: ``site_id``, ``account_id``, ``comment_id``, ``kind`` ("like"
    or "report") and ``created_at``. Not in time order (the detector does not need it); streamed, so a
    start-up that reads a month of reactions does not hold them all at once."""
    likes = (
        select(threads.c.site_id, reactions.c.account_id, reactions.c.comment_id, reactions.c.kind, reactions.c.created_at)
        .join(comments, comments.c.id == reactions.c.comment_id)
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(reactions.c.created_at >= since)
    )
    reported = (
        select(threads.c.site_id, reports.c.account_id, reports.c.comment_id, literal("report").label("kind"),
               reports.c.created_at)
        .join(comments, comments.c.id == reports.c.comment_id)
        .join(threads, threads.c.id == comments.c.thread_id)
        .where(reports.c.created_at >= since)
    )
    yield from conn.execute(likes).mappings()
    yield from conn.execute(reported).mappings()
