"""The neutral shape every archive reader produces, and helpers they share (dates, HTML to text, subjects)."""

from __future__ import annotations

import dataclasses
import hashlib
import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from townhall.store.import_spool import SpoolRow, Spool
from townhall.store.schema import CommentStatus


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the archive that could not be used as it was: where, and what."""

    position: str
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


@dataclass(slots=True)
class ImportedThread:
    key: str  # the thread id the widget will use (publisher's identifier or article URL)
    url: str | None = None
    title: str | None = None
    created_at: datetime | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class ImportedAuthor:
    subject: str  # import:<source>:<id or email hash>
    name: str
    email: str | None = None


@dataclass(slots=True)
class ImportedComment:
    external_id: str  # unique within the source, stored as "<source>:<id>"
    thread_key: str
    parent_external_id: str | None
    author: ImportedAuthor
    text: str
    created_at: datetime
    status: CommentStatus
    position: str


class Archive:
    """An archive being imported: its threads and problems in memory (they are few), its comments in a
    temporary spool file (see ``townhall.store.import_spool``), so that memory does not grow with the archive.
    Readers ``add`` comments as they scan the file; ``prepare`` then checks ids and parents (a reply whose
    parent is missing, in another thread or in a reply cycle becomes top-level, and is reported) and fixes the
    writing order; ``batches`` gives the comments, parents before replies, each with its depth. ``close``
    removes the spool (garbage collection does too)."""

    def __init__(self, source: str, *, spool_dir: str | Path | None = None) -> None:
        self.source = source  # disqus, wordpress, isso
        self.threads: dict[str, ImportedThread] = {}
        self.problems: list[Problem] = []
        self._spool = Spool(spool_dir)
        self._count: int | None = None
        self._deferred = False

    def problem(self, position: str, message: str) -> None:
        self.problems.append(Problem(position, message))

    def file_problems(self, messages: list[str]) -> None:
        """Problems of the whole file (its encoding), reported before those of its records."""
        self.problems[:0] = [Problem("file", m) for m in messages]

    def add(self, comment: ImportedComment) -> None:
        too_long = _too_long(comment)
        if too_long is not None:
            self.problem(comment.position, too_long)
            return
        self._spool.add(_row(self._fit(comment), None, None))

    def _fit(self, comment: ImportedComment) -> ImportedComment:
        """The comment with its id and its parent's id short enough to store (see ``MAX_ID_CHARS``)."""
        ext, parent = short_id(comment.external_id), short_id(comment.parent_external_id)
        if ext == comment.external_id and parent == comment.parent_external_id:
            return comment
        if ext != comment.external_id:
            self.problem(comment.position, f"id is longer than {MAX_ID_CHARS} characters; stored shortened, with a "
                         "hash of the whole id (a re-import finds it)")
        return dataclasses.replace(comment, external_id=ext or "", parent_external_id=parent)

    def defer(self, thread_ref: str, position: str, found: ImportedComment | str) -> None:
        """A comment (or a problem with one) read before its thread: kept until ``settle_threads`` says
        whether the thread exists."""
        self._deferred = True
        if isinstance(found, ImportedComment):
            found = _too_long(found) or found
        if isinstance(found, ImportedComment):
            self._spool.add(_row(self._fit(found), thread_ref, None))
        else:
            self._spool.add(("", None, None, thread_ref, found, "", "", None, "", 0, "", position))

    def settle_threads(self, keys: dict[str, str], unknown: Callable[[str], str]) -> None:
        """Resolve deferred comments' threads (``keys``: thread id -> key); ``unknown`` words the problem of
        a comment whose thread is not in the archive."""
        if not self._deferred:
            return
        for position, ref, problem in self._spool.settle_threads(keys.items()):
            self.problem(position, unknown(ref) if problem is None else problem)
        self._deferred = False

    def prepare(self) -> int:
        """Check ids and parents and fix the writing order (once); returns the number of comments to write."""
        if self._count is not None:
            return self._count
        spool = self._spool
        spool.flush()
        for position, ext in spool.remove_duplicates():
            self.problem(position, f"duplicate id {ext!r}; the first one is kept")
        for position, parent, missing in spool.link_parents():
            self.problem(position, f"replies to comment {parent!r}, which is not in the archive; imported as top-level"
                         if missing else "replies to a comment of another thread; imported as top-level")
        depths, orphans = self._break_cycles(spool.compute_depths())
        spool.set_depths(depths, orphans)
        self._count = spool.plan()
        return self._count

    def _break_cycles(self, rest: list[tuple[int, int | None, str]]) -> tuple[list[tuple[int, int]], list[int]]:
        """Depths of comments in or below reply cycles: walking up from each (in the archive's order), the
        first comment met twice loses its parent and becomes top-level."""
        parent_of = {seq: parent for seq, parent, _ in rest}
        position = {seq: where for seq, _, where in rest}
        depth: dict[int, int] = {}
        orphans: list[int] = []
        for start, _, _ in rest:
            chain: list[int] = []
            seen: set[int] = set()
            node: int | None = start
            while node is not None and node not in depth:
                if node in seen:
                    self.problem(position[node], "reply cycle in the archive; imported as top-level")
                    parent_of[node] = None
                    orphans.append(node)
                    depth[node] = 0
                    break
                seen.add(node)
                chain.append(node)
                node = parent_of[node]
            for item in reversed(chain):
                parent = parent_of[item]
                depth[item] = depth[parent] + 1 if parent is not None and parent in depth else 0
        return list(depth.items()), orphans

    def __len__(self) -> int:
        return self.prepare()

    def batches(self, size: int) -> Iterator[list[tuple[ImportedComment, int]]]:
        """The comments in writing order (parents before replies, older first), each with its depth."""
        self.prepare()
        for rows in self._spool.planned(size):
            yield [(ImportedComment(
                external_id=ext, thread_key=thread, parent_external_id=parent, author=ImportedAuthor(subject, name, email),
                text=body, created_at=_EPOCH + timedelta(microseconds=created), status=CommentStatus(status),
                position=position), depth)
                for ext, thread, parent, subject, name, email, body, created, status, position, depth in rows]

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def filled(source: str, fill: Callable[[Archive], None], *, spool_dir: str | Path | None = None) -> Archive:
    """A new archive of ``source`` that ``fill`` reads the file into; closed (its spool removed) if that fails."""
    archive = Archive(source, spool_dir=spool_dir)
    try:
        fill(archive)
    except BaseException:
        archive.close()
        raise
    return archive


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An archive id is stored as "<source>:<id>" in comments.external_id (300 characters; the longest prefix,
# "wordpress:", takes 10); a longer one is kept as its beginning and a hash of the whole, the same on every run,
# so that replies and re-imports still find it. Every id that could be stored before is stored as it was.
MAX_ID_CHARS = 288


# An imported comment's text is at most this long (the policy file's upper bound for a new comment's
# max_length): an archive's history was published elsewhere and may be longer than the site allows today, but
# a longer text is a spam flood or a broken export, and would take hundreds of MiB to judge, render and
# store. Such a comment is skipped and reported, not cut: a cut text is words its author never wrote as they
# stand; the archive still holds it.
MAX_TEXT_CHARS = 1_000_000


def _too_long(comment: ImportedComment) -> str | None:
    """Why ``comment`` is skipped for its length, or None."""
    if len(comment.text) <= MAX_TEXT_CHARS:
        return None
    return (f"text is {len(comment.text):,} characters long, more than the {MAX_TEXT_CHARS:,} an imported "
            "comment may have; skipped")


def short_id(ext: str | None) -> str | None:
    if ext is None or len(ext) <= MAX_ID_CHARS:
        return ext
    digest = hashlib.sha256(ext.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{ext[:MAX_ID_CHARS - 25]}~{digest}"


def _row(c: ImportedComment, thread_ref: str | None, problem: str | None) -> SpoolRow:
    created = (c.created_at - _EPOCH) // timedelta(microseconds=1)
    return (c.external_id, c.parent_external_id, c.thread_key if thread_ref is None else None, thread_ref, problem,
            c.author.subject, c.author.name, c.author.email, c.text, created, c.status.value, c.position)


def parse_time(value: str | None) -> datetime:
    """ISO 8601 or 'YYYY-MM-DD HH:MM:SS' (UTC when no offset is given). Raises ValueError, also for a time
    whose offset takes it out of the years 1 to 9999 in UTC (such as 0001-01-01T00:00:00+05:00)."""
    text = (value or "").strip()
    if not text or text.startswith("0000-00-00"):
        raise ValueError(f"no usable date ({text!r})")
    stamp = datetime.fromisoformat(text.replace(" ", "T", 1))
    try:
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"date out of range in UTC ({text!r})") from exc


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def author_subject(source: str, *, user_id: str | None, email: str | None, name: str | None) -> str:
    """A stable subject for an imported author: the source's user id, else a hash of the e-mail, else of the name."""
    if user_id:
        return f"import:{source}:user:{user_id.strip()[:200]}"
    if email and "@" in email:
        return f"import:{source}:email:{email_hash(email)}"
    if name and name.strip():
        return f"import:{source}:name:{hashlib.sha256(name.strip().lower().encode()).hexdigest()[:24]}"
    return f"import:{source}:anonymous"


def clean_name(name: str | None, fallback: str = "Anonymous") -> str:
    text = " ".join("".join(ch for ch in (name or "") if ch.isprintable()).split())[:80]
    return text or fallback


def clean_email(email: str | None) -> str | None:
    text = (email or "").strip()
    return text[:300] if "@" in text else None


class _TextExtractor(HTMLParser):
    """An archive's comment HTML as text, in runs: ``segments`` is a list of ``(quoted, parts)``, a quoted run
    being what stood in a ``<blockquote>`` (one inside another is the same quotation: one level, as Townhall
    draws them)."""

    _BREAKS = {"br"}
    _BLOCKS = {"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[tuple[bool, list[str]]] = [(False, [])]
        self._quotes = 0  # blockquotes open here
        self._href: str | None = None
        self._link_text: list[str] = []

    @property
    def parts(self) -> list[str]:
        return self.segments[-1][1]

    def _quote(self, step: int) -> None:
        self._quotes = max(0, self._quotes + step)
        if (self._quotes > 0) != self.segments[-1][0]:
            self.segments.append((self._quotes > 0, []))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "blockquote":
            self.parts.append("\n\n")
            self._quote(+1)
        if tag in self._BREAKS:
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._href:
            shown = "".join(self._link_text).strip()
            if self._href.startswith(("http://", "https://")) and self._href != shown:
                self.parts.append(f" ({self._href})")
            self._href = None
        if tag == "blockquote":
            self._quote(-1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._href is not None:
            self._link_text.append(data)


def _tidy(text: str) -> str:
    """Lines without trailing spaces, at most one empty line in a row, none at either end."""
    text = text.replace("\r\n", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1] != ""):
            out.append(line.strip() if not line.strip() else line)
    while out and out[-1] == "":
        out.pop()
    collapsed = "\n".join(out)
    while "\n\n\n" in collapsed:
        collapsed = collapsed.replace("\n\n\n", "\n\n")
    return collapsed.strip()


def html_to_text(markup: str | None) -> str:
    """Comment HTML from another system as the plain text Townhall stores (paragraphs kept). What stood in a
    ``<blockquote>`` becomes ``> `` lines, a ``>`` line between its paragraphs, an empty line before and after
    it, so that the comment shows it as a quotation (townhall.service.render); blockquotes nested in one
    another are one quotation, their paragraphs kept apart."""
    if not markup:
        return ""
    if "<" not in markup:
        return html.unescape(markup).strip()
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    runs = []
    for quoted, parts in parser.segments:
        text = _tidy("".join(parts))
        if text and quoted:
            text = "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
        if text:
            runs.append(text)
    return "\n\n".join(runs)
