"""A temporary SQLite file that holds an archive's comments while it is imported, so that the import's memory
does not grow with the archive: the readers append rows as they scan the file, the importer asks for the
archive's problems (duplicates, missing or foreign parents), the reply depths, and then the comments in the
order they must be written (parents before replies). Nothing here is the installation's database.

The file is created in a private temporary folder (``TMPDIR``, or the folder given; it grows to about the
size of the comments' text) and its name is removed as soon as it is open: the connection keeps the data,
and whatever ends the process (``close()``, an exception, SIGTERM, SIGKILL, the OOM killer) leaves nothing on
disk. SQLite only warns in its own log about a database file unlinked while open; with one private connection
and no journal that is safe.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path

# ext, parent, thread_key, thread_ref, problem, subject, name, email, body, created (µs since 1970), status, position
SpoolRow = tuple[str, str | None, str | None, str | None, str | None, str, str, str | None, str, int, str, str]
# the same, without thread_ref and problem, with the reply depth last
PlannedRow = tuple[str, str, str | None, str, str, str | None, str, int, str, str, int]

_SCHEMA = """
CREATE TABLE comment (
    seq INTEGER PRIMARY KEY,      -- position in the archive
    ext TEXT NOT NULL,            -- the archive's id of the comment
    parent TEXT,                  -- the archive's id of its parent
    thread_key TEXT,              -- NULL while the thread is not known yet (see thread_ref)
    thread_ref TEXT,              -- the archive's id of the thread, when it was not known on reading
    problem TEXT,                 -- a row that is only a problem, reported if its thread turns out to exist
    subject TEXT, name TEXT, email TEXT, body TEXT, created INTEGER, status TEXT, position TEXT,
    parent_seq INTEGER
);
CREATE TABLE thread_ref (ref TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE depth (seq INTEGER PRIMARY KEY, depth INTEGER NOT NULL);
CREATE TABLE plan (rank INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
"""
_FLUSH = 2000


def _discard(conn: sqlite3.Connection) -> None:
    conn.close()


class Spool:
    def __init__(self, directory: str | Path | None = None) -> None:
        folder = Path(tempfile.mkdtemp(prefix="townhall-import-", dir=directory))
        try:
            # any thread: one import uses it at a time, and its finalizer may run on whichever thread collects it
            self._conn = sqlite3.connect(str(folder / "spool.db"), isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE", "cache_size = -16384"):
                self._conn.execute(f"PRAGMA {pragma}")
            self._conn.executescript(_SCHEMA)  # the file is open from here on
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._pending: list[SpoolRow] = []
        self._finalizer = weakref.finalize(self, _discard, self._conn)

    def close(self) -> None:
        self._finalizer()

    def add(self, row: SpoolRow) -> None:
        self._pending.append(row)
        if len(self._pending) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT INTO comment (ext, parent, thread_key, thread_ref, problem, subject, name, email, body, created,"
                " status, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending.clear()

    def _run(self, *statements: str) -> None:
        with self._conn:
            self._conn.execute("BEGIN")
            for sql in statements:
                self._conn.execute(sql)

    def settle_threads(self, refs: Iterable[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
        """Give rows read before their thread the thread's key (``refs``: thread id -> key). Returns, in the
        archive's order, (position, thread id, problem) for the rows whose thread is still unknown (problem
        None) and for the problem-only rows whose thread exists; both are removed."""
        self.flush()
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO thread_ref (ref, key) VALUES (?, ?)", refs)
            self._conn.execute("UPDATE comment SET thread_key = (SELECT key FROM thread_ref WHERE ref = comment.thread_ref)"
                               " WHERE thread_key IS NULL")
            found = [(str(r[0]), str(r[1]), None if r[2] is None else str(r[2])) for r in self._conn.execute(
                "SELECT position, thread_ref, CASE WHEN thread_key IS NULL THEN NULL ELSE problem END FROM comment"
                " WHERE thread_key IS NULL OR problem IS NOT NULL ORDER BY seq")]
            self._conn.execute("DELETE FROM comment WHERE thread_key IS NULL OR problem IS NOT NULL")
        return found

    def remove_duplicates(self) -> list[tuple[str, str]]:
        """(position, id) of every comment whose id came earlier in the archive, in order; they are removed."""
        self.flush()
        self._run("CREATE INDEX comment_ext ON comment (ext, seq)")
        found = [(str(r[0]), str(r[1])) for r in self._conn.execute(
            "SELECT c.position, c.ext FROM comment c WHERE EXISTS"
            " (SELECT 1 FROM comment d WHERE d.ext = c.ext AND d.seq < c.seq) ORDER BY c.seq")]
        if found:
            self._run("DELETE FROM comment WHERE seq NOT IN (SELECT MIN(seq) FROM comment GROUP BY ext)")
        return found

    def link_parents(self) -> list[tuple[str, str, bool]]:
        """Point each reply at its parent's row. Returns (position, parent id, parent missing) for the replies
        whose parent is not in the archive or is in another thread, in order; those become top-level."""
        self._run("UPDATE comment SET parent_seq = (SELECT p.seq FROM comment p WHERE p.ext = comment.parent)"
                  " WHERE parent IS NOT NULL")
        rows = list(self._conn.execute(
            "SELECT c.seq, c.position, c.parent, c.parent_seq IS NULL FROM comment c"
            " LEFT JOIN comment p ON p.seq = c.parent_seq"
            " WHERE c.parent IS NOT NULL AND (c.parent_seq IS NULL OR p.thread_key != c.thread_key) ORDER BY c.seq"))
        self._orphan(int(r[0]) for r in rows)
        return [(str(r[1]), str(r[2]), bool(r[3])) for r in rows]

    def _orphan(self, seqs: Iterable[int]) -> None:
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("UPDATE comment SET parent = NULL, parent_seq = NULL WHERE seq = ?", ((s,) for s in seqs))

    def compute_depths(self) -> list[tuple[int, int | None, str]]:
        """Depth of every comment reachable from a top-level one. Returns the others (in reply cycles, or
        below one) as (row, parent row, position), in order, for the caller to break the cycles."""
        self._run(
            "CREATE INDEX comment_parent ON comment (parent_seq) WHERE parent_seq IS NOT NULL",
            "INSERT INTO depth (seq, depth) WITH RECURSIVE tree (seq, depth) AS ("
            " SELECT seq, 0 FROM comment WHERE parent_seq IS NULL"
            " UNION ALL SELECT c.seq, tree.depth + 1 FROM comment c JOIN tree ON c.parent_seq = tree.seq)"
            " SELECT seq, depth FROM tree",
        )
        return [(int(r[0]), None if r[1] is None else int(r[1]), str(r[2])) for r in self._conn.execute(
            "SELECT seq, parent_seq, position FROM comment WHERE seq NOT IN (SELECT seq FROM depth) ORDER BY seq")]

    def set_depths(self, depths: Iterable[tuple[int, int]], orphans: Iterable[int]) -> None:
        """Depths for the rows ``compute_depths`` left out; ``orphans`` lose their parent (a broken cycle)."""
        self._orphan(orphans)
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT INTO depth (seq, depth) VALUES (?, ?)", depths)

    def plan(self) -> int:
        """Fix the writing order, parents before replies, older first; returns the number of comments."""
        self._run("DELETE FROM plan", "INSERT INTO plan (seq) SELECT d.seq FROM depth d JOIN comment c ON c.seq = d.seq"
                  " ORDER BY d.depth, c.created, d.seq")
        return int(self._conn.execute("SELECT COUNT(*) FROM plan").fetchone()[0])

    def planned(self, batch: int) -> Iterator[list[PlannedRow]]:
        """The planned comments in batches, in order."""
        start = 0
        while True:
            rows: list[PlannedRow] = list(self._conn.execute(
                "SELECT c.ext, c.thread_key, c.parent, c.subject, c.name, c.email, c.body, c.created, c.status,"
                " c.position, d.depth FROM plan JOIN comment c ON c.seq = plan.seq JOIN depth d ON d.seq = plan.seq"
                " WHERE plan.rank > ? ORDER BY plan.rank LIMIT ?", (start, batch)))
            if not rows:
                return
            start += len(rows)
            yield rows
