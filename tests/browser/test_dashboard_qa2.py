"""What a second QA walk through the Articles pages found (2026-11-28), in a real Chromium: the list and an
article's audit table widening a narrow window (400 px) and cutting titles, ids and "changed" letter by letter, a
state badge broken inside itself ("closed by / age") at 1280 px, and a refused save that left the focus on Save."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import EMAIL, sign_in
from tests.browser.test_dashboard_articles import DAYS, app, register  # noqa: F401 - fixtures
from tests.dashboard.helpers import add_moderator
from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.fixtures_app import Clock, LiveServer
from townhall.app import Townhall
from townhall.service import enforcement
from townhall.service import moderation as svc_mod
from townhall.service import thread_metadata as meta
from townhall.service.identity import Actor

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The words of an element's text that its lines cut in two (a word whose range has line boxes on several lines);
# a line may end after a hyphen or a slash ("council-|budget", "/news/|x").
BROKEN_WORDS = """el => { const out = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const re = /[^\\s\\/-]+/g; let m;
    while ((m = re.exec(node.data))) {
      const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out; }"""
# How many lines the text of an element takes (its text's line boxes, by their tops).
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""
TITLE = "Council approves the October budget for the riverside ferry terminal and the new cycle bridge"


def articles(app: Townhall, clock: Clock) -> int:
    """Three articles, open, closed by a moderator and closed by age (one premoderated); the first one's row id."""
    first = register(app, "council-budget-october-2026-riverside", TITLE)
    meta.update_thread(app.services, Actor.cli(), "default", "council-budget-october-2026-riverside",
                       meta.ThreadChanges(url="/news/council-budget", premoderated=True,
                                          published_at=clock.now - timedelta(days=2)))
    register(app, "bridge-closure", "Old Town bridge to close for two years")
    svc_mod.set_thread_state(app.services, Actor.cli(), "default", "bridge-closure", "closed")
    meta.update_thread(app.services, Actor.cli(), "default", "aged",
                       meta.ThreadChanges(title="An old story: " + TITLE + "; " + TITLE.lower() + "; " + TITLE.lower(),
                                          published_at=clock.now - timedelta(days=DAYS + 1)))
    return first


def test_the_articles_list_fits_a_narrow_window(app: Townhall, server: LiveServer, page: Any,  # noqa: F811
                                                clock: Clock) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    first = articles(app, clock)
    sign_in(page, server, target="/admin/articles")
    page.set_viewport_size({"width": 400, "height": 800})
    page.reload()
    row = page.locator(f"#thread-{first}")
    expect(row).to_be_visible()
    assert page.evaluate(OVERFLOW) == 0  # was 752 px wide
    header = page.locator("header.top").evaluate("el => el.getBoundingClientRect().width")
    assert header == page.evaluate("document.documentElement.clientWidth")
    # only the table scrolls sideways, in a region the keyboard reaches and a screen reader names
    region = page.get_by_role("region", name="Articles")
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("el => el.contains(document.querySelector('table.articles'))")
    # titles and ids wrap between words, not inside them ("Octobe|r")
    assert row.locator("td").first.evaluate(BROKEN_WORDS) == []
    # the Close button is reached by scrolling the table, not the page
    button = row.get_by_role("button", name="Close comments on Council approves")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    assert page.evaluate("window.scrollX") == 0

    page.goto(server.url + "/admin/articles/bridge-closure?site=default")
    assert page.evaluate(OVERFLOW) == 0

    # the other dashboard tables, where they fitted before: the queue, an account, the audit log (at 400 px: the
    # next test)
    who = reader(app.services, "dana", "Dana Okafor")
    say(app.services, who, BUDGET, "Only an idiot would believe these numbers.")
    enforcement.moderator_sanction(app.services, moderator_actor(EMAIL), who.account_id, "warn",
                                   "Repeated insults after a warning")
    page.set_viewport_size({"width": 768, "height": 800})
    for target in ("/admin/articles", "/admin/queue/held?site=default", f"/admin/accounts/{who.account_id}",
                   "/admin/audit?site=default"):
        page.goto(server.url + target)
        assert page.evaluate(OVERFLOW) == 0, target


def test_an_articles_audit_table_fits_a_narrow_window(app: Townhall, server: LiveServer,  # noqa: F811
                                                      page: Any, clock: Clock) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    articles(app, clock)
    sign_in(page, server, target="/admin/articles/council-budget-october-2026-riverside")
    page.set_viewport_size({"width": 400, "height": 800})
    page.reload()
    details = page.locator(".article-audit tbody td.details").first
    expect(details).to_be_visible()
    assert page.evaluate(OVERFLOW) == 0  # was 592 px
    expect(details).to_contain_text("premoderated: false → true")  # field: from → to, not the JSON
    for name in details.locator("b").all():  # the fields' names whole ("chan|ged"); a long address may wrap
        assert name.evaluate(BROKEN_WORDS) == [], name.inner_text()
    assert details.evaluate("el => el.getBoundingClientRect().width") >= 150  # not squeezed into a strip
    for cell in page.locator(".article-audit tbody tr").first.locator("td").all()[:3]:  # When, Who, Action
        assert cell.evaluate(BROKEN_WORDS) == [], cell.inner_text()


def test_state_badges_stay_on_one_line(app: Townhall, server: LiveServer, page: Any,  # noqa: F811
                                       clock: Clock) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    articles(app, clock)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, target="/admin/articles")
    badges = page.locator("table.articles .state")
    expect(badges).to_have_count(3)
    for badge in badges.all():
        assert badge.evaluate(LINES) == 1, badge.inner_text()  # "closed by / age"
    assert page.evaluate(OVERFLOW) == 0


def test_a_refused_save_names_the_field_by_its_label_and_takes_the_focus(app: Townhall,  # noqa: F811
                                                                        server: LiveServer, page: Any) -> None:
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    register(app, "budget-2027", "Budget 2027: what the chancellor announced")
    sign_in(page, server, target="/admin/articles/budget-2027")
    date = page.get_by_label("Publication date and time (UTC)")
    date.fill("1989-06-01T08:00")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#article-published_at-error")
    expect(error).to_have_text("Publication date must be 1 January 1990 or later.")
    date = page.get_by_label("Publication date and time (UTC)")
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(date).to_be_focused()  # not left on Save

    date.fill("")
    page.get_by_label("Address (URL)").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#article-url-error")).to_contain_text("Address (URL) must be an absolute http://")
    expect(page.get_by_label("Address (URL)")).to_be_focused()


def test_the_queue_an_account_and_the_audit_log_fit_a_phone(app: Townhall, server: LiveServer, page: Any,  # noqa: F811
                                                             clock: Clock) -> None:
    """At 400 px the held queue (its tabs' row), an account's page and the audit log widened the page (by 135, 28
    and 318 px): a moderator on a phone scrolled the whole page sideways. Tables scroll in their own box."""
    add_moderator(app.services, EMAIL, sites=(app.settings.default_site,))
    articles(app, clock)
    who = reader(app.services, "dana", "Dana Okafor")
    say(app.services, who, BUDGET, "Only an idiot would believe these numbers.")
    enforcement.moderator_sanction(app.services, moderator_actor(EMAIL), who.account_id, "warn",
                                   "Repeated insults after a warning")
    sign_in(page, server, target="/admin/articles")
    page.set_viewport_size({"width": 400, "height": 800})
    widths = {}
    for target in ("/admin/queue/held?site=default", f"/admin/accounts/{who.account_id}", "/admin/audit?site=default"):
        page.goto(server.url + target)
        widths[target] = page.evaluate(OVERFLOW)
    assert set(widths.values()) == {0}, widths
