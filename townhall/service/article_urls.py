"""A thread's article address (``threads.url``), as Townhall takes it and gives it out.

The address is whatever the thread's first comment was sent with: the widget sends its page's (or the
publisher's ``data-url``), but any reader can send any text. The API takes only a web address
(:func:`web_address`); every place that gives an address out (the comments list, the reader's notices,
e-mails) gives it through :func:`article_url`, so that rows stored before the check, and imported ones, are
filtered too."""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

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
    origins (``sites.origins``), an absolute address must be on one of them (scheme, host and port alike)."""
    url = web_address(url)
    if url is None or url.startswith("/"):
        return url
    allowed = {_origin(o) for o in origins if str(o).strip()}
    parts = urlsplit(url)
    if allowed and f"{parts.scheme}://{parts.netloc}".lower() not in allowed:
        return None
    return url


def site_origins(site: Mapping[str, Any] | None) -> list[str]:
    return [str(o) for o in ((site["origins"] or []) if site is not None else [])]


def absolute_article_url(url: str | None, origins: Iterable[str] = ()) -> str | None:
    """:func:`article_url` for where no page gives a path its host (an e-mail): a path is made absolute on the
    site's first origin, and is None where the site names none (Townhall's own address is not the publisher's)."""
    origins = [o for o in origins if str(o).strip()]
    url = article_url(url, origins)
    if url is None or not url.startswith("/"):
        return url
    return article_url(_origin(origins[0]) + url, origins) if origins else None


def _origin(origin: str) -> str:
    return str(origin).strip().rstrip("/").lower()
