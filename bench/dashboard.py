"""How fast the moderators' queue renders its first page with 10,000 held comments on SQLite.

    python bench/dashboard.py [--held 10000] [--runs 20]

Seeds a temporary SQLite installation through the store functions (accounts, threads, held comments with
their pipeline decisions and rule hits, some replies and reader reports), signs a moderator in through the
real sign-in form, then times GET /admin/queue/held (the whole HTTP request in-process: session check, the
queue query, author summaries, highlighting, the template). Target: under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from tests.dashboard.helpers import add_moderator, sign_in, write_policy  # noqa: E402
from tests.fixtures_app import SSO_SECRET, Clock  # noqa: E402
from townhall.app import create_app  # noqa: E402
from townhall.service.core import Services  # noqa: E402
from townhall.service.render import render  # noqa: E402
from townhall.settings import Settings  # noqa: E402
from townhall.store import content, moderation, people  # noqa: E402

TEXTS = [
    ("Only an idiot would believe these numbers.", "insult", "idiot"),
    ("The minister is a moron and everyone knows it.", "insult", "moron"),
    ("What a moron, honestly, read the report before you comment.", "insult", "moron"),
    ("You idiot, the bridge was inspected in March.", "insult", "idiot"),
]


def seed(svc: Services, held: int, rng: random.Random) -> None:
    now = svc.now()
    site = svc.settings.default_site
    with svc.db.write() as conn:
        accounts = [people.insert_account(conn, site_id=site, subject=f"reader-{i}", display_name=f"Reader {i}", email=None,
                                          supporter=False, role="reader", guest=False, state="active",
                                          created_at=now - timedelta(days=rng.randint(1, 900))) for i in range(600)]
        threads = [content.insert_thread(conn, site_id=site, external_id=f"article-{i}", url=None, title=f"Article {i}",
                                         now=now - timedelta(days=3)) for i in range(40)]
        parents: list[tuple[int, int]] = []
        for i in range(400):
            thread = rng.choice(threads)
            body = f"A published comment number {i} about the article."
            cid = content.insert_comment(conn, thread_id=thread, account_id=rng.choice(accounts), parent_id=None, root_id=None,
                                         depth=0, body=body, html=render(body), status="published", reactions=0,
                                         created_at=now - timedelta(days=2, minutes=i))
            parents.append((cid, thread))
        for i in range(held):
            text, rule, word = rng.choice(TEXTS)
            start = text.index(word)
            reply = rng.random() < 0.4
            parent, thread = rng.choice(parents) if reply else (None, rng.choice(threads))
            cid = content.insert_comment(conn, thread_id=thread, account_id=rng.choice(accounts), parent_id=parent,
                                         root_id=parent, depth=1 if parent else 0, body=text, html=render(text), status="held",
                                         reactions=0, created_at=now - timedelta(minutes=held - i))
            hits = [{"rule": rule, "description": "Insults wait for a moderator.", "action": "hold", "span": [start, start + len(word)],
                     "evidence": word, "score": 1.0, "strike": False, "reasons": []}]
            moderation.insert_decision(conn, comment_id=cid, source="pipeline", verdict="hold", hits=hits,
                                       scores={"f_word": 0.0, "insult": 1.0}, policy_version="bench", created_at=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock()
        settings = Settings(database_url=f"sqlite:///{tmp}/townhall.db", data_dir=tmp, sso_secret=SSO_SECRET,
                            policy=write_policy(Path(tmp)), rate_limit_per_minute=0, troll_interval_seconds=0)
        app = create_app(settings, clock=clock)
        t0 = time.perf_counter()
        seed(app.services, args.held, random.Random(8))
        seeded_s = time.perf_counter() - t0
        add_moderator(app.services, "bench@example.org")
        with TestClient(app) as client:
            assert sign_in(client, "bench@example.org").status_code == 303
            timings = []
            for _ in range(args.runs + 1):
                t = time.perf_counter()
                r = client.get("/admin/queue/held")
                timings.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200 and r.text.count('class="item"') == 50, r.status_code
            assert f'data-queue="held">{args.held}<' in r.text
        app.close()
    first, rest = timings[0], timings[1:]
    print(f"held comments: {args.held} (seeded in {seeded_s:.1f} s)")
    print(f"queue first page (50 items), first request: {first:.1f} ms")
    print(f"queue first page, median of {len(rest)}: {statistics.median(rest):.1f} ms; p90 {sorted(rest)[int(0.9 * len(rest))]:.1f} ms;"
          f" max {max(rest):.1f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} while measuring")
    print("target < 200 ms (median):", "met" if statistics.median(rest) < 200 else "NOT met")


if __name__ == "__main__":
    main()
