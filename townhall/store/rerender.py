"""Queries for rendering comments again: the comments whose HTML an older renderer made, and the guarded write
of their new HTML (townhall.service.rerender)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.schema import comments


def count_stale(conn: Connection, version: int) -> int:
    """How many comments an older renderer than ``version`` made (the index on ``render_version`` answers)."""
    q = select(func.count()).select_from(comments).where(comments.c.render_version < version)
    return int(conn.execute(q).scalar_one())


def stale_batch(conn: Connection, version: int, *, after_id: int, limit: int) -> Sequence[RowMapping]:
    """The next ``limit`` such comments by id after ``after_id``: id, text and HTML."""
    q = (select(comments.c.id, comments.c.body, comments.c.html)
         .where(comments.c.render_version < version, comments.c.id > after_id)
         .order_by(comments.c.id).limit(limit))
    return list(conn.execute(q).mappings())


def set_html(conn: Connection, rows: Sequence[tuple[int, str, str]], *, version: int) -> int:
    """Store each ``(comment id, text, html)``'s HTML, made by ``version`` from that text (the same HTML as before,
    too: the version is what changes) — only where the comment still has that text and an older renderer's HTML: an
    edit, an erasure or a newer process's write meanwhile is kept. One statement for all (executemany: on
    PostgreSQL a pipeline, not a round trip per comment). How many were written."""
    if not rows:
        return 0
    q = (update(comments)
         .where(comments.c.id == bindparam("cid"), comments.c.body == bindparam("old_body"),
                comments.c.render_version < version)
         .values(html=bindparam("new_html"), render_version=version))
    done = conn.execute(q, [{"cid": i, "old_body": body, "new_html": html} for i, body, html in rows])
    return int(done.rowcount)
