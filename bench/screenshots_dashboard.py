"""Screenshots of the moderators' dashboard for the docs: the queue, an account page and a troll cluster.

    python bench/screenshots_dashboard.py [--out docs]

Seeds a temporary SQLite installation through the services (tests/dashboard/seed.py), serves it on a
loopback port and photographs it with the system Chromium (/usr/bin/chromium) through Playwright.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dashboard.helpers import PASSWORD, add_moderator, write_policy  # noqa: E402
from tests.dashboard.seed import seed_morning  # noqa: E402
from tests.fixtures_app import SSO_SECRET, Clock, LiveServer  # noqa: E402
from townhall.app import create_app  # noqa: E402
from townhall.settings import Settings  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock()
        settings = Settings(database_url=f"sqlite:///{tmp}/townhall.db", data_dir=tmp, sso_secret=SSO_SECRET,
                            policy=write_policy(Path(tmp)), rate_limit_per_minute=0, troll_interval_seconds=0)
        app = create_app(settings, clock=clock)
        seeded = seed_morning(app.services, clock)
        add_moderator(app.services, "editor@news.example", sites=(settings.default_site,))
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
            page.goto(f"{server.url}/admin/login")
            page.fill("input[name=email]", "editor@news.example")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/queue/held**")
            page.keyboard.press("j")
            page.screenshot(path=str(out / "dashboard-queue.png"), full_page=False)
            page.goto(f"{server.url}/admin/accounts/{seeded.readers['carl'].account_id}")
            page.screenshot(path=str(out / "dashboard-account.png"), full_page=False)
            page.goto(f"{server.url}/admin/clusters/{seeded.flag}")
            page.screenshot(path=str(out / "dashboard-cluster.png"), full_page=True)
            browser.close()
        app.close()
    for name in ("queue", "account", "cluster"):
        print(out / f"dashboard-{name}.png")


if __name__ == "__main__":
    main()
