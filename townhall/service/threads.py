"""Reading threads: published comments, nested to any depth, a page of top-level comments at a time."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, Iterable, Mapping

from townhall.policy.closing import Closure
from townhall.service.article_urls import article_url, site_origins
from townhall.service.closing import NOT_STARTED, closure, described, published
from townhall.service.comments import check_thread_id, serialize
from townhall.service.core import Services
from townhall.service.errors import Invalid, NotFound, no_such_site
from townhall.service.pages import Page
from townhall.store import content, ignores, people
from townhall.store.content import SORTS, Cursor
from townhall.store.schema import MAX_ID, TOMBSTONES, CommentStatus

MAX_LIMIT = 100
REPLIES_PER_ROOT = 50
FILL_ROUNDS = 4  # reads of top-level comments to fill a page whose nesting dropped some (one, nearly always)


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps([cursor.key, cursor.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> Cursor | None:
    """The position a cursor names: ``[key, id]``, a finite number and a comment id (1 to 2**31-1, what a
    PostgreSQL integer holds). Anything else, forged or damaged, is refused the same way on both databases."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        key, ident = json.loads(raw)
        if isinstance(ident, bool) or not isinstance(ident, int) or not 1 <= ident <= MAX_ID:
            raise ValueError
        if isinstance(key, bool) or not isinstance(key, (int, float)):
            raise ValueError
        number = float(key)
        if not math.isfinite(number):
            raise ValueError
        return Cursor(number, ident)
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError, OverflowError):
        raise Invalid("The cursor is not one this server gave out.", {"field": "cursor"}) from None


def thread_info(thread: Mapping[str, Any] | None, external_id: str, count: int,
                 closed: Closure = NOT_STARTED, origins: Iterable[str] = ()) -> dict[str, Any]:
    """A thread as the API shows it. ``state`` is the effective one: "closed" also for a thread past the site's
    close_after_days, which ``closed_reason`` tells apart ("age", or "moderator"); see
    townhall.service.closing.described. ``published_at``: the article's publication date as the publisher gave it
    (the age limit counts from it), or None. ``url``: the article's address only where a page may link it (on the
    site's ``origins``), see article_urls.article_url. ``premoderated``: every new comment waits for a moderator.
    ``message``: what a moderator or the publisher says above the comments (plain text, paragraphs), or None."""
    return {
        "id": external_id,
        "title": thread["title"] if thread else None,
        "url": article_url(thread["url"], origins) if thread else None,
        **described(closed),
        "published_at": published(thread),
        "premoderated": bool(thread["premoderated"]) if thread else False,
        "message": thread["message"] if thread else None,
        "count": count,
    }


def _nest(roots: list[Mapping[str, Any]], replies: list[Mapping[str, Any]], authors: dict[int, Any],
          viewer_id: int | None, reacted: dict[int, str], unfinished: set[int], hidden: frozenset[int]) -> list[dict[str, Any]]:
    """The roots with their replies nested; tombstones and placeholders (``hidden``: authors the viewer ignores)
    left with no reply are dropped, except a root whose further replies (``unfinished``: more than the page nests)
    are still to be loaded."""
    by_id: dict[int, dict[str, Any]] = {}
    out = []
    for row in roots:
        item = _listed(row, authors, viewer_id, reacted, hidden)
        by_id[row["id"]] = item
        out.append(item)
    for row in replies:
        item = _listed(row, authors, viewer_id, reacted, hidden)
        by_id[row["id"]] = item
        parent = by_id.get(row["parent_id"])
        if parent is not None:
            parent["replies"].append(item)
    return [i for i in out if not _empty_tombstone(i) or i["id"] in unfinished]


def _listed(row: Mapping[str, Any], authors: dict[int, Any], viewer_id: int | None,
            reacted: dict[int, str], hidden: frozenset[int] = frozenset()) -> dict[str, Any]:
    """A comment as a thread shows it. One a moderator removed is listed only while it has a published reply
    (:func:`townhall.store.content._visible`), as a tombstone like a deleted one: no text, no author. One whose
    author the viewer ignores (``hidden``) likewise, as a placeholder marked ``"ignored": true``."""
    if row["status"] == CommentStatus.REJECTED.value:
        item = serialize(row, None, viewer_id=None)
        item.update(html="", own=False)
    elif row["account_id"] in hidden and row["status"] == CommentStatus.PUBLISHED.value:
        item = serialize(row, None, viewer_id=None)
        item.update(html="", own=False, featured=False, reactions=0, ignored=True)
    else:
        item = serialize(row, authors.get(row["account_id"]), viewer_id=viewer_id, my_reaction=reacted.get(row["id"]))
    item["replies"] = []
    return item


def _empty_tombstone(item: dict[str, Any]) -> bool:
    item["replies"] = [r for r in item["replies"] if not _empty_tombstone(r)]
    return (item["status"] in TOMBSTONES or "ignored" in item) and not item["replies"]


def list_comments(svc: Services, site_id: str, thread_external_id: str, *, sort: str = "newest", limit: int = 20,
                  cursor: str | None = None, viewer_id: int | None = None, root: int | None = None) -> dict[str, Any]:
    return list_page(svc, site_id, thread_external_id, sort=sort, limit=limit, cursor=cursor, viewer_id=viewer_id,
                     root=root).data


def list_page(svc: Services, site_id: str, thread_external_id: str, *, sort: str = "newest", limit: int = 20,
              cursor: str | None = None, viewer_id: int | None = None, root: int | None = None,
              since: int | None = None) -> Page:
    """A page of a thread's comments as ``viewer_id`` sees it. The first page as signed-out readers see it
    comes from the page cache (service/pages.py), shared with other readers: do not change it. ``since``:
    a comment the reader knows exists; a cached page built before it is not used."""
    check_thread_id(thread_external_id)
    if sort not in SORTS:
        raise Invalid(f"'sort' must be one of {', '.join(SORTS)}.", {"field": "sort"})
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"'limit' must be between 1 and {MAX_LIMIT}.", {"field": "limit"})
    if viewer_id is None and cursor is None and root is None:
        page = svc.pages.get_or_build((site_id, thread_external_id, sort, limit),
                                      lambda: _list(svc, site_id, thread_external_id, sort, limit, None, None, None),
                                      since=since)
    else:
        page = Page(_list(svc, site_id, thread_external_id, sort, limit, cursor, viewer_id, root))
    # imported here: announcements checks its text with thread_metadata, which builds its answer with thread_info
    from townhall.service.announcements import on_thread

    return AnnouncedPage(page, on_thread(svc, site_id))


class AnnouncedPage(Page):
    """A page of a thread with the site's announcement in force now in its ``thread`` (``announcement``: ``{"text",
    "until"}`` or None), added when answering: the page cache keeps pages without it, so that a new, changed,
    cleared or expired announcement reaches every thread of the site without dropping any cached page
    (townhall.service.announcements). Its JSON is the cached page's, encoded once, with the field put in."""

    __slots__ = ("_base", "_announcement")

    def __init__(self, base: Page, announcement: dict[str, Any] | None) -> None:
        super().__init__({**base.data, "thread": {**base.data["thread"], "announcement": announcement}})
        self._base = base
        self._announcement = announcement

    @property
    def json(self) -> bytes:
        """The base page's JSON with ``announcement`` as the thread's last field: its ``thread`` comes first, so
        the field goes before the thread's closing brace (where it does not, the page is encoded afresh)."""
        base = self._base.json
        thread = json.dumps(self._base.data["thread"], ensure_ascii=False, separators=(",", ":")).encode()
        head = b'{"thread":' + thread
        if not base.startswith(head):
            return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()
        added = json.dumps(self._announcement, ensure_ascii=False, separators=(",", ":")).encode()
        return head[:-1] + b',"announcement":' + added + b"}" + base[len(head):]


def _list(svc: Services, site_id: str, thread_external_id: str, sort: str, limit: int, cursor: str | None,
          viewer_id: int | None, root: int | None) -> dict[str, Any]:
    pos = decode_cursor(cursor)
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
        if site is None:
            raise no_such_site(site_id)
        thread = content.get_thread(conn, site_id, thread_external_id)
        if thread is None:
            return {"thread": thread_info(None, thread_external_id, 0), "comments": [], "next_cursor": None}
        count = content.count_published(conn, thread["id"])
        info = thread_info(thread, thread_external_id, count, closure(svc, svc.policies.for_site(site), thread),
                            site_origins(site))
        hidden = ignores.hidden_authors(conn, viewer_id)  # the authors the viewer ignores (service/ignores.py)
        if root is not None:
            return _more_replies(conn, thread, info, root, limit, pos, viewer_id, hidden)
        items, last, more = _roots_page(conn, thread["id"], sort, limit, pos, viewer_id, hidden)
        next_cursor = encode_cursor(_cursor_of(last, sort)) if more and last is not None else None
        return {"thread": info, "comments": items, "next_cursor": next_cursor}


def _cursor_of(row: Mapping[str, Any], sort: str) -> Cursor:
    return Cursor(float(row["reactions"]) if sort == "top" else 0.0, int(row["id"]))


def _roots_page(conn: Any, thread_id: int, sort: str, limit: int, pos: Cursor | None,
                viewer_id: int | None, hidden: frozenset[int]) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None, bool]:
    """Up to ``limit`` top-level comments after ``pos``, nested with their replies; the last top-level row the
    page read (its cursor is the next page's); and whether more come after it.

    The store lists only the top-level comments a page shows (:func:`townhall.store.content.list_roots`). Should
    nesting still drop one (a tombstone whose only published reply answers a comment the viewer cannot see),
    the page is filled from the next ones, a few rounds at most; a page cut short then still ends at a cursor
    from which the next page goes on."""
    items: list[dict[str, Any]] = []
    last: Mapping[str, Any] | None = None
    more = False
    after = pos
    for _ in range(FILL_ROUNDS):
        want = limit - len(items)
        rows = content.list_roots(conn, thread_id, sort=sort, limit=want + 1, cursor=after, viewer_id=viewer_id)
        more = len(rows) > want
        rows = rows[:want]
        if not rows:
            break
        items += _nested(conn, rows, viewer_id, hidden)
        last = rows[-1]
        after = _cursor_of(last, sort)
        if not more or len(items) >= limit:
            break
    return items, last, more


def _nested(conn: Any, roots: list[Mapping[str, Any]], viewer_id: int | None, hidden: frozenset[int]) -> list[dict[str, Any]]:
    """Top-level comments with their first replies nested under them (the rest behind ``replies_cursor``)."""
    replies = content.list_replies_of_roots(conn, [r["id"] for r in roots], per_root=REPLIES_PER_ROOT, viewer_id=viewer_id)
    counts: dict[int, int] = {}
    kept = []
    for r in replies:
        counts[r["root_id"]] = counts.get(r["root_id"], 0) + 1
        if counts[r["root_id"]] <= REPLIES_PER_ROOT:
            kept.append(r)
    authors = _authors(conn, roots + kept)
    reacted = _reacted(conn, roots + kept, viewer_id)
    unfinished = {root_id for root_id, n in counts.items() if n > REPLIES_PER_ROOT}
    items = _nest(roots, kept, authors, viewer_id, reacted, unfinished, hidden)
    for item in items:
        item["more_replies"] = item["id"] in unfinished
        if item["more_replies"]:
            last = [r for r in kept if r["root_id"] == item["id"]][-1]
            item["replies_cursor"] = encode_cursor(Cursor(0, last["id"]))
    return items


def _more_replies(conn: Any, thread: Mapping[str, Any], info: dict[str, Any], root: int, limit: int,
                  pos: Cursor | None, viewer_id: int | None, hidden: frozenset[int]) -> dict[str, Any]:
    """Further replies of a top-level comment, flat, oldest first. A reply by an author the viewer ignores is a
    placeholder while a reply answers it (which has its place under it), else left out; one under a held comment
    (not the viewer's own) is left out, as on the first page. A page may then hold fewer than ``limit`` replies;
    its cursor still goes on after the last one read."""
    root_row = content.get_comment(conn, root)
    if root_row is None or root_row["thread_id"] != thread["id"] or root_row["root_id"] is not None:
        raise NotFound("No such top-level comment in this thread.", {"root": root})
    read = content.list_replies_after(conn, root, after_id=pos.id if pos else 0, limit=limit + 1, viewer_id=viewer_id)
    more = len(read) > limit
    read = read[:limit]
    # not a reply under a held comment (held again after an edit) other than the viewer's own, which the first
    # page hides with it too (it has nothing to hang from), and which the thread's count leaves out
    under = content.under_held(conn, read, viewer_id)
    rows = [r for r in read if int(r["id"]) not in under]
    authors = _authors(conn, rows)
    reacted = _reacted(conn, rows, viewer_id)
    ignored = {int(r["id"]) for r in rows if r["account_id"] in hidden and r["status"] == CommentStatus.PUBLISHED.value}
    keep = ignores.answered(conn, root, sorted(ignored), viewer_id) if ignored and viewer_id is not None else set()
    items = [_listed(r, authors, viewer_id, reacted, hidden) for r in rows if int(r["id"]) not in ignored or int(r["id"]) in keep]
    return {
        "thread": info,
        "comments": items,
        "flat": True,
        "next_cursor": encode_cursor(Cursor(0, read[-1]["id"])) if more and read else None,
    }


def _authors(conn: Any, rows: list[Mapping[str, Any]]) -> dict[int, Any]:
    return people.get_accounts(conn, sorted({r["account_id"] for r in rows}))


def _reacted(conn: Any, rows: list[Mapping[str, Any]], viewer_id: int | None) -> dict[int, str]:
    if viewer_id is None:
        return {}
    return content.reactions_by(conn, viewer_id, [r["id"] for r in rows])


def site_info(svc: Services, site_id: str) -> dict[str, Any]:
    """What a widget needs to know about a site before anyone signs in: its rules and limits."""
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    policy = svc.policies.for_site(site)
    comments_cfg = policy.settings.comments
    window = svc.settings.edit_window_minutes
    return {
        "id": site["id"],
        "name": site["name"],
        "allow_guests": bool(site["allow_guests"]),
        "max_length": comments_cfg.max_length,
        "edit_window_minutes": window if window >= 0 else comments_cfg.edit_window_minutes,
        "house_rules": policy.summary,
        "rules": [{"name": rule.name, "description": rule.description} for rule in policy.rules],
        "policy_version": policy.version,
    }
