"""The dashboard's Articles pages in a real Chromium (SQLite live server), under the dashboard's
Content-Security-Policy: closing an article from the list swaps its row in place and keeps the focus; a refusal is a
toast with the server's message; a publication date set on the article's page, older than the site's
close_after_days, shows the thread closed by age; the pages work from the keyboard and pass axe."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, check_axe
from tests.browser.test_dashboard import EMAIL, sign_in
from tests.dashboard.helpers import POLICY, add_moderator
from tests.fixtures_app import AppFactory, Clock, LiveServer
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service import thread_metadata as meta
from townhall.service.identity import Actor
from townhall.store import content

pytestmark = pytest.mark.browser
DAYS = 30


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "articles.policy.toml"
    path.write_text(POLICY + f"\n[comments]\nclose_after_days = {DAYS}\n", encoding="utf-8")
    return make_app(sqlite_url, policy=str(path))


def register(app: Townhall, tid: str, title: str) -> int:
    meta.update_thread(app.services, Actor.cli(), app.settings.default_site, tid, meta.ThreadChanges(title=title))
    with app.services.db.read() as conn:
        return int(content.get_thread(conn, app.settings.default_site, tid)["id"])


def state_of(app: Townhall, tid: str) -> str:
    with app.services.db.read() as conn:
        return str(content.get_thread(conn, app.settings.default_site, tid)["state"])


def test_close_an_article_from_the_list(app: Townhall, server: LiveServer, page: Any) -> None:
    svc = app.services
    moderator = add_moderator(svc, EMAIL, sites=(app.settings.default_site,))
    bridge = register(app, "bridge-closure", "Old Town bridge to close for two years")
    register(app, "budget-2027", "Budget 2027: what the chancellor announced")
    sign_in(page, server, target="/admin/articles")
    page.evaluate("window.stillTheSamePage = true")  # gone if the form were posted and the page loaded again
    row = page.locator(f"#thread-{bridge}")
    expect(row).to_have_attribute("data-state", "open")
    row.get_by_role("button", name="Close comments on Old Town bridge").click()
    expect(row).to_have_attribute("data-state", "closed")
    expect(row.locator(".thread-state-cell")).to_contain_text("closed by a moderator")
    button = row.get_by_role("button", name="Open comments on Old Town bridge")
    expect(button).to_be_focused()  # swapped in place, the focus on the new button
    assert page.evaluate("window.stillTheSamePage === true")
    assert state_of(app, "bridge-closure") == "closed"

    # an admin takes the site away from the moderator while the page is open: the next click is refused
    moderators.update_moderator(svc, Actor.cli(), moderator, role="moderator", sites=[])
    button.click()
    toast = page.locator("#toasts .toast", has_text="You do not moderate this site.")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("role", "status")
    expect(row).to_have_attribute("data-state", "closed")  # left as it was
    expect(row.get_by_role("button", name="Open comments on Old Town bridge")).to_be_focused()
    assert state_of(app, "bridge-closure") == "closed"


def tab_to(page: Any, target: Any, limit: int = 12) -> None:
    """Press Tab until ``target`` has the focus (a datetime-local box takes a Tab per part of the date)."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def test_a_publication_date_past_the_limit_closes_by_age(app: Townhall, server: LiveServer, page: Any,
                                                         clock: Clock) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    register(app, "budget-2027", "Budget 2027: what the chancellor announced")
    sign_in(page, server, target="/admin/articles")
    page.get_by_role("link", name="budget-2027").click()
    panel = page.locator("#article-panel")
    expect(panel).to_have_attribute("data-state", "open")
    date = page.get_by_label("Publication date and time (UTC)")

    # a date before 1990: the error beside the field, from the keyboard
    page.get_by_label("Title").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(date).to_be_focused()
    date.fill("1989-06-01T08:00")
    tab_to(page, page.get_by_role("button", name="Save"))  # past the date's day, month, year, hour and minute
    page.keyboard.press("Enter")
    error = page.locator("#article-published_at-error")
    expect(error).to_contain_text("1 January 1990 or later")
    expect(page.get_by_label("Publication date and time (UTC)")).to_have_attribute("aria-invalid", "true")

    old = (clock.now - timedelta(days=DAYS + 3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Publication date and time (UTC)").fill(old)
    page.get_by_role("button", name="Save").press("Enter")
    expect(panel).to_have_attribute("data-reason", "age")
    expect(panel.locator(".thread-state-cell")).to_contain_text("closed by age")
    expect(panel.get_by_role("status")).to_have_text("Saved.")
    expect(error).to_have_count(0)
    expect(panel.locator(".article-audit")).to_contain_text("thread.updated")
    expect(page.get_by_role("button", name="Save")).to_be_focused()  # the focus stays where it was

    # the list says the same
    page.get_by_role("link", name="← Articles").click()
    page.get_by_label("State").select_option("aged")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.articles tbody tr")).to_have_count(1)
    expect(page.locator("table.articles tbody tr")).to_have_attribute("data-reason", "age")




def test_the_articles_pages_pass_axe(app: Townhall, server: LiveServer, browser: Any, clock: Clock) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    register(app, "bridge-closure", "Old Town bridge to close for two years")
    budget = register(app, "budget-2027", "Budget 2027: what the chancellor announced")
    meta.update_thread(app.services, Actor.cli(), "default", "aged",
                       meta.ThreadChanges(title="An old story", published_at=clock.now - timedelta(days=DAYS + 1)))
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900}, locale="en-GB")  # for axe
    try:
        page = ctx.new_page()
        sign_in(page, server, target="/admin/articles")
        page.locator(f"#thread-{budget}").get_by_role("button", name="Close").click()
        expect(page.locator(f"#thread-{budget}")).to_have_attribute("data-state", "closed")
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # the list, with open, closed and aged rows
        page.goto(server.url + "/admin/articles/budget-2027")
        page.get_by_label("Publication date and time (UTC)").fill("1980-01-01T00:00")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#article-published_at-error")).to_be_visible()
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # the article's page with a refused field
    finally:
        ctx.close()
