"""How fast the dashboard's queue sizes (GET /admin/queue-sizes) and its reported queue page are counted on a big
multi-site installation.

    python bench/queue_sizes.py                      # SQLite, 300,000 comments (about a minute)
    python bench/queue_sizes.py --pg                 # PostgreSQL (TOWNHALL_TEST_PG, a scratch database)
    python bench/queue_sizes.py --comments 60000 --runs 10

Seeds a temporary installation in bulk (store tables, no services): three sites of skewed size (two thirds,
a quarter and a tenth of the threads), 5,000 threads whose comments follow a long tail, 300,000 comments of which
about 3 % are held and 5 % rejected (each with its decision), about 20,000 open reader reports (and a third as
many resolved ones) piled on some thousands of comments, open appeals and flags. SQLite is left without ANALYZE
figures, as the app leaves it; PostgreSQL is VACUUM ANALYZEd, as autovacuum would have done. Then times, on the
biggest and the smallest site: ``stats.queue_sizes`` for the whole site and for one busy article, the "rejected in
7 days" count, and the reported queue's first page (``content.reported_comments``, 50 rows); prints median and
p95 in ms, and checks the sizes against brute-force counts in Python.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, create_engine  # noqa: E402

from townhall.store import content, dashboard, stats  # noqa: E402
from townhall.store.db import Database  # noqa: E402
from townhall.store.schema import (  # noqa: E402
    account_actions,
    accounts,
    appeals,
    comments,
    decisions,
    flags,
    reports,
    sites,
    threads,
)

SITES = [("daily", 0.65), ("local", 0.25), ("blog", 0.10)]  # share of threads (and so, roughly, of comments)
THRESHOLD = 3.0  # the default policy's reports.threshold
PG_ADMIN_URL = os.environ.get("TOWNHALL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def chunks(rows: list[dict[str, Any]], n: int = 5000) -> Any:
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for part in chunks(rows):
        conn.execute(table.insert(), part)


WORDS = ("the council budget bridge closure minister report reader article says what about this again never always "
         "because people money school traffic years plan vote town they we should would could really").split()


def text(cid: int, tid: int) -> str:
    """A comment of 40 to 700 characters (most are a few sentences), the same for the same id."""
    r = random.Random(cid)
    n = int(min(700, max(40, r.lognormvariate(5.4, 0.7))))
    out = f"Comment {cid} on article {tid}:"
    while len(out) < n:
        out += " " + r.choice(WORDS)
    return out


def seed(db: Database, n_comments: int, n_threads: int, n_reports: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """Fill the tables; returns what the brute-force check and the timings need."""
    site_of_thread: dict[int, str] = {}
    with db.write() as conn:
        insert(conn, sites, [{"id": s, "name": s.title(), "sso_secret": "x" * 40, "allow_guests": False, "auto_create_threads": True,
                              "policy_path": None, "origins": [], "created_at": now - timedelta(days=900)} for s, _ in SITES])
        site_accounts: dict[str, list[int]] = {}
        rows, aid = [], 0
        for s, share in SITES:
            ids = []
            for _ in range(max(50, int(n_comments / 12 * share))):
                aid += 1
                ids.append(aid)
                rows.append({"id": aid, "site_id": s, "subject": f"{s}-{aid}", "display_name": f"Reader {aid}", "email": None,
                             "supporter": False, "role": "reader", "guest": False, "state": "active", "device_hash": None,
                             "created_at": now - timedelta(days=rng.randint(1, 900))})
            site_accounts[s] = ids
        insert(conn, accounts, rows)
        rows = []
        for tid in range(1, n_threads + 1):
            s = rng.choices([s for s, _ in SITES], [w for _, w in SITES])[0]
            site_of_thread[tid] = s
            rows.append({"id": tid, "site_id": s, "external_id": f"article-{tid}", "url": None, "title": f"Article {tid}",
                         "state": "open", "created_at": now - timedelta(days=365 * (n_threads - tid) / n_threads + 1),
                         "premoderated": rng.random() < 0.02})
        insert(conn, threads, rows)
        # A long tail: a thread's weight is 1/rank^0.9, ranks shuffled so the hot threads are of every site.
        ranks = list(range(1, n_threads + 1))
        rng.shuffle(ranks)
        weights = [1 / r ** 0.9 for r in ranks]
        thread_ids = list(range(1, n_threads + 1))
        status_of: dict[int, str] = {}
        thread_of: dict[int, int] = {}
        created_of: dict[int, datetime] = {}
        tops: dict[int, list[int]] = defaultdict(list)
        rows, drows = [], []
        picked = rng.choices(thread_ids, weights, k=n_comments)
        for cid, tid in enumerate(picked, start=1):
            age = timedelta(minutes=(n_comments - cid) * 525_600 / n_comments)  # a year, oldest first
            created = now - age
            r = rng.random()
            recent = age < timedelta(days=3)
            # Held comments wait for a few days at most; older ones were decided (published or rejected).
            status = ("held" if recent and r < 0.35 else "held" if r < 0.012 else
                      "rejected" if r < 0.062 else "deleted" if r < 0.08 else "published")
            parent = rng.choice(tops[tid]) if tops[tid] and rng.random() < 0.45 else None
            if parent is None:
                tops[tid].append(cid)
            status_of[cid], thread_of[cid], created_of[cid] = status, tid, created
            s = site_of_thread[tid]
            rows.append({"id": cid, "thread_id": tid, "account_id": rng.choice(site_accounts[s]), "parent_id": parent,
                         "root_id": parent, "depth": 1 if parent else 0, "body": (body := text(cid, tid)),
                         "html": f"<p>{body}</p>", "status": status, "reactions": rng.randint(0, 5),
                         "created_at": created, "edited_at": None, "ip_hash": None, "ua_hash": None, "device_hash": None,
                         "external_id": None, "featured_at": None, "featured_by": None})
            if status in ("held", "rejected"):
                decided = created if status == "held" else created + timedelta(minutes=rng.randint(1, 600))
                drows.append({"comment_id": cid, "source": "pipeline" if status == "held" else "moderator",
                              "verdict": "hold" if status == "held" else "reject", "hits": [], "scores": {},
                              "policy_version": "bench", "moderator": None, "reason": None, "created_at": min(decided, now)})
        insert(conn, comments, rows)
        insert(conn, decisions, drows)
        # Reports: piled on few comments (1 + geometric); open ones mostly on comments of the last weeks.
        rrows, used = [], set()
        total_open = 0
        n_resolved = n_reports // 3
        while len(rrows) < n_reports + n_resolved:
            resolved = total_open >= n_reports
            cid = (rng.randint(max(1, n_comments - n_comments // 12), n_comments) if not resolved and rng.random() < 0.8
                   else rng.randint(1, n_comments))
            n = 1
            while rng.random() < 0.55 and n < 40:
                n += 1
            pool = site_accounts[site_of_thread[thread_of[cid]]]
            for _ in range(n):
                who = rng.choice(pool)
                if (cid, who) in used:
                    continue
                used.add((cid, who))
                rrows.append({"comment_id": cid, "account_id": who, "reason": "abuse", "note": None,
                              "weight": rng.choice((1.0, 1.0, 1.0, 0.5)), "resolved": resolved,
                              "created_at": min(now, created_of[cid] + timedelta(minutes=rng.randint(1, 2000)))})
                total_open += not resolved
        insert(conn, reports, rrows)
        arows, aprows, frows = [], [], []
        for s, share in SITES:
            for i in range(max(2, int(60 * share))):
                who = rng.choice(site_accounts[s])
                arows.append({"account_id": who, "kind": "strike", "actor_kind": "moderator", "actor": "bench", "rule": None,
                              "comment_id": None, "reason": "bench", "created_at": now - timedelta(days=i), "ends_at": None,
                              "revoked_at": None, "policy_version": None})
            for i in range(max(2, int(40 * share))):
                frows.append({"site_id": s, "kind": "coordination", "state": "open" if i % 3 else "dismissed", "score": 0.9,
                              "accounts": [], "evidence": {}, "key": f"{s}-{i}", "created_at": now - timedelta(hours=i),
                              "decided_at": None, "decided_by": None})
        insert(conn, account_actions, arows)
        insert(conn, flags, frows)
        action_ids = conn.execute(account_actions.select().with_only_columns(account_actions.c.id, account_actions.c.account_id)).all()
        for i, (act, who) in enumerate(action_ids):
            aprows.append({"action_id": act, "account_id": who, "text": "Please", "state": "open" if i % 2 else "upheld",
                           "response": None, "decided_by": None, "created_at": now - timedelta(hours=i), "decided_at": None})
        insert(conn, appeals, aprows)
    return {"site_of_thread": site_of_thread, "status_of": status_of, "thread_of": thread_of, "created_of": created_of,
            "reports": rrows, "picked": picked, "decisions": drows}


def brute_force(data: dict[str, Any], site: str, thread: int | None) -> dict[str, int]:
    """The held and reported sizes counted in Python from what was inserted."""
    def mine(cid: int) -> bool:
        return data["site_of_thread"][data["thread_of"][cid]] == site and (thread is None or data["thread_of"][cid] == thread)

    held = sum(1 for cid, s in data["status_of"].items() if s == "held" and mine(cid))
    weight: dict[int, float] = defaultdict(float)
    for r in data["reports"]:
        if not r["resolved"] and data["status_of"][r["comment_id"]] == "published" and mine(r["comment_id"]):
            weight[r["comment_id"]] += r["weight"]
    return {"held": held, "reported": sum(1 for w in weight.values() if w >= THRESHOLD)}


def timed(db: Database, fn: Callable[[Connection], Any], runs: int) -> tuple[list[float], Any]:
    out, result = [], None
    with db.read() as conn:
        fn(conn)  # warm the page cache and the statement cache
        for _ in range(runs):
            t = time.perf_counter()
            result = fn(conn)
            out.append((time.perf_counter() - t) * 1000)
    return out, result


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (a scratch database next to TOWNHALL_TEST_PG's)")
    parser.add_argument("--comments", type=int, default=300_000)
    parser.add_argument("--threads", type=int, default=5000)
    parser.add_argument("--reports", type=int, default=None, help="open reports (default: comments / 15)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL) to look at plans")
    args = parser.parse_args()
    n_reports = args.reports if args.reports is not None else args.comments // 15
    rng = random.Random(11)
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    tmpdir = tempfile.mkdtemp(prefix="th-bench-qs-")
    admin = None
    if args.pg:
        name = f"th_bench_qs_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmpdir}/townhall.db"
    db = Database(url)
    try:
        db.migrate()
        t0 = time.perf_counter()
        data = seed(db, args.comments, args.threads, n_reports, rng, now)
        if args.pg:
            with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        seeded_s = time.perf_counter() - t0
        by_site = defaultdict(int)
        for tid in data["picked"]:
            by_site[data["site_of_thread"][tid]] += 1
        n_open = sum(1 for r in data["reports"] if not r["resolved"])
        print(f"database: {db.dialect}; seeded in {seeded_s:.1f} s: {args.threads} threads, {args.comments} comments"
              f" ({', '.join(f'{s} {by_site[s]}' for s, _ in SITES)}), held {sum(1 for s in data['status_of'].values() if s == 'held')},"
              f" rejected {sum(1 for s in data['status_of'].values() if s == 'rejected')}, open reports {n_open},"
              f" resolved {len(data['reports']) - n_open}")
        since = now - timedelta(days=7)
        print(f"{'site':6} {'call':40} {'median ms':>10} {'p95 ms':>8}  result")
        for site in (SITES[0][0], SITES[-1][0]):
            counts: dict[int, int] = defaultdict(int)
            for cid, tid in data["thread_of"].items():
                if data["site_of_thread"][tid] == site:
                    counts[tid] += 1
            busiest = max(counts, key=counts.__getitem__)
            cases: list[tuple[str, Callable[[Connection], Any], Any]] = [
                ("queue_sizes (whole site)", lambda c, s=site: stats.queue_sizes(c, s, THRESHOLD), brute_force(data, site, None)),
                (f"queue_sizes (article of {counts[busiest]} comments)",
                 lambda c, s=site, t=busiest: stats.queue_sizes(c, s, THRESHOLD, thread_id=t), brute_force(data, site, busiest)),
                ("rejected in 7 days (whole site)",
                 lambda c, s=site: dashboard.count_status(c, s, "rejected", decided_since=since), None),
                ("reported page, 50 (whole site)",
                 lambda c, s=site: len(content.reported_comments(c, s, min_weight=THRESHOLD, limit=50)), None),
                ("reported page, 50 (article)",
                 lambda c, s=site, t=busiest: len(content.reported_comments(c, s, min_weight=THRESHOLD, limit=50, thread_id=t)), None),
            ]
            for label, fn, expect in cases:
                times, result = timed(db, fn, args.runs)
                if isinstance(result, dict):
                    got = {k: v[0] for k, v in result.items()}
                    if expect is not None:
                        assert {k: got[k] for k in expect} == expect, (label, got, expect)
                    shown = ", ".join(f"{k} {v}" for k, v in got.items())
                else:
                    shown = str(result)
                print(f"{site:6} {label:40} {statistics.median(times):10.1f} {p95(times):8.1f}  {shown}")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"runs: {args.runs} per call after one warm-up; machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    finally:
        db.dispose()
        if args.keep:
            print(f"kept: {url}")
        elif admin is not None:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
        if admin is not None:
            admin.dispose()


if __name__ == "__main__":
    main()
