"""Bidirectional control characters (embeddings, overrides, isolates and the marks): in an article's title or
message a right-to-left override shows the rest of the line backwards, an address included. One set for every
place that refuses or drops them: townhall.service.thread_metadata refuses them in what the publisher sets,
townhall.service.article_urls leaves them out of the titles it names (and of a first comment's title). Its own
module, as both of those import it and thread_metadata imports article_urls."""

from __future__ import annotations

from typing import Final

__all__ = ["BIDI_CONTROLS"]

BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
