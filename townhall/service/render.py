"""Comment text to safe HTML: paragraphs, line breaks, links and quotations, nothing else.

The text is HTML-escaped first, so nothing a reader types can become markup; links are then made from
http(s) URLs (:data:`townhall.policy.links.WEB_URL`, the definition ``[comments] premoderate_links`` shares)
and the result passes through nh3 (an allow-list sanitiser) as a second line of defence.

A link found in the escaped text is judged as the reader wrote it: ``< > "`` cannot be in an address (RFC 3986
names them its delimiters: ``"https://…"``, ``<https://…>``), so the link ends before them, and the trailing
punctuation is the reader's, not an entity's ``;``. Judged on the escaped text, ``"https://a.example/x"`` was a
link to ``https://a.example/x"`` shown with a ``;`` after it.

Quotations, e-mail style: a run of lines each starting with ``>`` (the line's first character; one space after
it is the marker's too) is one ``<blockquote>``, its text rendered as any other (paragraphs, line breaks, links);
a line of only ``>`` is an empty line of the quote, so it parts the quote's paragraphs. The run ends at the first
line without ``>``, an empty one included: two runs with an empty line between them are two quotations. One
level only: ``>> text`` is a quotation whose text is ``> text`` (nested quotes of quotes are not drawn as boxes in
boxes). A ``>`` anywhere else in a line is text. Quotes are found in the text as the reader typed it, before
anything is escaped, and each piece of text is escaped on its own, as before: the only markup in the result is
what this module writes (``p``, ``br``, ``a``, ``blockquote``), and nh3 still checks it. The stored ``text``
keeps the markers; the house rules judge it whole, quotes included.
"""

from __future__ import annotations

import html
import re

import nh3

from townhall.policy.links import WEB_URL, split_trailing

# The renderer's version, stored with each comment's HTML (``comments.render_version``). Raise it by one whenever
# render() makes different HTML of some text: the comments made by an older version are rendered again from their
# text in the background (townhall.service.rerender). 0 is every comment written before versions were kept;
# 1: links end before ``< > "`` and at the sanitiser's idea of an address; ``>`` lines are quotations.
RENDER_VERSION = 1

_ALLOWED_TAGS = {"p", "br", "a", "blockquote"}
_ALLOWED_ATTRS = {"a": {"href"}}


_NOT_IN_ADDRESS = re.compile(r'[<>"]')  # RFC 3986's delimiters around an address; never part of one
_PART_ENTITY = re.compile(r"&[#0-9A-Za-z]*$")  # an entity cut by WEB_URL's length limit: left as escaped text


def _clean(markup: str) -> str:
    return nh3.clean(markup, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS, url_schemes={"http", "https"},
                     link_rel="nofollow ugc noopener noreferrer")


def _linkable(url: str) -> bool:
    """Whether the sanitiser keeps ``url`` as a link's address: one that it cannot parse as a web address with a host
    (``https://#top``, ``http:///``, ``https://%``) would lose its ``href`` there, leaving an anchor that looks like a
    link and goes nowhere. The sanitiser itself is asked, so the two never disagree."""
    return "href=" in _clean(f'<a href="{html.escape(url, quote=True)}">x</a>')


def _linkify(escaped: str) -> str:
    def repl(m: re.Match[str]) -> str:
        found = m.group(0)
        cut = _PART_ENTITY.search(found)
        after = found[cut.start():] if cut else ""  # still escaped
        raw = html.unescape(found[: len(found) - len(after)])
        end = _NOT_IN_ADDRESS.search(raw)
        url, tail = split_trailing(raw[: end.start()] if end else raw)
        tail += raw[end.start():] if end else ""
        if not _linkable(url):  # no host after the scheme ("https://#top", "http:///"): text, not a dead link
            return found
        shown = html.escape(url, quote=True)
        return f'<a href="{shown}">{shown}</a>{html.escape(tail, quote=True)}{after}'

    return WEB_URL.sub(repl, escaped)


def _paragraphs(text: str) -> str:
    """Plain text (no quotation markers left to find) as escaped paragraphs with line breaks and links."""
    parts = []
    for para in (p.strip("\n") for p in re.split(r"\n[ \t]*\n", text)):
        if not para.strip():
            continue
        escaped = html.escape(para, quote=True)
        parts.append("<p>" + _linkify(escaped).replace("\n", "<br>") + "</p>")
    return "".join(parts)


def _blocks(text: str) -> list[tuple[bool, str]]:
    """The text as runs of lines, ``(quoted, text)``: a quoted run without its markers."""
    runs: list[tuple[bool, list[str]]] = []
    for line in text.split("\n"):
        quoted = line.startswith(">")
        if quoted:  # the marker, and one space after it
            line = line[2:] if line.startswith("> ") else line[1:]
        if runs and runs[-1][0] == quoted:
            runs[-1][1].append(line)
        else:
            runs.append((quoted, [line]))
    return [(quoted, "\n".join(lines)) for quoted, lines in runs]


def rendered(text: str) -> dict[str, object]:
    """A comment's ``html`` and the ``render_version`` that made it, as the comments table stores them."""
    return {"html": render(text), "render_version": RENDER_VERSION}


def render(text: str) -> str:
    """Render a comment as HTML safe to insert into a reader's page."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = []
    for quoted, block in _blocks(text):
        inner = _paragraphs(block)
        parts.append(f"<blockquote>{inner}</blockquote>" if quoted and inner else inner)
    return _clean("".join(parts))
