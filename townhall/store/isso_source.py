"""Read-only access to an Isso comment database (SQLite): its threads and comments tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class NotAnIssoDatabase(ValueError):
    pass


class Undecodable(str):
    """A text value that is not valid UTF-8, decoded with U+FFFD in place of the bytes that are not."""


# Isso's text columns: SQLite keeps a BLOB written into one as bytes, which is read as text like any other value
_TEXT_COLUMNS = frozenset({"uri", "title", "text", "author", "email", "website", "remote_addr"})


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return Undecodable(data.decode("utf-8", errors="replace"))


def read_isso(path: str | Path) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Threads (as dicts) and comments (as dicts, one at a time, in id order) of an Isso database, opened
    read-only (the file named, whatever characters its name holds; none is created). A text value that is not
    valid UTF-8 comes as ``Undecodable``, for the caller to report. The database closes when the comments have
    been read (or the iterator is dropped)."""
    uri = Path(path).resolve().as_uri() + "?mode=ro"  # percent-encoded: a '#' or '?' in the name stays in the path
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise NotAnIssoDatabase(f"{path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.text_factory = _text
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"threads", "comments"} <= tables:
            raise NotAnIssoDatabase(f"{path}: no Isso 'threads' and 'comments' tables")
        threads = [_row(r) for r in conn.execute("SELECT * FROM threads ORDER BY id")]
        cursor = conn.execute("SELECT * FROM comments ORDER BY id")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotAnIssoDatabase(f"{path}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return threads, _comments(conn, cursor, path)


def _row(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a dict; a BLOB in a text column as text (``Undecodable`` where it is not UTF-8)."""
    return {k: _text(v) if isinstance(v, bytes) and k in _TEXT_COLUMNS else v for k, v in dict(row).items()}


def _comments(conn: sqlite3.Connection, cursor: sqlite3.Cursor, path: str | Path) -> Iterator[dict[str, Any]]:
    try:
        while rows := cursor.fetchmany(500):
            yield from (_row(r) for r in rows)
    except sqlite3.DatabaseError as exc:
        raise NotAnIssoDatabase(f"{path}: {exc}") from exc
    finally:
        conn.close()
