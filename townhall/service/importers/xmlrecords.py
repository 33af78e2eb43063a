"""Split a large XML export into records and parse each one on its own, so one broken record is reported
by line and skipped without losing the rest of the file (a strict parser would stop at the first error).

Records are the root's children with the given names (Disqus: thread, post, category; WXR: item). While a
record is open, a non-self-closing start tag of the *same* name begins the next record: the open one was not
closed and is reported. Other record names inside it are references (Disqus writes a post's thread as
``<thread dsq:id="…"/>``, or as ``<thread dsq:id="…"></thread>``) and belong to the open record.
"""

from __future__ import annotations

import codecs
import html
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.entities import html5
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from townhall.service.errors import Invalid

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


# Text encodings Python knows that no XML document is written in (or that cannot decode one piece by piece).
_NOT_DOCUMENT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})
# Undecodable bytes become this lone surrogate while decoding (no strict decoder of a document charset makes
# one), so that they can be counted; they are then replaced with U+FFFD, as errors="replace" would.
_UNDECODABLE = "\udfff"
_MARK_ERRORS = "townhall-import-mark-undecodable"


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        return _UNDECODABLE, exc.end
    raise exc


def _marking_errors() -> str:
    """The name of the error handler that marks undecodable bytes: registered (once, under our own name) on
    first use, not when this module is imported; the handler is a pure function."""
    try:
        codecs.lookup_error(_MARK_ERRORS)
    except LookupError:
        codecs.register_error(_MARK_ERRORS, _mark_undecodable)
    return _MARK_ERRORS


def _codec(head: bytes) -> tuple[str, str | None]:
    """The encoding of an XML file that starts with ``head`` (300 bytes suffice): a UTF-8 or UTF-16 byte-order
    mark wins, else the one its declaration names, else UTF-8 (as XML says); and a note where a declared name
    is unknown (the file is then read as UTF-8). Old WordPress blogs export WXR in the blog's own charset.
    A declaration that names a codec which is not a text encoding (zlib, base64, rot13, …) is refused
    (``Invalid``)."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return codec, None
    declared = _DECLARED.match(head[:300])
    if not declared:
        return "utf-8", None
    name = declared.group(1).decode("ascii")
    try:
        info = codecs.lookup(name)
    except LookupError:
        return "utf-8", f"the XML declaration names an unknown encoding {name!r}; read as UTF-8"
    if not info._is_text_encoding or info.name in _NOT_DOCUMENT_CHARSETS:  # noqa: SLF001 - how codecs marks them
        raise Invalid(f"unsupported encoding {name!r} in the XML declaration: not a character set a file is written in",
                      {"encoding": name})
    if info.name == "iso8859-1":
        # A blog whose charset was ISO-8859-1 holds what browsers sent it: windows-1252 (curly quotes, dashes, the
        # euro sign on 0x80-0x9F), which is how browsers and the WHATWG encoding standard read that label. Read as
        # ISO-8859-1 those bytes became invisible C1 control characters; the five bytes windows-1252 leaves
        # undefined are counted and reported like any undecodable byte.
        return "cp1252", None
    return name, None


@dataclass(slots=True)
class Decoding:
    """What decoding a file met: its encoding, a note on it, and the characters that could not be decoded
    (replaced with U+FFFD), with the line of the first."""

    codec: str = "utf-8"
    note: str | None = None
    replaced: int = 0
    first_line: int = 0

    def problems(self) -> list[str]:
        """The lines to report (none when all went well)."""
        found = [self.note] if self.note else []
        if self.replaced:
            found.append(f"{self.replaced:,} character(s) could not be decoded as {self.codec} and were replaced with "
                         f"U+FFFD (the first at line {self.first_line}); is the declared encoding right?")
        return found


def decoded_chunks(source: BinaryIO, *, chunk_bytes: int = CHUNK_BYTES,
                   progress: Callable[[int], None] | None = None, decoding: Decoding | None = None) -> Iterator[str]:
    """An XML file's text, piece by piece, read ``chunk_bytes`` at a time with an incremental decoder (a
    character cut between two reads is whole in the next piece); ``progress`` is told each read's bytes,
    ``decoding`` what the decoding met (see ``Decoding``). A file its encoding cannot read at all (UTF-32
    without a byte-order mark) is refused (``Invalid``)."""
    met = decoding if decoding is not None else Decoding()
    head = b""
    while len(head) < 300:
        more = source.read(max(chunk_bytes, 300 - len(head)))
        if not more:
            break
        head += more
    met.codec, met.note = _codec(head)
    decoder = codecs.getincrementaldecoder(met.codec)(errors=_marking_errors())
    lines = 1
    data = head
    final = False
    while True:
        if progress is not None and data:
            progress(len(data))
        try:
            text = decoder.decode(data, final=final)
        except UnicodeError as exc:  # not a byte it could not decode: the stream itself (a missing BOM)
            raise Invalid(f"cannot read the file as {met.codec}: {exc}", {"encoding": met.codec}) from exc
        if _UNDECODABLE in text:
            if not met.replaced:
                met.first_line = lines + text.count("\n", 0, text.index(_UNDECODABLE))
            met.replaced += text.count(_UNDECODABLE)
            text = text.replace(_UNDECODABLE, "\ufffd")
        if text:
            lines += text.count("\n")
            yield text
        if final:
            return
        data = source.read(chunk_bytes)
        final = not data


class DecodedFile:
    """An XML file's text in pieces (see ``decoded_chunks``), read when iterated; ``decoding`` says what the
    last reading met."""

    def __init__(self, path: str | Path, *, chunk_bytes: int = CHUNK_BYTES,
                 progress: Callable[[int], None] | None = None) -> None:
        self.path = Path(path)
        self.chunk_bytes = chunk_bytes
        self.progress = progress
        self.decoding = Decoding()

    def __iter__(self) -> Iterator[str]:
        self.decoding = Decoding()
        with open(self.path, "rb") as fh:
            yield from decoded_chunks(fh, chunk_bytes=self.chunk_bytes, progress=self.progress, decoding=self.decoding)


def file_chunks(path: str | Path, *, chunk_bytes: int = CHUNK_BYTES,
                progress: Callable[[int], None] | None = None) -> DecodedFile:
    return DecodedFile(path, chunk_bytes=chunk_bytes, progress=progress)


def decoding_problems(text: str | Iterable[str]) -> list[str]:
    """What decoding a file met, to report once it has been read (nothing for text given as ``str``)."""
    return text.decoding.problems() if isinstance(text, DecodedFile) else []


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


# XML knows five named entities; exports written by hand, by converters or by older exporters also use HTML's
# (``&rsquo;``, ``&nbsp;``, ``&eacute;``) outside CDATA. Those are read as their characters; any other name stays
# an error of its record. No entity the file's own DTD declares is ever expanded (records are parsed without it).
_ENTITY_OR_SKIPPED = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&([A-Za-z][A-Za-z0-9]*);", re.S)
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_UNDEFINED_ENTITY = expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]


def _html_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    value = html5.get(f"{name};") if name is not None and name not in _XML_ENTITIES else None
    return match.group(0) if value is None else "".join(f"&#{ord(ch)};" for ch in value)


def _parse(chunk: str, name: str, line: int, namespaces: str) -> Record:
    try:
        wrapper = ET.fromstring(f"<townhall-wrap {namespaces}>{chunk}</townhall-wrap>")
    except ET.ParseError as exc:
        if exc.code == _UNDEFINED_ENTITY:  # an HTML entity's name, perhaps: read as its character, tried again
            numeric = _ENTITY_OR_SKIPPED.sub(_html_entity, chunk)
            if numeric != chunk:
                return _parse(numeric, name, line, namespaces)
        row, col = exc.position
        return Record(name, line, None, f"malformed XML at line {line + row - 1}, column {col}: {str(exc).split(':')[0]}")
    return Record(name, line, wrapper[0])


def child_text(element: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    if found is None or found.text is None:
        return None
    return found.text


def child_markup(element: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    """The HTML a child holds: its text, or, where the archive wrote the markup as XML elements rather than escaped
    or in CDATA (``Hello <b>world</b>``), that markup again (tag names without their namespace), so that nothing
    after the first element is lost. Written without recursion: nesting depth costs no stack."""
    found = element.find(path, ns)
    if found is None:
        return None
    if len(found) == 0:
        return found.text
    parts = [html.escape(found.text or "", quote=False)]
    stack: list[tuple[ET.Element, bool]] = [(child, False) for child in reversed(found)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag.rpartition("}")[2] if isinstance(node.tag, str) else ""
        if closing:
            parts.append(f"</{tag}>{html.escape(node.tail or '', quote=False)}")
            continue
        attrs = "".join(f' {key.rpartition("}")[2]}="{html.escape(value, quote=True)}"' for key, value in node.attrib.items())
        parts.append(f"<{tag}{attrs}>{html.escape(node.text or '', quote=False)}")
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(parts)


def attr(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key == name or key.endswith("}" + name):
            return value
    return None
