"""A short-lived cache of the first page of a thread as signed-out readers see it.

On a busy article most page loads are anonymous and ask for the same thing: the first page of comments.
Built afresh, each costs several queries and a few milliseconds of one process's only interpreter lock;
kept for ``seconds`` (the ``page_cache_seconds`` setting, 1 by default), a hundred readers arriving in
that second cost one build. What that costs readers, and how the cache keeps it to that:

* a *new* comment — posted, or approved by a moderator — reaches signed-out page loads up to ``seconds``
  late (live readers get it at once over the event stream; the author, signed in, always reads fresh);
  while one reader rebuilds an expired page, the others get the page it replaces, so on a busy thread it
  is built once, not by everyone who arrives during the build (never with a page twice ``seconds`` old);
* a page built while a removal arrived is not kept (the build may have read the database before it);
* an edit, a deletion, a moderator's removal or a comment featured or unfeatured (``comment.featured``) drops
  the thread's cached pages at once, in every process:
  the cache listens to the same events the live streams carry, which PostgreSQL relays between workers;
* changes that send no event (a reaction, an erasure that anonymises), and events a process missed while its
  PostgreSQL listener was reconnecting, reach signed-out page loads within ``seconds``, like new comments;
* a reader who knows a comment exists (the widget, told of it over the live stream, asks for the page to
  show it) sends its id as ``since``, and gets a page built after it: a cached page whose newest comment
  is older is built again;
* signed-in readers, later pages and reply pages are never cached (they carry the reader's own pending
  comments and reactions, or are rare).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

from townhall.service.ttl import TtlStore

PageKey = tuple[str, str, str, int]  # site, thread, sort, limit

# Events that add a comment to a thread: a cached page may miss it for a moment. Every other event on a
# thread's channel changes or hides something a cached page may show, so it drops the thread's pages.
_ADDITIONS = frozenset({"comment.published"})


class Page:
    """A built page, shared by every reader who gets it from the cache: ``data`` must not be changed."""

    __slots__ = ("data", "_newest", "_json")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self._newest: int | None = None
        self._json: bytes | None = None

    @property
    def newest(self) -> int:
        """The highest comment id on the page (0: none); worked out only for pages the cache is asked about."""
        if self._newest is None:
            self._newest = _newest(self.data.get("comments", ()))
        return self._newest

    @property
    def json(self) -> bytes:
        """The page as compact UTF-8 JSON, made once (two threads racing make the same bytes)."""
        if self._json is None:
            self._json = json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()
        return self._json


class PageCache:
    def __init__(self, seconds: float, max_entries: int = 2_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._pages: TtlStore[PageKey, Page] = TtlStore(max_entries)
        self._lock = threading.Lock()  # taken before the store's own lock, never after
        self._building: set[PageKey] = set()
        self._drops = 0  # how many times pages were dropped: a build that saw fewer is not kept

    def get_or_build(self, key: PageKey, build: Callable[[], dict[str, Any]], since: int | None = None,
                     keep: Callable[[dict[str, Any]], bool] | None = None) -> Page:
        """The cached page for ``key`` if it is fresh enough and shows comment ``since`` or a newer one,
        else ``build()``'s (kept for next time, unless ``keep`` says no of its data). While one reader builds a
        page's successor, others get the page it replaces (if that is less than twice ``seconds`` old) instead of
        building it again."""
        if self.seconds <= 0:
            return Page(build())
        now = self._clock()
        fresh = self._usable(key, since, now, self.seconds)
        if fresh is not None:
            return fresh
        with self._lock:
            # again, under the lock drops take: a page dropped a moment ago is never served
            stale = self._usable(key, since, now, 2 * self.seconds)
            if stale is not None and key in self._building:
                return stale
            self._building.add(key)
            drops = self._drops
        try:
            page = Page(build())
        except BaseException:
            with self._lock:
                self._building.discard(key)
            raise
        with self._lock:
            self._building.discard(key)
            if drops == self._drops and (keep is None or keep(page.data)):  # nothing dropped while it was built
                self._pages.put(key, page, now, self.seconds)
        return page

    def _usable(self, key: PageKey, since: int | None, now: float, max_age: float) -> Page | None:
        """The cached page for ``key`` if younger than ``max_age`` and showing comment ``since`` or newer."""
        page = self._pages.fresh(key, now, max_age)
        return page if page is not None and (since is None or page.newest >= since) else None

    def drop_thread(self, site_id: str, thread_external_id: str) -> None:
        with self._lock:
            self._drops += 1
            self._pages.discard(lambda k: k[0] == site_id and k[1] == thread_external_id)

    def on_event(self, site_id: str, thread_external_id: str, event: dict[str, Any]) -> None:
        """Called for every event delivered to this process on a thread's channel."""
        if event.get("type") not in _ADDITIONS:
            self.drop_thread(site_id, thread_external_id)

    def __len__(self) -> int:
        return len(self._pages)


def _newest(comments: Any) -> int:
    newest = 0
    for c in comments:
        newest = max(newest, int(c["id"]), _newest(c.get("replies", ())))
    return newest
