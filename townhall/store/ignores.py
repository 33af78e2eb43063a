"""Queries for readers' ignore lists (``ignored_accounts``): whose comments a reader chose not to see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from townhall.store.ops_tables import ignored_accounts
from townhall.store.schema import CommentStatus, Role, accounts, comments

Row = RowMapping
_ig = ignored_accounts.c

# The accounts whose comments a reader does not see: those they ignore that are still readers (an account made
# a moderator since is not hidden; staff cannot be ignored). Built once, as the thread reads in store/content.py.
HIDDEN = (select(_ig.ignored_id).join(accounts, accounts.c.id == _ig.ignored_id)
           .where(_ig.account_id == bindparam("viewer"), accounts.c.role == Role.READER.value))


def hidden_authors(conn: Connection, viewer_id: int | None) -> frozenset[int]:
    """The authors whose comments ``viewer_id`` does not see (none for a signed-out reader: no query)."""
    if viewer_id is None:
        return frozenset()
    return frozenset(int(i) for i in conn.execute(HIDDEN, {"viewer": viewer_id}).scalars())


def answered(conn: Connection, root_id: int, comment_ids: list[int], viewer_id: int) -> set[int]:
    """The replies of ``comment_ids`` (under top-level comment ``root_id``, whose index finds them) that a published
    reply answers, or one of ``viewer_id``'s held ones: an ignored author's comment a flat list of replies keeps, as
    a placeholder, so that the reply has its place."""
    if not comment_ids:
        return set()
    shown = or_(comments.c.status == CommentStatus.PUBLISHED.value,
                and_(comments.c.status == CommentStatus.HELD.value, comments.c.account_id == viewer_id))
    q = select(comments.c.parent_id).where(comments.c.root_id == root_id, comments.c.parent_id.in_(comment_ids), shown).distinct()
    return {int(i) for i in conn.execute(q).scalars()}


def list_ignored(conn: Connection, account_id: int, *, readers_only: bool = False) -> list[Row]:
    """The accounts ``account_id`` ignores, with their display names, roles and since when, the latest first.
    ``readers_only``: not those made moderators since (their rows stay, and count again should the role go)."""
    q = (select(_ig.ignored_id, _ig.created_at, accounts.c.display_name, accounts.c.role)
         .join(accounts, accounts.c.id == _ig.ignored_id)
         .where(_ig.account_id == account_id).order_by(_ig.created_at.desc(), _ig.ignored_id.desc()))
    if readers_only:
        q = q.where(accounts.c.role == Role.READER.value)
    return list(conn.execute(q).mappings())


def count_ignored(conn: Connection, account_id: int) -> int:
    """How many readers ``account_id`` ignores, as the list shows them (not the staff: :data:`HIDDEN`)."""
    q = (select(func.count()).select_from(ignored_accounts.join(accounts, accounts.c.id == _ig.ignored_id))
         .where(_ig.account_id == account_id, accounts.c.role == Role.READER.value))
    return int(conn.execute(q).scalar_one())


def is_ignored(conn: Connection, account_id: int, ignored_id: int) -> bool:
    q = select(_ig.account_id).where(_ig.account_id == account_id, _ig.ignored_id == ignored_id)
    return conn.execute(q).first() is not None


def has_published(conn: Connection, account_id: int) -> bool:
    """Whether the account has a published comment: one readers were shown, by an author a reader may ignore."""
    q = select(comments.c.id).where(comments.c.account_id == account_id,
                                    comments.c.status == CommentStatus.PUBLISHED.value).limit(1)
    return conn.execute(q).first() is not None


def add(conn: Connection, account_id: int, ignored_id: int, now: datetime) -> None:
    """Ignore ``ignored_id``; already ignored (also by the same reader's request a moment ago), nothing changes."""
    if is_ignored(conn, account_id, ignored_id):
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(ignored_accounts).values(account_id=account_id, ignored_id=ignored_id, created_at=now))
    except IntegrityError:  # PostgreSQL: a concurrent request of the same reader inserted it first
        if not is_ignored(conn, account_id, ignored_id):
            raise


def remove(conn: Connection, account_id: int, ignored_id: int) -> None:
    conn.execute(delete(ignored_accounts).where(_ig.account_id == account_id, _ig.ignored_id == ignored_id))


def merge_account(conn: Connection, gone: int, into: int, *, limit: int) -> None:
    """Account ``gone`` joined ``into`` (an imported account claimed by a reader): the rows naming ``gone`` on
    readers' lists name ``into``, and ``gone``'s own list becomes ``into``'s. No row names its own reader (one
    would, where ``into`` ignored ``gone`` or the other way round: dropped); where both rows of a pair are there,
    one is kept, with the earlier time (since when the person was ignored); over ``limit`` readers on ``into``'s
    list, the newest ``limit`` are kept."""
    if gone == into:
        return
    conn.execute(delete(ignored_accounts).where(or_(and_(_ig.account_id == gone, _ig.ignored_id == into),
                                                    and_(_ig.account_id == into, _ig.ignored_id == gone))))
    row, o = ignored_accounts.c, ignored_accounts.alias("other").c
    for mine, theirs in (("ignored_id", "account_id"), ("account_id", "ignored_id")):
        # mine: the column naming gone (or into); theirs: the row's other account
        gone_row = and_(o[mine] == gone, o[theirs] == row[theirs])
        earlier = select(o.created_at).where(gone_row).scalar_subquery()
        conn.execute(update(ignored_accounts)  # the same person now: ignored since the earlier of the two rows
                     .where(row[mine] == into, exists().where(gone_row, o.created_at < row.created_at))
                     .values(created_at=earlier))
        conn.execute(delete(ignored_accounts).where(
            row[mine] == gone, exists().where(o[mine] == into, o[theirs] == row[theirs])))
        conn.execute(update(ignored_accounts).where(row[mine] == gone).values({mine: into}))
    listed = list_ignored(conn, into, readers_only=True)
    over = [int(r["ignored_id"]) for r in listed[limit:]]
    if over:
        conn.execute(delete(ignored_accounts).where(_ig.account_id == into, _ig.ignored_id.in_(over)))


def forget_account(conn: Connection, account_id: int) -> int:
    """An erasure: the account's own list, and its place on everyone else's. Returns the rows removed."""
    res = conn.execute(delete(ignored_accounts).where(or_(_ig.account_id == account_id, _ig.ignored_id == account_id)))
    return int(res.rowcount or 0)
