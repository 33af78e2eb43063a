"""Featured comments (staff picks): moderators feature good published comments; readers see them marked
(``"featured"`` in every serialized comment) and listed first (``list_featured``).

A featured comment keeps its mark while it is published. One that leaves (a moderator rejects it, its author
deletes it, an edit is held) drops out of the featured list and loses the mark; the time it was featured
stays stored, so a comment a moderator publishes again is featured again, until someone unfeatures it.
"""

from __future__ import annotations

from typing import Any

from townhall.service.comments import check_thread_id, serialize
from townhall.service.core import Services
from townhall.service.errors import Conflict, Invalid, NotFound, no_such_site
from townhall.service.identity import Actor
from townhall.service.pages import Page
from townhall.store import content, ignores, people
from townhall.store.schema import CommentStatus

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
NOT_PUBLISHED = "not_published"
CACHE_KEY = "featured"  # the page cache's "sort" for a thread's featured list (never one of a list's sorts)


def set_featured(svc: Services, actor: Actor, comment_id: int, featured: bool) -> dict[str, Any]:
    """Feature a published comment, or unfeature any comment, as a moderator of its site. Asking for the state
    the comment is in already changes nothing and audits nothing (a double click, two moderators at once).
    Readers' widgets are told after the commit (``comment.featured``), which also drops the thread's cached
    pages (townhall.service.pages)."""
    if not isinstance(featured, bool):
        raise Invalid("'featured' is true or false.", {"field": "featured"})
    with svc.db.write() as conn:
        row = content.get_comment(conn, comment_id, for_update=True)  # a concurrent repeat waits, then sees this
        thread = content.get_thread_by_id(conn, row["thread_id"]) if row is not None else None
        if row is None or thread is None:
            raise NotFound("No such comment.", {"comment_id": comment_id})
        site_id = str(thread["site_id"])
        actor.require_site(site_id)
        published = row["status"] == CommentStatus.PUBLISHED.value
        if featured and not published:
            raise Conflict("Only a published comment can be featured.", {"status": row["status"]}, code=NOT_PUBLISHED)
        if (row["featured_at"] is not None) == featured:
            return {"comment_id": comment_id, "featured": featured}
        now = svc.now()
        content.update_comment(conn, comment_id, featured_at=now if featured else None,
                               featured_by=actor.id[:200] if featured else None)
        svc.audit(conn, action="comment.featured" if featured else "comment.unfeatured", subject_type="comment",
                  subject_id=comment_id, actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
                  details={"thread": thread["external_id"], "status": row["status"]})
        if published:  # readers see the mark come or go; an unpublished comment shows none either way
            svc.announce_on(conn, row["thread_id"], {"type": "comment.featured", "id": comment_id, "featured": featured})
    return {"comment_id": comment_id, "featured": featured}


def list_featured(svc: Services, site_id: str, thread_external_id: str, *, limit: int = DEFAULT_LIMIT,
                  viewer_id: int | None = None) -> dict[str, Any]:
    """A thread's featured comments as ``viewer_id`` may see them, the most recently featured first, each as a
    thread lists it (flat: ``replies`` is empty; the thread shows them in place)."""
    return featured_page(svc, site_id, thread_external_id, limit=limit, viewer_id=viewer_id).data


def featured_page(svc: Services, site_id: str, thread_external_id: str, *, limit: int = DEFAULT_LIMIT,
                  viewer_id: int | None = None) -> Page:
    """:func:`list_featured` as a page: signed-out readers' comes from the page cache (townhall.service.pages),
    beside the thread's first pages, and goes with them at the same events (a comment featured or unfeatured,
    edited, deleted, removed), so that the widget's second request on every page view costs no reads either."""
    check_thread_id(thread_external_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"'limit' must be between 1 and {MAX_LIMIT}.", {"field": "limit"})
    if viewer_id is None:
        return svc.pages.get_or_build((site_id, thread_external_id, CACHE_KEY, limit),
                                      lambda: _list(svc, site_id, thread_external_id, limit, None))
    return Page(_list(svc, site_id, thread_external_id, limit, viewer_id))


def _list(svc: Services, site_id: str, thread_external_id: str, limit: int, viewer_id: int | None) -> dict[str, Any]:
    """The published featured comments the thread shows ``viewer_id``: not one that hangs under a held comment
    (held again after an edit) other than the viewer's own, which the thread hides with its replies, nor one
    by an author the viewer ignores (service/ignores.py)."""
    with svc.db.read() as conn:
        if content.get_site(conn, site_id) is None:
            raise no_such_site(site_id)
        thread = content.get_thread(conn, site_id, thread_external_id)
        if thread is None:
            return {"comments": []}
        ignored = ignores.hidden_authors(conn, viewer_id)
        rows: list[Any] = []
        offset = 0
        while len(rows) < limit:
            batch = content.list_featured(conn, int(thread["id"]), limit=limit, offset=offset)
            hidden = content.under_held(conn, batch, viewer_id)
            rows += [r for r in batch if r["id"] not in hidden and r["account_id"] not in ignored]
            if len(batch) < limit:
                break
            offset += limit
        rows = rows[:limit]
        authors = people.get_accounts(conn, sorted({r["account_id"] for r in rows}))
        reacted = content.reactions_by(conn, viewer_id, [r["id"] for r in rows]) if viewer_id is not None else {}
    return {"comments": [{**serialize(r, authors.get(r["account_id"]), viewer_id=viewer_id, my_reaction=reacted.get(r["id"])),
                          "replies": []} for r in rows]}
