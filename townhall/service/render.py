"""Comment text to safe HTML: paragraphs, line breaks and links, nothing else.

The text is HTML-escaped first, so nothing a reader types can become markup; links are then made from
http(s) URLs (:data:`townhall.policy.links.WEB_URL`, the definition ``[comments] premoderate_links`` shares)
and the result passes through nh3 (an allow-list sanitiser) as a second line of defence.
"""

from __future__ import annotations

import html
import re

import nh3

from townhall.policy.links import WEB_URL, split_trailing

_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRS = {"a": {"href"}}


def _linkify(escaped: str) -> str:
    def repl(m: re.Match[str]) -> str:
        url, tail = split_trailing(m.group(0))
        return f'<a href="{url}">{url}</a>{tail}'

    return WEB_URL.sub(repl, escaped)


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
