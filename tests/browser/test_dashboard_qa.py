"""What a moderator's walk through the dashboard found (QA, 2026-11-27), in a real Chromium: table cells that cut
short words ("pol icy", "7 4", "comment.appr oved"), the shortcuts dialog that left the focus (and the queue's
shortcuts) behind it, and "1 comments" under an author."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_dashboard_actions import EMAIL, app, context, sign_in  # noqa: F401 - fixtures
from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.fixtures_app import LiveServer
from townhall.app import Townhall
from townhall.service import enforcement
from townhall.store import content

pytestmark = pytest.mark.browser

# How many lines the text of an element takes (its text's line boxes, by their tops).
LINES = """el => { const r = document.createRange(); r.selectNodeContents(el);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; }"""


def test_table_cells_keep_short_words_whole(app: Townhall, server: LiveServer, page: Any) -> None:
    who = reader(app.services, "dana", "Dana Okafor")
    url = "https://example.com/" + "a" * 400  # a long unbroken reason still wraps instead of widening the page
    for _ in range(12):  # two-digit audit ids
        say(app.services, who, BUDGET, "The ferry timetable has not been updated for the closure at all.")
    for kind in ("warn", "premoderate"):
        enforcement.moderator_sanction(app.services, moderator_actor(EMAIL), who.account_id, kind,
                                       "Repeated insults after a warning, see " + url)
    sign_in(page, server, "/admin/audit?site=default")
    row = page.locator("table.audit tbody tr").first
    for cell in row.locator("td").all()[:4]:  # #, When, Who, Action: one line each
        assert cell.evaluate(LINES) == 1, cell.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0

    page.set_viewport_size({"width": 768, "height": 1000})
    page.goto(f"{server.url}/admin/accounts/{who.account_id}")
    kinds = page.locator("aside table.grid tbody tr td:nth-child(2)")
    assert kinds.count() == 2
    for i in range(2):  # "premoderate", not "premoderat e"
        first_word = kinds.nth(i).evaluate("el => { const r = document.createRange(); r.selectNodeContents(el.firstChild);"
                                           " return r.getClientRects().length; }")
        assert first_word == 1, kinds.nth(i).inner_text()
    by = page.locator("aside table.grid tbody tr td:nth-child(3)").first
    assert by.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert by.evaluate(LINES) == 1, by.inner_text()  # "mod:desk@news.example" whole
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0


def test_the_shortcuts_dialog_takes_and_gives_back_the_focus(app: Townhall, server: LiveServer, page: Any) -> None:
    who = reader(app.services, "carl", "Carl Jensen")
    cid = int(say(app.services, who, BUDGET, "Only an idiot would believe these numbers.")["id"])
    sign_in(page, server, "/admin/queue/held?site=default")
    page.wait_for_selector(".queue .item.selected")
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert page.evaluate("document.activeElement.className") == "close-help"
    page.keyboard.press("a")  # no approval behind the open dialog
    page.wait_for_timeout(600)
    assert page.locator(f"#item-{cid}").is_visible()
    with app.services.db.read() as conn:
        assert content.get_comment(conn, cid)["status"] == "held"
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    assert page.evaluate("document.activeElement.id") == f"item-{cid}"
    # opened with the button, closed with Enter on Close: the focus is back on the button
    page.click(".help-button")
    assert page.evaluate("document.activeElement.className") == "close-help"
    page.keyboard.press("Enter")
    assert not page.locator("#help").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('help-button')")


def test_one_comment_is_not_comments(app: Townhall, server: LiveServer, page: Any) -> None:
    who = reader(app.services, "carl", "Carl Jensen")
    say(app.services, who, BUDGET, "Only an idiot would believe these numbers.")
    sign_in(page, server, "/admin/queue/held?site=default")
    glance = page.locator(".queue .item .glance").first.inner_text()
    assert "1 comment," in glance and "1 comments" not in glance


def test_a_dashboard_page_logs_no_console_error(app: Townhall, server: LiveServer, page: Any) -> None:
    """The browser asks for /favicon.ico on every page; a 404 was logged as a console error on each."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, server, "/admin/queue/held?site=default")
    page.wait_for_load_state("networkidle")
    assert errors == []
