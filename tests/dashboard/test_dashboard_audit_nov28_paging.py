"""Found by an audit of the moderator dashboard on 2026-11-28: the Reader reports queue had no next page (its first 50
were all a moderator could reach). It now pages by (weight, id); read page by page it lists exactly what one read
lists, on SQLite and PostgreSQL, with fractional and tied weights (townhall.store.dashboard.reported_comments)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.test_queue_sizes_counts import SITES, seeded  # noqa: F401
from townhall.store import dashboard


@pytest.mark.parametrize("threshold", [1.0, 2.5])
def test_the_reported_queue_read_a_page_at_a_time_lists_every_comment_once(seeded: Any, threshold: float) -> None:
    db, site_of_thread, _, _ = seeded
    checked = 0
    with db.read() as conn:
        for site in SITES:
            for thread in (None, next(t for t, s in site_of_thread.items() if s == site)):
                whole = dashboard.reported_comments(conn, site, min_weight=threshold, limit=10_000, thread_id=thread)
                paged: list[int] = []
                after = None
                while True:
                    page = dashboard.reported_comments(conn, site, min_weight=threshold, limit=7, thread_id=thread,
                                                       after=after)
                    paged += [int(r["id"]) for r in page]
                    if len(page) < 7:
                        break
                    after = (float(page[-1]["weight"]), int(page[-1]["id"]))
                assert paged == [int(r["id"]) for r in whole], (site, thread)
                checked += len(paged)
    assert checked > 30  # several pages, ties on weight among them
