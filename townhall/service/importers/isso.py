"""Isso's SQLite database: threads (uri, title) and comments (tid, parent, created as a Unix time, mode
1 accepted / 2 waiting / 4 deleted, text as Markdown, author, email). A thread's key is its uri."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from townhall.service.importers.model import (
    Archive,
    ImportedAuthor,
    ImportedComment,
    ImportedThread,
    author_subject,
    clean_email,
    clean_name,
    filled,
)
from townhall.service.errors import Invalid
from townhall.store.isso_source import NotAnIssoDatabase, Undecodable, read_isso
from townhall.store.schema import CommentStatus

_MODES = {1: CommentStatus.PUBLISHED, 2: CommentStatus.HELD, 4: CommentStatus.DELETED}


def read(path: str | Path, *, spool_dir: str | Path | None = None) -> Archive:
    """Read an Isso database (comments one at a time, into the archive's spool); a file that is not one is
    answered with ``Invalid`` and why."""
    try:
        threads, comments = read_isso(path)
        return from_rows(threads, comments, spool_dir=spool_dir)
    except NotAnIssoDatabase as exc:
        raise Invalid(str(exc), {"path": str(path)}) from exc


def from_rows(threads: Iterable[dict[str, Any]], comments: Iterable[dict[str, Any]], *,
              spool_dir: str | Path | None = None) -> Archive:
    return filled("isso", lambda archive: _read(archive, threads, comments), spool_dir=spool_dir)


def _read(archive: Archive, threads: Iterable[dict[str, Any]], comments: Iterable[dict[str, Any]]) -> None:
    by_id: dict[Any, ImportedThread] = {}
    for row in threads:
        if isinstance(row.get("uri"), Undecodable):
            archive.problem(f"threads row id={row.get('id')}", "uri is not valid UTF-8; its comments are skipped")
            continue
        if isinstance(row.get("title"), Undecodable):
            archive.problem(f"threads row id={row.get('id')}", "title is not valid UTF-8; kept with U+FFFD in its place")
        row = _without_nul(archive, f"threads row id={row.get('id')}", row, ("uri", "title"))
        uri = str(row.get("uri") or "").strip()
        if not uri:
            archive.problem(f"threads row id={row.get('id')}", "no uri; its comments are skipped")
            continue
        by_id[row.get("id")] = archive.threads.setdefault(uri[:300], ImportedThread(key=uri[:300], url=None,
                                                                                     title=str(row.get("title") or "") or None))
    for row in comments:
        where = f"comments row id={row.get('id')}"
        undecodable = sorted(name for name, value in row.items() if isinstance(value, Undecodable))
        if undecodable:
            archive.problem(where, f"not valid UTF-8 in column(s) {', '.join(undecodable)}; skipped")
            continue
        row = _without_nul(archive, where, row, ("text", "author", "email"))
        thread = by_id.get(row.get("tid"))
        if thread is None:
            archive.problem(where, f"refers to unknown thread {row.get('tid')!r}; skipped")
            continue
        try:
            created = datetime.fromtimestamp(float(row["created"]), UTC)
        except (TypeError, ValueError, KeyError, OverflowError, OSError):
            archive.problem(where, f"bad created time {row.get('created')!r}; skipped")
            continue
        status = _MODES.get(row.get("mode") or 1)
        if status is None:
            archive.problem(where, f"unknown mode {row.get('mode')!r}; imported as held")
            status = CommentStatus.HELD
        text = str(row.get("text") or "").strip()
        if not text and status is not CommentStatus.DELETED:
            archive.problem(where, "empty text; skipped")
            continue
        email = clean_email(row.get("email"))
        name = row.get("author")
        parent = row.get("parent")
        archive.add(ImportedComment(
            external_id=str(row.get("id")), thread_key=thread.key, parent_external_id=str(parent) if parent else None,
            author=ImportedAuthor(author_subject("isso", user_id=None, email=email, name=name), clean_name(name), email),
            text=text, created_at=created, status=status, position=where,
        ))


def _without_nul(archive: Archive, where: str, row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The row without NUL characters in the text ``columns`` it is imported from, which PostgreSQL cannot
    store and no page shows (Isso's SQLite kept them); where there were some, said so."""
    found = sorted(name for name in columns if isinstance(row.get(name), str) and "\x00" in row[name])
    if not found:
        return row
    archive.problem(where, f"NUL character(s) removed from column(s) {', '.join(found)}")
    return {**row, **{name: row[name].replace("\x00", "") for name in found}}
