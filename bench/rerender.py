"""How fast the ``comments.rerender`` job draws again the comments an older Townhall rendered (after an upgrade that
changed the renderer): N comments written as version 0 with stale HTML, then ``rerender()`` until none are left.

    python bench/rerender.py                     # SQLite, in a temporary folder, 20,000 comments
    python bench/rerender.py --postgres --n 50000  # a temporary database on 127.0.0.1:5432 (dropped after)

Prints comments per second for the whole pass (reads, renders, guarded writes), on the machine it runs on.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from townhall.service import rerender
from townhall.service.core import build_services
from townhall.settings import Settings
from townhall.store.schema import accounts, comments, threads

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
TEXTS = ['Read "https://example.com/report" first, then tell me.\n\n> a quote of someone\nMy answer is longer. ' * 2,
         "Plain words of an ordinary comment about the budget, the minister and the vote. " * 3]


def run(url: str, n: int) -> float:
    policy = Path(__file__).resolve().parent.parent / "tests" / "ops" / "fixtures" / "ops.policy.toml"
    svc = build_services(Settings(database_url=url, troll_interval_seconds=0, policy=str(policy)))
    now = datetime.now(UTC)
    try:
        with svc.db.write() as conn:
            tid = conn.execute(sa.insert(threads).values(site_id="default", external_id="bench", state="open",
                                                         created_at=now)).inserted_primary_key[0]
            aid = conn.execute(sa.insert(accounts).values(site_id="default", subject="bench", display_name="B",
                                                          supporter=False, role="reader", guest=False, state="active",
                                                          created_at=now)).inserted_primary_key[0]
            conn.execute(sa.insert(comments), [dict(thread_id=tid, account_id=aid, depth=0, body=TEXTS[i % 2],
                                                    html="<p>old</p>", status="published", reactions=0, created_at=now,
                                                    render_version=0) for i in range(n)])
        start = time.perf_counter()
        done, left = 0, True
        while left:
            one = rerender.rerender(svc)
            done, left = done + one.seen, one.left
        took = time.perf_counter() - start
        assert done == n and rerender.stale(svc) == 0
        return took
    finally:
        svc.db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    if args.postgres:
        name = f"th_rerender_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            took = run(PG + name, args.n)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}"')
            admin.dispose()
        kind = "PostgreSQL"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            took = run(f"sqlite:///{tmp}/rerender.db", args.n)
        kind = "SQLite"
    print(f"{kind}: {args.n:,} comments rendered again in {took:.2f} s = {args.n / took:,.0f} comments/s")


if __name__ == "__main__":
    main()
