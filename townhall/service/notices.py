"""What the reader's notices say about the comment an action was for (GET /api/v1/me): where it was written (the
thread, the article's address and title), when, its status and how it began."""

from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from sqlalchemy import Connection

from townhall.service.core import as_utc
from townhall.store import content
from townhall.store.schema import CommentStatus

EXCERPT_CHARS = 200  # of the reader's own comment an action was for


def comments_acted_on(conn: Connection, account_id: int, actions: list[Mapping[str, Any]],
                      origins: Iterable[str] = ()) -> dict[int, dict[str, Any]]:
    """The reader's own comments their actions were for, by id: where (the thread's external id, and the article's
    address, :func:`article_url`, and title), when, its status and the start of the text, which a deleted comment
    (by its author, or by an erasure) no longer has."""
    rows = content.get_comments(conn, {int(a["comment_id"]) for a in actions if a["comment_id"] is not None})
    threads: dict[int, Mapping[str, Any] | None] = {}
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        if int(row["account_id"]) != account_id:  # never another reader's text
            continue
        thread_id = int(row["thread_id"])
        if thread_id not in threads:
            threads[thread_id] = content.get_thread_by_id(conn, thread_id)
        thread = threads[thread_id]
        if thread is None:
            continue
        text = " ".join(str(row["body"] or "").split()) if row["status"] != CommentStatus.DELETED.value else ""
        out[int(row["id"])] = {
            "id": int(row["id"]), "thread": thread["external_id"],
            "url": article_url(thread["url"], origins), "title": thread["title"] or None,
            "created_at": as_utc(row["created_at"]).isoformat(), "status": row["status"],
            "excerpt": (text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1].rstrip() + "…") or None}
    return out


def article_url(url: str | None, origins: Iterable[str] = ()) -> str | None:
    """A thread's address as a page may link it, else None. The address is whatever the thread's first comment
    was sent with (the widget sends its page's, but any reader can send any text), so only an absolute http(s)
    address with a host, or a path on the publisher's site (``/…``), is given: never a ``javascript:``,
    ``data:`` or other scheme, nor one a browser would read as such once it drops the spaces, tabs and control
    characters in it. Where the site names its pages' origins (``sites.origins``), an absolute address must be
    on one of them."""
    if not url or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "\\" in parts.netloc:
        return None
    allowed = {str(o).strip().rstrip("/").lower() for o in origins if str(o).strip()}
    if allowed and f"{parts.scheme}://{parts.netloc}".lower() not in allowed:
        return None
    return url
