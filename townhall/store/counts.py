"""Comment counts of many threads at once, for the counts that listing pages show next to headlines."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Connection, and_, bindparam, func, select

from townhall.store.content import shown_published, under_held_comments
from townhall.store.schema import comments, threads

_ASKED = and_(threads.c.site_id == bindparam("site_id"), threads.c.external_id.in_(bindparam("ids", expanding=True)))

# Built once, with an expanding parameter, like the other reads every page view makes (townhall.store.content).
# A LEFT JOIN so that a thread without published comments is answered too (0); one that does not exist is not.
# Published comments under a held one are not counted, as the listing does not show them (content.count_published).
_COUNTS = (
    select(threads.c.external_id, func.count(comments.c.id).label("n"))
    .select_from(threads.outerjoin(comments, and_(
        comments.c.thread_id == threads.c.id,
        shown_published(under_held_comments(comments.c.thread_id.in_(select(threads.c.id).where(_ASKED).scalar_subquery())))
    )))
    .where(_ASKED)
    .group_by(threads.c.external_id)
)


def count_published_many(conn: Connection, site_id: str, external_ids: Sequence[str]) -> dict[str, int]:
    """The published comments (at any depth, but none under a held comment) of each of the site's threads named in
    ``external_ids``, in one query: what :func:`townhall.store.content.count_published` counts for one thread, which the thread listing
    shows as its ``count``. Threads that do not exist are left out."""
    if not external_ids:
        return {}
    rows = conn.execute(_COUNTS, {"site_id": site_id, "ids": list(external_ids)})
    return {str(r.external_id): int(r.n) for r in rows}
