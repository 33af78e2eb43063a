"""A reader's own comment history (Coral's "My Profile" → "My comments"): ``GET /api/v1/me/comments``.

* Whose: the signed-in reader's, SSO or guest, on the site their account belongs to (an account is one site's;
  the query also joins the thread's site). Another reader's comments are never listed.
* Which: every comment of theirs that still has their words: ``published``, ``held`` (awaiting a moderator),
  ``rejected`` (refused by the house rules) and ``removed`` (rejected by a moderator: the comment's latest decision
  is a moderator's, whose ``reason`` is given). Comments they deleted themselves are left out: deleting is how a
  reader takes a comment back, and its text is gone (so are the comments of an erased account, which is another
  account from then on). The reader's export (``GET /api/v1/me/export``) still lists every row.
* Order: newest first (``created_at``, then ``id``), a page at a time: ``next`` is the cursor of the page after
  this one (null on the last), sent back as ``before``. A cursor is the last row's time and id, so a comment
  written meanwhile does not shift the pages; one that is not a cursor this server made is ``422 invalid`` naming
  ``before``.
* Each carries its article: the thread's id, its title (one line, :func:`article_title`) and its address where a
  page may link it (:func:`article_url`, on the site's origins where it names any), and ``permalink``: that
  address with ``#comment-{id}`` (null without an address, or for a comment not published: nobody else sees it).
* Private: read only by the reader, not audited.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any, Mapping

from townhall.service.article_urls import article_title, article_url, site_origins
from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid
from townhall.service.identity import Identity
from townhall.store import moderation
from townhall.store.my_comments import account_comments_page
from townhall.store.schema import MAX_ID, CommentStatus, DecisionSource

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
LISTED = (CommentStatus.PUBLISHED.value, CommentStatus.HELD.value, CommentStatus.REJECTED.value)
REMOVED = "removed"  # a comment a moderator rejected, as this list names its status


def encode_cursor(at: datetime, ident: int) -> str:
    """The position after a row: its time (UTC, to the microsecond) and id."""
    raw = json.dumps([as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), ident], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """What :func:`encode_cursor` made, else ``Invalid`` naming ``before``: a forged or damaged cursor is the
    client's error on both databases, never a query with a value the database refuses."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        at, ident = json.loads(raw)
        if isinstance(ident, bool) or not isinstance(ident, int) or not 1 <= ident <= MAX_ID or not isinstance(at, str):
            raise ValueError
        when = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
        if not 1970 <= when.year <= 9998:
            raise ValueError
        return when, ident
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError, OverflowError):
        raise Invalid("The cursor is not one this server gave out: send `next` from the previous page, or nothing "
                      "for the first page.", {"field": "before"}) from None


def _item(row: Mapping[str, Any], status: str, reason: str | None, origins: list[str]) -> dict[str, Any]:
    url = article_url(row["thread_url"], origins)
    return {
        "id": int(row["id"]),
        "text": row["body"],
        "html": row["html"],
        "status": status,
        "reason": reason,
        "created_at": as_utc(row["created_at"]).isoformat(),
        "edited_at": as_utc(row["edited_at"]).isoformat() if row["edited_at"] else None,
        "parent_id": row["parent_id"],
        "thread": {"id": row["thread_external_id"], "title": article_title(row["thread_title"]), "url": url},
        "permalink": f"{url.split('#')[0]}#comment-{row['id']}" if url and status == CommentStatus.PUBLISHED.value else None,
    }


def my_comments(svc: Services, ident: Identity, *, before: str | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """A page of the reader's own comments, newest first, and the cursor of the next page (or None)."""
    after = decode_cursor(before)
    limit = max(1, min(MAX_LIMIT, int(limit)))
    origins = site_origins(svc.site(ident.site_id))
    with svc.db.read() as conn:
        rows = account_comments_page(conn, ident.site_id, ident.account_id, statuses=LISTED, limit=limit + 1, before=after)
        more, rows = len(rows) > limit, rows[:limit]
        rejected = [int(r["id"]) for r in rows if r["status"] == CommentStatus.REJECTED.value]
        latest = moderation.latest_decisions(conn, rejected) if rejected else {}
    items = []
    for row in rows:
        status, reason = str(row["status"]), None
        decision = latest.get(int(row["id"]))
        if decision is not None and decision["source"] == DecisionSource.MODERATOR.value:
            status, reason = REMOVED, decision["reason"]
        items.append(_item(row, status, reason, origins))
    last = rows[-1] if rows else None
    return {"comments": items, "next": encode_cursor(last["created_at"], int(last["id"])) if more and last is not None else None}
