"""Reader widget benchmark: time to first render in headless Chromium, and the size of embed.js.

    python bench/widget.py                    # 100- and 10,000-comment threads, 5 cold runs each
    python bench/widget.py --runs 9 --sizes 100,1000,10000

For each thread size it starts Townhall on a temporary SQLite database (on /dev/shm where there is one),
seeds one thread, serves a bare host page holding only the widget's <div> and <script src="/embed.js">, and
loads it in a fresh browser context each run (a cold HTTP cache). "First render" is the time from navigation
start until the first comment is in the widget's shadow DOM (a MutationObserver records performance.now()).
It also reports when embed.js had arrived and how long the first page's API call took (Resource Timing), and
how many comments the first render drew. Each thread is measured newest-first (the default: recent top-level
comments, which have few replies yet) and oldest-first (the heaviest first page: early comments carry up to 50
replies each).

Seeding: threads of up to --service-limit comments are posted through the service layer (comments.post: the
house rules judge every comment, exactly as a reader's POST). Larger threads are bulk-inserted with the store's
insert_comment in one transaction (same rows, same rendering), because posting 10,000 comments one by one takes
~40-70 ms each on SQLite here (minutes of seeding that measure nothing about the widget).
Shape: 40% top-level comments, 60% replies to a uniformly chosen earlier comment (so threads nest), 200 readers,
every 10th a supporter. Chromium is Debian's (/usr/bin/chromium); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from townhall.app import Townhall, create_app  # noqa: E402
from townhall.service import accounts as acct  # noqa: E402
from townhall.service import comments as svc_comments  # noqa: E402
from townhall.service.render import render  # noqa: E402
from townhall.settings import Settings  # noqa: E402
from townhall.testing import LiveServer  # noqa: E402
from townhall.store import content  # noqa: E402
from townhall.web.widget_bundle import bundle  # noqa: E402

CHROMIUM = os.environ.get("TOWNHALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SENTENCES = [
    "The drawdown is smaller than the headlines suggest.", "Hmeimim stays, and so do the strike aircraft that matter.",
    "I read the TASS piece differently: it says the air group continues its work.",
    "A ceasefire that excludes ISIS and al-Nusra is a ceasefire with a very large hole in it.",
    "Does anyone have a source for the number of aircraft that actually flew home?",
    "This is a political signal to Damascus as much as a military decision.",
    "Good piece. The distinction between drawdown and withdrawal is the whole story.",
    "Remember that the helicopters are staying; they do most of the close support anyway.",
    "Time will tell. Announcements like this have been walked back before.",
    "The map in the second paragraph would help if it showed the front lines in March.",
]


class Clock:
    """A clock that can be set back while seeding, so comments carry a spread of ages."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def make_app(directory: str, clock: Clock, **overrides: Any) -> Townhall:
    values: dict[str, Any] = {"database_url": f"sqlite:///{directory}/townhall.db", "data_dir": directory,
                              "sso_secret": "bench-sso-secret-which-is-long-enough-for-hs256",
                              "rate_limit_per_minute": 0, "troll_interval_seconds": 0, "demo": True}
    values.update(overrides)
    return create_app(Settings(**values), clock=clock)


def readers(app: Townhall, count: int = 200) -> list[Any]:
    svc = app.services
    site = svc.settings.default_site
    return [acct.sign_in_sso(svc, site, {"sub": f"bench-{i}", "name": f"Reader {i}", "supporter": i % 10 == 0})
            for i in range(count)]


def seed(app: Townhall, thread: str, n: int, *, via_service: bool, clock: Clock, rng: random.Random) -> list[int]:
    """Seed ``n`` published comments in ``thread``; returns their ids, oldest first."""
    svc = app.services
    people = readers(app)
    ids: list[int] = []
    span = timedelta(hours=6)
    clock.offset = -span
    step = span / max(n, 1)
    if via_service:
        for i in range(n):
            parent = rng.choice(ids) if ids and rng.random() < 0.6 else None
            text = rng.choice(SENTENCES) + f" ({i})"
            posted = svc_comments.post(svc, rng.choice(people), thread, text, parent)
            if posted.comment["status"] == "published":
                ids.append(posted.comment["id"])
            clock.offset += step
    else:
        with svc.db.write() as conn:
            site: Any = content.get_site(conn, svc.settings.default_site)
            assert site is not None
            row = svc_comments.get_or_create_thread(conn, svc, site, thread)
            shape: dict[int, tuple[int | None, int]] = {}  # id -> (root id, depth)
            for i in range(n):
                parent = rng.choice(ids) if ids and rng.random() < 0.6 else None
                root, depth = (None, 0)
                if parent is not None:
                    proot, pdepth = shape[parent]
                    root, depth = (proot or parent, pdepth + 1)
                text = rng.choice(SENTENCES) + f" ({i})"
                cid = content.insert_comment(
                    conn, thread_id=row["id"], account_id=rng.choice(people).account_id, parent_id=parent, root_id=root,
                    depth=depth, body=text, html=render(text), status="published", reactions=rng.choice((0, 0, 0, 1, 2, 5)),
                    created_at=clock(), ip_hash=None, ua_hash=None, device_hash=None)
                shape[cid] = (root, depth)
                ids.append(cid)
                clock.offset += step
    clock.offset = timedelta(0)
    return ids


HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>widget bench</title></head><body>
<div id="townhall" data-thread="{thread}" data-sort="{sort}"></div>
<script>
document.addEventListener('townhall:ready', function () {{
  var root = document.getElementById('townhall').shadowRoot;
  function check() {{
    if (!root.querySelector('.th-c')) return false;
    window.__firstRender = performance.now();
    window.__drawn = root.querySelectorAll('.th-c').length;
    return true;
  }}
  if (!check()) {{ var mo = new MutationObserver(function () {{ if (check()) mo.disconnect(); }}); mo.observe(root, {{childList: true, subtree: true}}); }}
}});
</script>
<script src="/embed.js" async></script>
</body></html>"""


def measure(browser: Any, url: str, thread: str, sort: str = "newest") -> dict[str, float]:
    ctx = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        page = ctx.new_page()
        page.route(url + "/bench-page", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                     body=HOST_PAGE.format(thread=thread, sort=sort)))
        page.goto(url + "/bench-page")
        page.wait_for_function("() => window.__firstRender !== undefined", timeout=60000)
        return page.evaluate("""() => {
          const res = performance.getEntriesByType('resource');
          const js = res.find(r => r.name.endsWith('/embed.js'));
          const api = res.find(r => r.name.includes('/comments?'));
          return {first: window.__firstRender, drawn: window.__drawn, script: js ? js.responseEnd : NaN,
                  api: api ? api.responseEnd : NaN, api_ms: api ? api.responseEnd - api.requestStart : NaN};
        }""")  # type: ignore[no-any-return]
    finally:
        ctx.close()


def embed_size() -> tuple[int, int]:
    data = bundle()  # /embed.js as served: the widget's parts (townhall/web/static/widget/) concatenated
    return len(data), len(gzip.compress(data, compresslevel=9))


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def scratch_dir() -> str:
    return tempfile.mkdtemp(prefix="townhall-widget-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def run(sizes: list[int], runs: int, service_limit: int, out: Callable[[str], None] = print) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    raw, gz = embed_size()
    out(f"embed.js: {raw:,} bytes, {gz:,} bytes gzipped (level 9); budget 40 KiB gzipped")
    results = []
    with sync_playwright() as pw:
        browser = launch(pw)
        out(f"Chromium {browser.version}, headless; {runs} cold runs per thread after one warm-up")
        for n in sizes:
            clock = Clock()
            app = make_app(scratch_dir(), clock)
            try:
                thread = f"bench-{n}"
                t0 = time.perf_counter()
                ids = seed(app, thread, n, via_service=n <= service_limit, clock=clock, rng=random.Random(n))
                seeded = time.perf_counter() - t0
                out(f"{len(ids):>6,} comments, seeded via {'service' if n <= service_limit else 'store (bulk)'} in {seeded:.1f} s")
                with LiveServer(app) as server:
                    for sort in ("newest", "oldest"):
                        measure(browser, server.url, thread, sort)  # warm-up: server code paths, Chromium processes
                        samples = [measure(browser, server.url, thread, sort) for _ in range(runs)]
                        first = [s["first"] for s in samples]
                        row = {"comments": len(ids), "sort": sort, "seed_s": seeded,
                               "first_median_ms": statistics.median(first), "first_min_ms": min(first),
                               "first_max_ms": max(first), "script_ms": statistics.median(s["script"] for s in samples),
                               "api_ms": statistics.median(s["api_ms"] for s in samples), "drawn": samples[0]["drawn"]}
                        results.append(row)
                        out(f"  sort={sort:<6}: first render median {row['first_median_ms']:.0f} ms (min {row['first_min_ms']:.0f}, "
                            f"max {row['first_max_ms']:.0f}) after navigation start; embed.js in at {row['script_ms']:.0f} ms; "
                            f"first-page API call {row['api_ms']:.0f} ms; {row['drawn']} comments drawn")
            finally:
                app.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,10000", help="comma-separated thread sizes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--service-limit", type=int, default=1000,
                        help="threads up to this size are posted through the service layer; larger ones bulk-inserted")
    args = parser.parse_args()
    run([int(x) for x in args.sizes.split(",")], args.runs, args.service_limit)


if __name__ == "__main__":
    main()
