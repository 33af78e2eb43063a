"""Disqus XML export: <category>, <thread dsq:id> and <post dsq:id> records under <disqus>.

Posts refer to their thread (and parent post) by dsq:id; messages are HTML. A thread's key is its
``<id>`` identifier when the site set one, else its ``<link>``.
"""

from __future__ import annotations

from townhall.service.importers.model import (
    Archive,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    author_subject,
    clean_email,
    clean_name,
    html_to_text,
    parse_time,
)
from townhall.service.importers.xmlrecords import attr, child_text, records
from townhall.store.schema import CommentStatus

NS = {"d": "http://disqus.com", "dsq": "http://disqus.com/disqus-internals"}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def read(text: str) -> Archive:
    archive = Archive("disqus")
    by_dsq: dict[str, ImportedThread] = {}
    found = list(records(text, {"thread", "post", "category"}))
    found.sort(key=lambda r: r.name != "thread")  # threads first: a post may come before its thread in the file
    for rec in found:
        where = f"line {rec.line} <{rec.name}>"
        if rec.error is not None or rec.element is None:
            archive.problem(where, f"{rec.error}; skipped")
            continue
        el = rec.element
        if rec.name == "category":
            continue
        dsq_id = attr(el, "id")
        if not dsq_id:
            archive.problem(where, "no dsq:id; skipped")
            continue
        where = f"line {rec.line} <{rec.name} dsq:id={dsq_id}>"
        if rec.name == "thread":
            link = (child_text(el, "d:link", NS) or "").strip() or None
            key = (child_text(el, "d:id", NS) or "").strip() or link or f"disqus-thread-{dsq_id}"
            try:
                created = parse_time(child_text(el, "d:createdAt", NS))
            except ValueError:
                created = None
            thread = ImportedThread(key=key[:300], url=link, title=(child_text(el, "d:title", NS) or "").strip() or None,
                                    created_at=created, closed=_flag(child_text(el, "d:isClosed", NS)))
            by_dsq[dsq_id] = thread
            archive.threads.setdefault(thread.key, thread)
            continue
        thread_ref = attr(el.find("d:thread", NS), "id")
        found = by_dsq.get(thread_ref or "")
        if found is None:
            archive.problem(where, f"refers to unknown thread {thread_ref!r}; skipped")
            continue
        thread = found
        try:
            created = parse_time(child_text(el, "d:createdAt", NS))
        except ValueError as exc:
            archive.problem(where, f"bad createdAt: {exc}; skipped")
            continue
        author = el.find("d:author", NS)
        name = child_text(author, "d:name", NS) if author is not None else None
        email = clean_email(child_text(author, "d:email", NS) if author is not None else None)
        username = (child_text(author, "d:username", NS) or "").strip() if author is not None else ""
        anonymous = _flag(child_text(author, "d:isAnonymous", NS)) if author is not None else True
        subject = author_subject("disqus", user_id=None if anonymous else username or None, email=email, name=name)
        deleted = _flag(child_text(el, "d:isDeleted", NS))
        body = html_to_text(child_text(el, "d:message", NS))
        if not body and not deleted:
            archive.problem(where, "empty message; skipped")
            continue
        if _flag(child_text(el, "d:isSpam", NS)):
            status = CommentStatus.REJECTED
        elif deleted:
            status = CommentStatus.DELETED
        elif (child_text(el, "d:isApproved", NS) or "true").strip().lower() == "false":
            status = CommentStatus.HELD
        else:
            status = CommentStatus.PUBLISHED
        archive.comments.append(ImportedComment(
            external_id=dsq_id, thread_key=thread.key, parent_external_id=attr(el.find("d:parent", NS), "id"),
            author=ImportedAuthor(subject, clean_name(name), email), text=body, created_at=created, status=status,
            position=where,
        ))
    return archive
