"""Split a large XML export into records and parse each one on its own, so one broken record is reported
by line and skipped without losing the rest of the file (a strict parser would stop at the first error).

Records are the root's children with the given names (Disqus: thread, post, category; WXR: item). While a
record is open, a non-self-closing start tag of the *same* name begins the next record: the open one was not
closed and is reported. Other record names inside it are references (Disqus writes a post's thread as
``<thread dsq:id="…"/>``, or as ``<thread dsq:id="…"></thread>``) and belong to the open record.
"""

from __future__ import annotations

import codecs
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_TOKEN = re.compile(
    r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>|<(/?)([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)((?:\"[^\"]*\"|'[^']*'|[^>\"'])*)>",
    re.S,
)
_XMLNS = re.compile(r"""\sxmlns(?::[\w.\-]+)?\s*=\s*("[^"]*"|'[^']*')""")


_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TAG_START = re.compile(r"</?[A-Za-z_]")
_OPENERS = ("<![CDATA[", "<!--", "<!DOCTYPE", "<?")
CHUNK_BYTES = 1 << 20
MAX_RECORD_CHARS = 256 << 20


def _codec(head: bytes) -> str:
    """The encoding of an XML file that starts with ``head`` (300 bytes suffice): a UTF-8 or UTF-16 byte-order
    mark wins, else the one its declaration names, else UTF-8 (as XML says). Old WordPress blogs export WXR in
    the blog's own charset."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return codec
    declared = _DECLARED.match(head[:300])
    codec = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(codec)
    except LookupError:
        codec = "utf-8"
    return codec


def decode(data: bytes) -> str:
    """An XML file's text, read in its encoding (see ``_codec``); undecodable bytes become U+FFFD."""
    return data.decode(_codec(data[:300]), errors="replace")


def decoded_chunks(source: BinaryIO, *, chunk_bytes: int = CHUNK_BYTES,
                   progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """An XML file's text, piece by piece, read ``chunk_bytes`` at a time with an incremental decoder (a
    character cut between two reads is whole in the next piece); ``progress`` is told each read's bytes."""
    head = b""
    while len(head) < 300:
        more = source.read(max(chunk_bytes, 300 - len(head)))
        if not more:
            break
        head += more
    decoder = codecs.getincrementaldecoder(_codec(head))(errors="replace")
    data = head
    while data:
        if progress is not None:
            progress(len(data))
        text = decoder.decode(data)
        if text:
            yield text
        data = source.read(chunk_bytes)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def file_chunks(path: str | Path, *, chunk_bytes: int = CHUNK_BYTES,
                progress: Callable[[int], None] | None = None) -> Iterator[str]:
    with open(path, "rb") as fh:
        yield from decoded_chunks(fh, chunk_bytes=chunk_bytes, progress=progress)


def peek(text: str | Iterable[str], size: int) -> tuple[str, Iterator[str]]:
    """The first ``size`` characters (fewer if the text is shorter), and the whole text again, in pieces."""
    if isinstance(text, str):
        return text[:size], iter((text,))
    pieces = iter(text)
    head: list[str] = []
    length = 0
    for piece in pieces:
        head.append(piece)
        length += len(piece)
        if length >= size:
            break
    return "".join(head)[:size], itertools.chain(head, pieces)


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    line: int
    element: ET.Element | None
    error: str | None = None


def records(text: str | Iterable[str], names: set[str], *, max_record_chars: int = MAX_RECORD_CHARS) -> Iterator[Record]:
    """The records of an XML text, given whole or in pieces (``decoded_chunks``). Only the record being read
    and the piece being scanned are held; a record longer than ``max_record_chars`` is reported and skipped."""
    scanner = _Scanner(names, max_record_chars)
    for piece in ((text,) if isinstance(text, str) else text):
        yield from scanner.feed(piece)
    yield from scanner.close()


class _Scanner:
    """Tokens are matched in a buffer that holds the open record (or only the unscanned tail). A token cut by
    the end of the buffer, or one that more text could still complete, waits for the next piece."""

    def __init__(self, names: set[str], max_record_chars: int) -> None:
        self.names = names
        self.max_record_chars = max_record_chars
        self.buf = ""
        self.pos = 0  # where scanning resumes
        self.base_line = 1  # the line of buf[0]
        self.line_offset = 0  # buf[:line_offset] has been counted: it ends on line self.line
        self.line = 1
        self.namespaces = ""
        self.root_seen = False
        self.open_name: str | None = None
        self.open_start = 0
        self.open_line = 0
        self.oversized = False

    def _line_at(self, offset: int) -> int:
        if offset < self.line_offset:
            self.line_offset, self.line = 0, self.base_line
        self.line += self.buf.count("\n", self.line_offset, offset)
        self.line_offset = offset
        return self.line

    def feed(self, piece: str) -> Iterator[Record]:
        keep = self.open_start if self.open_name is not None and not self.oversized else self.pos
        if keep:
            self.base_line = self.line = self._line_at(keep)
            self.line_offset = 0
            self.buf = self.buf[keep:] + piece
            self.pos -= keep
            self.open_start -= keep
        else:
            self.buf += piece
        yield from self._scan(final=False)
        if self.open_name is not None and not self.oversized and len(self.buf) - self.open_start > self.max_record_chars:
            self.oversized = True  # stop holding it; its end is still looked for

    def close(self) -> Iterator[Record]:
        yield from self._scan(final=True)
        if self.open_name is not None:
            yield Record(self.open_name, self.open_line, None, f"<{self.open_name}> is not closed at the end of the file")

    def _scan(self, *, final: bool) -> Iterator[Record]:
        buf, pos, names = self.buf, self.pos, self.names
        search = _TOKEN.search
        while True:
            match = search(buf, pos)
            if not final:
                end = len(buf) if match is None else match.start()
                if match is None or (end > pos and buf.find("<", pos, end) != -1):
                    waiting = _first_incomplete(buf, pos, end)
                    if waiting is not None and len(buf) - waiting <= self.max_record_chars:
                        pos = waiting
                        break
            if match is None:
                pos = len(buf)
                break
            pos = match.end()
            closing, tag, rest = match.group(1, 2, 3)
            if tag is None:
                continue
            if not self.root_seen and not closing:
                self.root_seen = True
                self.namespaces = " ".join(m.group(0).strip() for m in _XMLNS.finditer(rest))
                continue
            self_closing = (rest or "").rstrip().endswith("/")
            local = tag.rpartition(":")[2]
            if not closing and not self_closing and local in names and self.open_name in (None, local):
                if self.open_name is not None:
                    yield Record(self.open_name, self.open_line, None, f"<{self.open_name}> is not closed before the next record")
                self.open_name, self.open_start, self.oversized = local, match.start(), False
                self.open_line = self._line_at(match.start())
            elif closing and self.open_name is not None and local == self.open_name:
                if self.oversized:
                    yield Record(local, self.open_line, None,
                                 f"<{local}> is longer than {self.max_record_chars:,} characters")
                else:
                    yield _parse(buf[self.open_start:match.end()], local, self.open_line, self.namespaces)
                self.open_name = None
        self.pos = pos


def _first_incomplete(buf: str, start: int, end: int) -> int | None:
    """The first '<' in buf[start:end] where no token matched but more text could still make one match."""
    at = buf.find("<", start, end)
    while at != -1:
        head = buf[at:at + 9]
        for opener in _OPENERS:
            if head.startswith(opener) or (len(head) < len(opener) and opener.startswith(head)):
                return at
        if head == "</" or _TAG_START.match(head):
            return at
        at = buf.find("<", at + 1, end)
    return None


def _parse(chunk: str, name: str, line: int, namespaces: str) -> Record:
    try:
        wrapper = ET.fromstring(f"<townhall-wrap {namespaces}>{chunk}</townhall-wrap>")
    except ET.ParseError as exc:
        row, col = exc.position
        return Record(name, line, None, f"malformed XML at line {line + row - 1}, column {col}: {str(exc).split(':')[0]}")
    return Record(name, line, wrapper[0])


def child_text(element: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    if found is None or found.text is None:
        return None
    return found.text


def attr(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key == name or key.endswith("}" + name):
            return value
    return None
