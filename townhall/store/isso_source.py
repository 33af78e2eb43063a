"""Read-only access to an Isso comment database (SQLite): its threads and comments tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


class NotAnIssoDatabase(ValueError):
    pass


def read_isso(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Threads and comments of an Isso database, as dicts, opened read-only."""
    uri = f"file:{Path(path).resolve()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise NotAnIssoDatabase(f"{path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"threads", "comments"} <= tables:
            raise NotAnIssoDatabase(f"{path}: no Isso 'threads' and 'comments' tables")
        threads = [dict(r) for r in conn.execute("SELECT * FROM threads ORDER BY id")]
        comments = [dict(r) for r in conn.execute("SELECT * FROM comments ORDER BY id")]
    except sqlite3.DatabaseError as exc:
        raise NotAnIssoDatabase(f"{path}: {exc}") from exc
    finally:
        conn.close()
    return threads, comments
