"""Start-up with a full month: how soon does a restarted Townhall answer, and when is its paid-troll index whole?

Seeds ``--comments`` comments (default 100,000) from 2,000 readers over the last 29 days — the paid-troll
detector's horizon is 30 — into a fresh SQLite database, bulk-inserted through the store, then starts
``townhall serve`` on it and prints:

* how long the server took to answer ``/healthz`` (from the process start);
* how long the background read of the detector's horizon took, from the server's own log line.

The server reads the horizon back in the background since 2026-11-26; before, it read it before serving.

    python bench/startup.py                     # 100,000 comments
    python bench/startup.py --comments 20000

Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api as th  # noqa: E402  (bench/api.py: server start-up helpers)

from townhall.app import create_app  # noqa: E402
from townhall.service import accounts as acct  # noqa: E402
from townhall.service import comments as svc_comments  # noqa: E402
from townhall.settings import Settings  # noqa: E402
from townhall.store import content  # noqa: E402

WORDS = ("the minister said ceasefire talks would resume next week although the opposition doubts it and readers "
         "ask who pays for the new bridge while the council defends its budget and the army denies the report").split()
READ_BACK = re.compile(r"coordination index read back from the database: (\d+) comments in ([\d.]+) s")


def seed(data_dir: Path, comments: int, rng: random.Random) -> float:
    """Bulk-insert ``comments`` comments spread over the last 29 days; returns the seconds it took."""
    app = create_app(Settings(data_dir=str(data_dir), sso_secret=th.SSO_SECRET, troll_interval_seconds=0))
    svc = app.services
    started = time.perf_counter()
    try:
        site_id = svc.settings.default_site
        readers = [acct.sign_in_sso(svc, site_id, {"sub": f"reader-{i}", "name": f"Reader {i}"}).account_id
                   for i in range(2000)]
        now = svc.now()
        with svc.db.write() as conn:
            site = content.get_site(conn, site_id)
            assert site is not None
            threads = [svc_comments.get_or_create_thread(conn, svc, site, f"story-{i}")["id"] for i in range(300)]
            for i in range(comments):
                text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))
                content.insert_comment(
                    conn, thread_id=rng.choice(threads), account_id=rng.choice(readers), parent_id=None, root_id=None,
                    depth=0, body=text, html=f"<p>{text}</p>", status="published", reactions=0,
                    created_at=now - timedelta(days=29) * (1 - i / comments), ip_hash=None, ua_hash=None,
                    device_hash=None)
    finally:
        app.close()
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--comments", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="townhall-startup-") as tmp:
        work = Path(tmp)
        seeded = seed(work / "data", args.comments, random.Random(1))
        print(f"Townhall start-up — {th.machine_note()}")
        print(f"seeded {args.comments:,} comments over 29 days in {seeded:.1f} s")
        started = time.perf_counter()
        server = th.start_townhall(work, env=th.townhall_env(log_level="info"))
        answered = time.perf_counter() - started
        try:
            deadline = time.monotonic() + 600
            found = None
            while found is None and time.monotonic() < deadline:
                found = READ_BACK.search(server.log.read_text(errors="replace"))
                time.sleep(0.2)
        finally:
            server.stop()
        print(f"answered /healthz {answered:.2f} s after the process started")
        if found is None:
            print("the server did not log the end of the read-back within 600 s")
            return 1
        print(f"read back {int(found.group(1)):,} comments into the paid-troll index in {float(found.group(2)):.1f} s, "
              f"in the background")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
