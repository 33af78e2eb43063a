"""What the reader's notices say about the comment an action was for (GET /api/v1/me): where it was written (the
thread, the article's address and title), when, its status and how it began."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import Connection

from townhall.service.article_urls import article_title, article_url
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
            "url": article_url(thread["url"], origins), "title": article_title(thread["title"]),
            "created_at": as_utc(row["created_at"]).isoformat(), "status": row["status"],
            "excerpt": (text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1].rstrip() + "…") or None}
    return out

