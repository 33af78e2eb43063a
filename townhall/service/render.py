"""Comment text to safe HTML: paragraphs, line breaks and links, nothing else.

The text is HTML-escaped first, so nothing a reader types can become markup; links are then made from
http(s) URLs and the result passes through nh3 (an allow-list sanitiser) as a second line of defence.
"""

from __future__ import annotations

import html
import re

import nh3

_URL = re.compile(r"\bhttps?://[^\s<>\"']{1,2000}", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRS = {"a": {"href"}}


def _linkify(escaped: str) -> str:
    def repl(m: re.Match[str]) -> str:
        url = m.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            tail = url[-1] + tail
            url = url[:-1]
        return f'<a href="{url}">{url}</a>{tail}'

    return _URL.sub(repl, escaped)


def render(text: str) -> str:
    """Render a comment as HTML safe to insert into a reader's page."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text)]
    parts = []
    for para in paragraphs:
        if not para.strip():
            continue
        escaped = html.escape(para, quote=True)
        parts.append("<p>" + _linkify(escaped).replace("\n", "<br>") + "</p>")
    return nh3.clean(
        "".join(parts),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https"},
        link_rel="nofollow ugc noopener noreferrer",
    )
