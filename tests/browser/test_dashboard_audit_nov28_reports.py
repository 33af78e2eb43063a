"""Found by an audit of the moderator dashboard on 2026-11-28 (a moderator's walk through it in a real Chromium); every
test here failed before the fixes. The Reader reports tab with more reported comments than one page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard_actions import EMAIL, sign_in  # noqa: F401
from tests.dashboard.helpers import POLICY, add_moderator
from tests.dashboard.seed import BUDGET, reader, say
from tests.fixtures_app import AppFactory, LiveServer
from townhall.app import Townhall
from townhall.service import comments as svc_comments

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "reports.policy.toml"  # one reader's report queues a comment
    path.write_text(POLICY + "\n[reports]\nthreshold = 1\nnew_account_days = 0\n", encoding="utf-8")
    townhall = make_app(sqlite_url, policy=str(path))
    add_moderator(townhall.services, EMAIL, sites=(townhall.settings.default_site,))
    return townhall


@pytest.fixture
def context(browser: Any, server: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    yield ctx
    ctx.close()


def test_every_reported_comment_the_tab_counts_can_be_reached(app: Townhall, server: LiveServer, page: Any) -> None:
    """Reader reports lists the 50 heaviest (no "Load more": dashboard.queue_view's ``more`` is never true for it): with
    51 reported the tab says 51 and one of them is nowhere on the page until others are decided."""
    svc = app.services
    reporter = reader(svc, "watcher", "Wendy Watcher")
    ids = []
    for i in range(51):
        comment = say(svc, reader(svc, f"w{i}", f"Writer {i}"), BUDGET, f"Writer {i}: cheap watches at example dot com.")
        assert comment["status"] == "published"
        svc_comments.report(svc, reporter, int(comment["id"]), "spam")
        ids.append(int(comment["id"]))
    sign_in(page, server, "/admin/queue/reported?site=default")
    expect(page.locator(".tabs a.current .count")).to_have_text("51")
    more = page.locator(".queue .load-more")
    if more.count():
        more.click()
    expect(page.locator(".queue .item")).to_have_count(51)
    shown = {int(x) for x in page.locator(".queue .item").evaluate_all("els => els.map(e => e.dataset.id)")}
    assert shown == set(ids)
