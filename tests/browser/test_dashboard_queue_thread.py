"""One article's queues in a real Chromium (SQLite live server), under the dashboard's Content-Security-Policy: from
the Articles list the held count opens that article's held queue; a decision there lowers the article's held count
and raises its rejected count at once (the after-decision refresh asks for the article's sizes); the 15 s poll keeps
counting that article only; the chip's "show all articles" clears the filter; the pages pass axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE
from tests.browser.test_dashboard import EMAIL, sign_in, status_of
from tests.browser.conftest import check_axe
from tests.dashboard.helpers import add_moderator, write_policy
from tests.dashboard.seed import reader, say
from tests.fixtures_app import AppFactory, Clock, LiveServer
from townhall.app import Townhall
from townhall.store import content

pytestmark = pytest.mark.browser
BUDGET = ("budget-2027", "Budget 2027: what the chancellor announced")
BRIDGE = ("bridge-closure", "Old Town bridge to close for two years")
HELD, REJECTED = "What an idiot the minister is.", "This is fucking theft."


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=write_policy(tmp_path))


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    ctx.add_init_script("window.sessionStorage.setItem('th-undo-ms', '700')")
    yield ctx
    ctx.close()


def comment(app: Townhall, thread: tuple[str, str], sub: str, text: str) -> dict[str, Any]:
    return say(app.services, reader(app.services, sub, sub.title()), thread, text)


@pytest.fixture
def seeded(app: Townhall, clock: Clock) -> dict[str, list[int]]:
    """Budget: 2 held, 1 rejected; bridge: 3 held, 2 rejected (the site: 5 held, 3 rejected)."""
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    out: dict[str, list[int]] = {"budget": [], "bridge": []}
    for thread, held, rejected in ((BUDGET, 2, 1), (BRIDGE, 3, 2)):
        key = thread[0].split("-")[0]
        for n in range(held):
            out[key].append(int(comment(app, thread, f"{key}-h{n}", HELD)["id"]))
            clock.advance(seconds=1)
        for n in range(rejected):
            comment(app, thread, f"{key}-r{n}", REJECTED)
            clock.advance(seconds=1)
    return out


def thread_pk(app: Townhall, tid: str) -> int:
    with app.services.db.read() as conn:
        return int(content.get_thread(conn, app.settings.default_site, tid)["id"])


def count(page: Any, queue: str) -> Any:
    return page.locator(f'.tabs .count[data-queue="{queue}"]')


def test_moderate_one_article_from_the_articles_list(app: Townhall, seeded: dict[str, list[int]], server: LiveServer,
                                                     page: Any) -> None:
    sign_in(page, server, target="/admin/articles")
    row = page.locator(f"#thread-{thread_pk(app, 'budget-2027')}")
    row.get_by_role("link", name="2 held: this article's queue").click()
    page.wait_for_url("**/admin/queue/held?site=default&thread=budget-2027")
    chip = page.locator(".article-filter")
    expect(chip).to_contain_text("Article: Budget 2027: what the chancellor announced")
    expect(page.locator(".queue .item")).to_have_count(2)
    expect(count(page, "held")).to_have_text("2")
    expect(count(page, "rejected")).to_have_text("1")  # the article's, not the site's 3

    # reject the newest from the keyboard: the article's held count drops, its rejected count rises at once
    target = seeded["budget"][-1]
    expect(page.locator(".item.selected")).to_have_attribute("data-id", str(target))
    with page.expect_request(lambda r: "/admin/queue-sizes" in r.url) as asked:
        page.keyboard.press("r")
        page.keyboard.type("Call the argument wrong, not the person an idiot.")
        page.keyboard.press("Enter")
        expect(page.locator(f"#item-{target}")).to_have_count(0)
    assert "thread=budget-2027" in asked.value.url and "site=default" in asked.value.url
    expect(count(page, "held")).to_have_text("1")
    expect(count(page, "rejected")).to_have_text("2", timeout=3000)  # not the next 15 s poll; the site has 4 now
    assert status_of(app, target) == "rejected"
    expect(page.locator(".queue .item")).to_have_count(1)

    # the chip clears the filter: every article's items, and the site's counts
    chip.get_by_role("link", name="show all articles").click()
    page.wait_for_url("**/admin/queue/held?site=default")
    expect(page.locator(".article-filter")).to_have_count(0)
    expect(page.locator(".queue .item")).to_have_count(4)
    expect(count(page, "held")).to_have_text("4")
    expect(count(page, "rejected")).to_have_text("4")
    # an item links to its article's queue
    page.locator(f"#item-{seeded['bridge'][0]}").get_by_role("link", name="this article's queue").click()
    page.wait_for_url("**/admin/queue/held?site=default&thread=bridge-closure")
    expect(page.locator(".queue .item")).to_have_count(3)


def test_the_poll_counts_the_articles_arrivals_only(app: Townhall, seeded: dict[str, list[int]], server: LiveServer,
                                                    page: Any) -> None:
    sign_in(page, server, target="/admin/queue/held?site=default&thread=budget-2027")
    expect(page.locator(".queue .item")).to_have_count(2)
    page.evaluate("window.sessionStorage.setItem('th-poll-ms', '300')")
    page.reload()
    expect(page.locator(".queue .item")).to_have_count(2)
    comment(app, BRIDGE, "elsewhere", HELD)  # another article's: not this queue's arrival
    comment(app, BUDGET, "newcomer", HELD)
    note = page.locator(".queue .new-items")
    expect(note).to_have_text("1 new item in this queue: show")
    expect(count(page, "held")).to_have_text("3")  # the site has 7
    for _ in range(3):  # a few more polls: still the article's counts
        with page.expect_request(lambda r: "/admin/queue-sizes" in r.url) as asked:
            pass
        assert "thread=budget-2027" in asked.value.url
    expect(count(page, "held")).to_have_text("3")
    expect(note).to_have_text("1 new item in this queue: show")
    note.get_by_role("link").click()
    expect(page.locator(".queue .item")).to_have_count(3)
    expect(page.locator(".article-filter")).to_be_visible()


def test_the_filtered_queue_passes_axe(app: Townhall, seeded: dict[str, list[int]], server: LiveServer,
                                       browser: Any) -> None:
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900}, locale="en-GB")  # for axe
    try:
        page = ctx.new_page()
        sign_in(page, server, target="/admin/articles")
        expect(page.locator("a.held-queue")).to_have_count(2)
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # the list with its held counts as links
        page.goto(server.url + "/admin/queue/held?site=default&thread=budget-2027")
        expect(page.locator(".article-filter")).to_be_visible()
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # the filtered queue with its chip
        page.goto(server.url + "/admin/queue/held?site=default")
        expect(page.locator("a.thread-queue")).to_have_count(5)
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # items with their "this article's queue" links
    finally:
        ctx.close()
