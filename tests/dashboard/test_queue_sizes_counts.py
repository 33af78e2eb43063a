"""The dashboard's queue sizes (townhall.store.stats.queue_sizes) equal brute-force counts on a seeded multi-site
installation, for a whole site and for one article, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from townhall.store import dashboard, stats
from townhall.store.db import Database
from townhall.store.schema import accounts, comments, reports, sites, threads

SITES = ("big", "mid", "small")
STATUSES = ("published",) * 14 + ("held", "held", "rejected", "deleted")


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@pytest.fixture
def seeded(db_url: str) -> Any:
    rng = random.Random(5)
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    db = Database(db_url)
    db.migrate()
    site_of_thread: dict[int, str] = {}
    cs: list[dict[str, Any]] = []
    rs: list[dict[str, Any]] = []
    with db.write() as conn:
        conn.execute(sites.insert(), [{"id": s, "name": s, "sso_secret": "x" * 40, "allow_guests": False, "auto_create_threads": True,
                                       "policy_path": None, "origins": [], "created_at": now} for s in SITES])
        accts = {s: list(range(1 + 20 * i, 21 + 20 * i)) for i, s in enumerate(SITES)}
        conn.execute(accounts.insert(), [{"id": a, "site_id": s, "subject": f"r{a}", "display_name": f"R{a}", "email": None,
                                          "supporter": False, "role": "reader", "guest": False, "state": "active",
                                          "created_at": now} for s, ids in accts.items() for a in ids])
        for tid in range(1, 31):
            site_of_thread[tid] = SITES[0] if tid <= 18 else SITES[1] if tid <= 27 else SITES[2]  # skewed
        conn.execute(threads.insert(), [{"id": t, "site_id": s, "external_id": f"a{t}", "url": None, "title": None, "state": "open",
                                         "created_at": now} for t, s in site_of_thread.items()])
        for cid in range(1, 1201):
            tid = rng.choice([t for t in site_of_thread for _ in range(40 if t in (1, 19, 28) else 1)])  # hot threads
            cs.append({"id": cid, "thread_id": tid, "account_id": rng.choice(accts[site_of_thread[tid]]), "parent_id": None,
                       "root_id": None, "depth": 0, "body": "b", "html": "b", "status": rng.choice(STATUSES), "reactions": 0,
                       "created_at": now - timedelta(minutes=rng.randint(1, 100_000))})
        conn.execute(comments.insert(), cs)
        seen = set()
        for _ in range(1500):
            c = rng.choice(cs[:300])  # piled on a few comments, of every status
            who = rng.choice(accts[site_of_thread[c["thread_id"]]])
            if (c["id"], who) in seen:
                continue
            seen.add((c["id"], who))
            rs.append({"comment_id": c["id"], "account_id": who, "reason": "abuse", "note": None,
                       "weight": rng.choice((1.0, 1.0, 0.5, 2.0)), "resolved": rng.random() < 0.3,
                       "created_at": c["created_at"] + timedelta(minutes=rng.randint(1, 500))})
        conn.execute(reports.insert(), rs)
    yield db, site_of_thread, cs, rs
    db.dispose()


def _brute(site_of_thread: dict[int, str], cs: list[dict[str, Any]], rs: list[dict[str, Any]], site: str,
           thread: int | None, threshold: float) -> dict[str, tuple[int, Any]]:
    mine = {c["id"]: c for c in cs if site_of_thread[c["thread_id"]] == site and (thread is None or c["thread_id"] == thread)}
    held = [c["created_at"] for c in mine.values() if c["status"] == "held"]
    weight: dict[int, float] = defaultdict(float)
    first: dict[int, datetime] = {}
    for r in rs:
        c = mine.get(r["comment_id"])
        if not r["resolved"] and c is not None and c["status"] == "published":
            weight[c["id"]] += r["weight"]
            first[c["id"]] = min(first.get(c["id"], r["created_at"]), r["created_at"])
    over = [first[i] for i, w in weight.items() if w >= threshold]
    return {"held": (len(held), min(held, default=None)), "reported": (len(over), min(over, default=None))}


@pytest.mark.parametrize("threshold", [1.0, 3.0])
def test_queue_sizes_equal_brute_force_counts(seeded: Any, threshold: float) -> None:
    db, site_of_thread, cs, rs = seeded
    checked = 0
    with db.read() as conn:
        for site in SITES:
            for thread in (None, *[t for t, s in site_of_thread.items() if s == site][:3]):
                got = stats.queue_sizes(conn, site, threshold, thread_id=thread)
                want = _brute(site_of_thread, cs, rs, site, thread, threshold)
                for queue in ("held", "reported"):
                    n, oldest = got[queue]
                    assert (n, _as_utc(oldest)) == want[queue], (site, thread, queue)
                    checked += n
                if thread is None:  # the reported queue's page lists as many as the size counts
                    page = dashboard.reported_comments(conn, site, min_weight=threshold, limit=10_000)
                    assert len(page) == got["reported"][0]
    assert checked > 100  # the seed made non-trivial queues
