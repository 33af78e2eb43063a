"""A consistent copy of a live SQLite database through SQLite's online backup API."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote


def _read_only(path: str | Path) -> sqlite3.Connection:
    """The database at ``path``, read-only. The path is quoted into the URI: a ``#``, ``?`` or ``%`` in it
    would otherwise end the path (and drop ``mode=ro``), and SQLite would create an empty file elsewhere."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no database file at {path}")
    return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True, timeout=30)


class NotADatabase(ValueError):
    """The backup's source is not a SQLite database, or one without a single table (an empty file at a mistyped
    path): copying it would make a "backup" that restores nothing."""


def check_source(source: str | Path) -> None:
    """Raise :class:`NotADatabase` unless ``source`` is a SQLite database with tables in it."""
    conn = _read_only(source)
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"{source} is not a database Townhall can read ({exc}): check --db or the data folder") from exc
    finally:
        conn.close()
    if not tables:
        raise NotADatabase(f"{source} is an empty database, not Townhall's: check --db or the data folder")


def sqlite_backup(source: str | Path, target: str | Path, progress: Callable[[int, int], None] | None = None) -> str:
    """Copy ``source`` into ``target`` while others keep writing; returns the copy's integrity check.

    The copy is made in one step, from one read snapshot: in WAL mode writers carry on meanwhile. Copied a
    few pages at a time, every write by another connection made SQLite start the copy again from the first
    page, so a database written to more often than a whole copy takes was never backed up."""
    src = _read_only(source)
    dst = sqlite3.connect(str(target))
    try:
        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=-1, progress=report)
        # The copy takes the source's WAL mode; a read-only reader of it (revision_of) would then leave -wal and
        # -shm files beside it that it may not remove. A backup is one file: switch it to a rollback journal
        # (the server sets WAL again on the restored database when it opens it).
        dst.execute("PRAGMA journal_mode=DELETE")
        return str(dst.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        dst.close()
        src.close()


def revision_of(path: str | Path) -> str | None:
    conn = _read_only(path)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()
