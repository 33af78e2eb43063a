"""Disqus XML export: <category>, <thread dsq:id> and <post dsq:id> records under <disqus>.

Posts refer to their thread (and parent post) by dsq:id; messages are HTML. A thread's key is its
``<id>`` identifier when the site set one, else its ``<link>``. A file without a single <thread> or <post>
(empty, or another kind of export) is refused with ``Invalid``. The file is read piece by piece: only the
record being read is held in memory, the comments go to the archive's spool.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path

from townhall.service.errors import Invalid
from townhall.service.importers.model import (
    Archive,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    author_subject,
    clean_email,
    clean_name,
    filled,
    html_to_text,
    parse_time,
)
from townhall.service.importers.xmlrecords import attr, child_markup, child_text, decoding_problems, file_chunks, records
from townhall.store.schema import CommentStatus

NS = {"d": "http://disqus.com", "dsq": "http://disqus.com/disqus-internals"}
NOT_DISQUS = "no <thread>/<post> records found — is this a Disqus export?"
# A Disqus record is one thread or one post: one longer than this cannot hold a comment an import keeps
# (model.MAX_TEXT_CHARS, 1,000,000 characters, even written as numeric character references), and is
# reported and skipped while it is read, without being held (a record is held whole while it is parsed).
MAX_RECORD_CHARS = 16 << 20


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def read(text: str | Iterable[str], *, spool_dir: str | Path | None = None) -> Archive:
    """Read a Disqus export, whole or in decoded pieces (see ``read_file``)."""
    return filled("disqus", lambda archive: _read(archive, text), spool_dir=spool_dir)


def read_file(path: str | Path, *, progress: Callable[[int], None] | None = None,
              spool_dir: str | Path | None = None) -> Archive:
    """Read a Disqus export file piece by piece, in the encoding it declares; ``progress`` is told the bytes read."""
    return read(file_chunks(path, progress=progress), spool_dir=spool_dir)


def _unknown(thread_ref: str | None) -> str:
    return f"refers to unknown thread {thread_ref!r}; skipped"


def _read(archive: Archive, text: str | Iterable[str]) -> None:
    keys: dict[str, str] = {}  # a thread's dsq:id -> its key
    found_any = False
    for rec in records(text, {"thread", "post", "category"}, max_record_chars=MAX_RECORD_CHARS):
        found_any = found_any or rec.name != "category"
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
            keys[dsq_id] = thread.key
            archive.threads.setdefault(thread.key, thread)
            continue
        thread_ref = attr(el.find("d:thread", NS), "id")
        if not thread_ref:
            archive.problem(where, _unknown(thread_ref))
            continue
        thread_key = keys.get(thread_ref)
        found = _post(el, dsq_id, thread_key or "", where)
        if thread_key is None:  # a post may come before its thread in the file
            archive.defer(thread_ref, where, found)
        elif isinstance(found, str):
            archive.problem(where, found)
        else:
            archive.add(found)
    if not found_any:  # an empty file, or another kind of export: not "imported 0 comments"
        raise Invalid(NOT_DISQUS)
    archive.file_problems(decoding_problems(text))
    archive.settle_threads(keys, _unknown)


def _post(el: ET.Element, dsq_id: str, thread_key: str, where: str) -> ImportedComment | str:
    """The comment a <post> holds, or why it is skipped."""
    try:
        created = parse_time(child_text(el, "d:createdAt", NS))
    except ValueError as exc:
        return f"bad createdAt: {exc}; skipped"
    author = el.find("d:author", NS)
    name = child_text(author, "d:name", NS) if author is not None else None
    email = clean_email(child_text(author, "d:email", NS) if author is not None else None)
    username = (child_text(author, "d:username", NS) or "").strip() if author is not None else ""
    anonymous = _flag(child_text(author, "d:isAnonymous", NS)) if author is not None else True
    subject = author_subject("disqus", user_id=None if anonymous else username or None, email=email, name=name)
    deleted = _flag(child_text(el, "d:isDeleted", NS))
    body = html_to_text(child_markup(el, "d:message", NS))
    if not body and not deleted:
        return "empty message; skipped"
    if _flag(child_text(el, "d:isSpam", NS)):
        status = CommentStatus.REJECTED
    elif deleted:
        status = CommentStatus.DELETED
    elif (child_text(el, "d:isApproved", NS) or "true").strip().lower() == "false":
        status = CommentStatus.HELD
    else:
        status = CommentStatus.PUBLISHED
    return ImportedComment(
        external_id=dsq_id, thread_key=thread_key, parent_external_id=attr(el.find("d:parent", NS), "id"),
        author=ImportedAuthor(subject, clean_name(name), email), text=body, created_at=created, status=status,
        position=where,
    )
