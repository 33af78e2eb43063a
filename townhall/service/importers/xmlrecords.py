"""Split a large XML export into records and parse each one on its own, so one broken record is reported
by line and skipped without losing the rest of the file (a strict parser would stop at the first error).

Records are the root's children with the given names (Disqus: thread, post, category; WXR: item). While a
record is open, a non-self-closing start tag of the *same* name begins the next record: the open one was not
closed and is reported. Other record names inside it are references (Disqus writes a post's thread as
``<thread dsq:id="…"/>``, or as ``<thread dsq:id="…"></thread>``) and belong to the open record.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>|<(/?)([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)((?:\"[^\"]*\"|'[^']*'|[^>\"'])*)>",
    re.S,
)
_XMLNS = re.compile(r"""\sxmlns(?::[\w.\-]+)?\s*=\s*("[^"]*"|'[^']*')""")


_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def decode(data: bytes) -> str:
    """An XML file's text, read in the encoding its declaration names (UTF-8 when it names none, as XML
    says; a UTF-8 or UTF-16 byte-order mark wins). Old WordPress blogs export WXR in the blog's own charset."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    declared = _DECLARED.match(data[:300])
    codec = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(codec)
    except LookupError:
        codec = "utf-8"
    return data.decode(codec, errors="replace")


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    line: int
    element: ET.Element | None
    error: str | None = None


class _Lines:
    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0
        self._line = 1

    def at(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def records(text: str, names: set[str]) -> Iterator[Record]:
    lines = _Lines(text)
    namespaces = ""
    root_seen = False
    open_name: str | None = None
    open_start = 0
    for match in _TOKEN.finditer(text):
        closing, tag, rest = match.group(1), match.group(2), match.group(3)
        if tag is None:
            continue
        if not root_seen and not closing:
            root_seen = True
            namespaces = " ".join(m.group(0).strip() for m in _XMLNS.finditer(rest))
            continue
        self_closing = (rest or "").rstrip().endswith("/")
        local = tag.split(":")[-1]
        if not closing and not self_closing and local in names and open_name in (None, local):
            if open_name is not None:
                yield Record(open_name, lines.at(open_start), None, f"<{open_name}> is not closed before the next record")
            open_name, open_start = local, match.start()
        elif closing and open_name is not None and local == open_name:
            yield _parse(text[open_start:match.end()], open_name, lines.at(open_start), namespaces)
            open_name = None
    if open_name is not None:
        yield Record(open_name, lines.at(open_start), None, f"<{open_name}> is not closed at the end of the file")


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
