"""A thread's article address (``threads.url``), as Townhall takes it and gives it out, and its title as notices
and e-mails name the article (:func:`article_title`).

The address is whatever the thread's first comment was sent with: the widget sends its page's (or the
publisher's ``data-url``), but any reader can send any text. The API takes only a web address
(:func:`web_address`); every place that gives an address out (the comments list, the reader's notices,
e-mails) gives it through :func:`article_url`, so that rows stored before the check, and imported ones, are
filtered too."""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from townhall.service.bidi import BIDI_CONTROLS

RULE = ("must be an absolute http:// or https:// address with a host, or a path on the site starting with '/', "
        "without spaces or control characters")
"""What :func:`web_address` takes, as a refusal says it."""

_UNSEEN = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})  # controls, format (bidi overrides), spaces, separators


def web_address(url: str | None) -> str | None:
    """``url`` if a page may link it whatever site it is on, else None: an absolute http(s) address with a host
    (and no user name, which can read like the host: ``https://news.example@evil.example/``), or a path on the
    publisher's site (``/…``, not ``//host`` nor ``/\\host``, which browsers read as another host). Never a
    ``javascript:``, ``data:`` or other scheme, nor one a browser would read as such once it drops the spaces,
    tabs and control characters in it: an address with any of them, or with a Unicode space, separator or
    format character (a right-to-left override shows another address than it is), is none."""
    if not url or any(unicodedata.category(ch) in _UNSEEN for ch in url):
        return None
    if url.startswith("/"):
        return url if not url.startswith(("//", "/\\")) else None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no port
    except ValueError:  # e.g. a malformed IPv6 host, a port past 65535
        return None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or "\\" in parts.netloc
            or "@" in parts.netloc):
        return None
    return url


def article_url(url: str | None, origins: Iterable[str] = ()) -> str | None:
    """A thread's address as a page may link it (:func:`web_address`), else None. Where the site names its pages'
    origins (``sites.origins``), an absolute address must be on one of them (scheme, host and port alike, as
    :func:`origin_of` writes them: a listed ``https://News.Example:443/`` is ``https://news.example``)."""
    url = web_address(url)
    if url is None or url.startswith("/"):
        return url
    named = [str(o) for o in origins if str(o).strip()]
    if named and origin_of(url) not in {origin_of(o) for o in named}:
        return None
    return url


def article_title(title: str | None) -> str | None:
    """A thread's title (the first commenter's text, or an archive's) as a notice or an e-mail names the article:
    one line (its whitespace, line breaks included, one space each), without control characters (a terminal's
    escapes, a bell) or bidirectional controls; None if nothing is left."""
    kept = "".join(ch for ch in str(title or "") if ch not in BIDI_CONTROLS
                   and (ch.isspace() or unicodedata.category(ch) != "Cc"))
    return " ".join(kept.split()) or None


MAX_TITLE = 500
"""A title's length (as the API's ``title`` fields and townhall.service.thread_metadata take it)."""


def clean_title(title: str | None) -> str | None:
    """The title a reader's first comment names its article with, as it is stored: :func:`article_title` (one
    line, without control characters or bidirectional controls), at most MAX_TITLE characters; None if nothing
    is left. What the publisher's own change refuses (townhall.service.thread_metadata) is dropped here, not
    refused: the widget sends its page's ``document.title``, which the reader neither wrote nor can change, and
    a reader's comment is not lost over the publisher's metadata (as an address off the site's origins is not
    kept and the comment is posted). The stored title is then one the publisher's change would take."""
    kept = article_title(title)
    if kept is None:
        return None
    return kept[:MAX_TITLE].rstrip() or None


def site_origins(site: Mapping[str, Any] | None) -> list[str]:
    return [str(o) for o in ((site["origins"] or []) if site is not None else [])]


def absolute_article_url(url: str | None, origins: Iterable[str] = ()) -> str | None:
    """:func:`article_url` for where no page gives a path its host (an e-mail): a path is made absolute on the
    site's first origin, and is None where the site names none (Townhall's own address is not the publisher's)."""
    origins = [str(o) for o in origins if str(o).strip()]
    url = article_url(url, origins)
    if url is None or not url.startswith("/"):
        return url
    first = origin_of(origins[0]) if origins else None
    return article_url(first + url, origins) if first is not None else None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """The origin of an http(s) address, or of an origin as a site lists it, as browsers write it (an ``Origin``
    header, ``location.origin``): scheme and host in lower case, the host in ASCII (punycode), the port only
    where it is not the scheme's default; a trailing slash or a path does not matter. None for anything else.
    ``https://News.Example:443/`` and ``https://news.example`` are one origin."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower case, without the brackets of an IPv6 address
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:  # a label the IDNA 2003 codec refuses: compared as written
            pass
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")
