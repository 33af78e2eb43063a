"""The neutral shape every archive reader produces, and helpers they share (dates, HTML to text, subjects)."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

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


@dataclass(slots=True)
class Archive:
    source: str  # disqus, wordpress, isso
    threads: dict[str, ImportedThread] = field(default_factory=dict)
    comments: list[ImportedComment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, position: str, message: str) -> None:
        self.problems.append(Problem(position, message))


def parse_time(value: str | None) -> datetime:
    """ISO 8601 or 'YYYY-MM-DD HH:MM:SS' (UTC when no offset is given). Raises ValueError."""
    text = (value or "").strip()
    if not text or text.startswith("0000-00-00"):
        raise ValueError(f"no usable date ({text!r})")
    stamp = datetime.fromisoformat(text.replace(" ", "T", 1))
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


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
    _BREAKS = {"br"}
    _BLOCKS = {"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._href is not None:
            self._link_text.append(data)


def html_to_text(markup: str | None) -> str:
    """Comment HTML from another system as the plain text Townhall stores (paragraphs kept)."""
    if not markup:
        return ""
    if "<" not in markup:
        return html.unescape(markup).strip()
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n").replace("\xa0", " ")
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
