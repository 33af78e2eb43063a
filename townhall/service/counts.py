"""Comment counts for listing pages: "12 comments" next to each headline of a front page (``count.js``).

A thread's count is the one its listing gives signed-out readers (``thread.count``, see
townhall.service.threads), so the link on the front page and the widget under the article say the same: its
published comments, replies included; held, rejected and deleted ones are not counted. A thread that does not
exist counts 0 and is not created (nor cached: made-up ids do not push real pages out of the cache).

Signed-out readers' counts come from the page cache (townhall.service.pages), one entry per thread beside the
thread's pages: a new comment reaches them within ``page_cache_seconds`` and a removal, an edit or a deletion
at once, as it reaches the thread's first page. The threads of a request that are not cached are read in
one query, whatever their number. (A thread whose cache entry was dropped while that query ran may keep the
count it read for ``page_cache_seconds``: a window of microseconds, and no staler than a new comment.)
"""

from __future__ import annotations

from typing import Sequence

from townhall.service.comments import MAX_THREAD_ID
from townhall.service.core import Services
from townhall.service.errors import Invalid, no_such_site
from townhall.store import content
from townhall.store import counts as store_counts

MAX_THREADS = 50
CACHE_KEY = "count"  # the page cache's "sort" for a thread's count (never one of a list's sorts)


def check_threads(thread_ids: Sequence[str]) -> list[str]:
    """The distinct thread ids asked for, in their order: 1 to MAX_THREADS of them, each as a thread id may be."""
    if not thread_ids:
        raise Invalid("Name at least one thread: ?thread=ID.", {"field": "thread"})
    for tid in thread_ids:
        if not isinstance(tid, str) or not tid or len(tid) > MAX_THREAD_ID or not tid.isprintable():
            raise Invalid(f"A thread id is 1 to {MAX_THREAD_ID} printable characters.", {"field": "thread"})
    unique = list(dict.fromkeys(thread_ids))
    if len(unique) > MAX_THREADS:
        raise Invalid(f"At most {MAX_THREADS} threads at a time.", {"field": "thread", "max": MAX_THREADS})
    return unique


def counts(svc: Services, site_id: str, thread_ids: Sequence[str]) -> dict[str, int]:
    """``{thread id: count}`` for each distinct id in ``thread_ids`` (see the module's docstring)."""
    wanted = check_threads(thread_ids)
    read: dict[str, int] | None = None

    def read_all() -> dict[str, int]:
        nonlocal read
        if read is None:  # the first thread not in the cache reads every one asked for: one query
            read = _read(svc, site_id, wanted)
        return read

    out: dict[str, int] = {}
    for tid in wanted:
        # a thread that does not exist is answered 0 and not kept: a request naming 50 made-up threads must not
        # push 50 real pages out of the cache
        page = svc.pages.get_or_build((site_id, tid, CACHE_KEY, 0),
                                      lambda tid=tid: {"count": read_all().get(tid, 0), "exists": tid in read_all()},
                                      keep=lambda data: bool(data["exists"]))
        out[tid] = int(page.data["count"])
    return out


def _read(svc: Services, site_id: str, thread_ids: list[str]) -> dict[str, int]:
    with svc.db.read() as conn:
        if content.get_site(conn, site_id) is None:
            raise no_such_site(site_id)
        return store_counts.count_published_many(conn, site_id, thread_ids)
