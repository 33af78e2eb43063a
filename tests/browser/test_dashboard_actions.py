"""The dashboard's script in a real Chromium, for what the audit found: bulk answers per item, sanctions that
leave the item in place (and show the account's new state), focus after acting on an item that is not the
selected one, long unbroken text, and the try-it box's error for whitespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.dashboard.helpers import PASSWORD, add_moderator, write_policy
from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.fixtures_app import AppFactory, LiveServer
from townhall.app import Townhall
from townhall.service import enforcement
from townhall.service import moderation as svc_mod
from townhall.store import content, people

pytestmark = pytest.mark.browser
EMAIL = "desk@news.example"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    townhall = make_app(sqlite_url, policy=write_policy(tmp_path))
    add_moderator(townhall.services, EMAIL, sites=(townhall.settings.default_site,))
    return townhall


@pytest.fixture
def context(browser: Any, server: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    ctx.add_init_script("window.sessionStorage.setItem('th-undo-ms', '300'); window.sessionStorage.setItem('th-poll-ms', '600000')")
    yield ctx
    ctx.close()


def sign_in(page: Any, server: LiveServer, target: str) -> None:
    page.goto(server.url + "/admin/login?next=" + target)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**" + target.split("?")[0] + "*")


def held_comments(app: Townhall, n: int) -> list[int]:
    out = []
    for i in range(n):
        who = reader(app.services, f"r{i}", f"Reader {i}")
        comment = say(app.services, who, BUDGET, f"Reader {i} says you are an idiot.")
        assert comment["status"] == "held"
        out.append(int(comment["id"]))
    return out


def status_of(app: Townhall, cid: int) -> str:
    with app.services.db.read() as conn:
        return str(content.get_comment(conn, cid)["status"])


def count(page: Any) -> str:
    return str(page.locator(".tabs a.current .count").inner_text())


def test_bulk_removes_only_the_items_decided(app: Townhall, server: LiveServer, page: Any) -> None:
    ids = held_comments(app, 3)
    sign_in(page, server, "/admin/queue/held?site=default")
    assert count(page) == "3"
    for cid in ids[:2]:
        page.locator(f"#item-{cid} .pick").check()
    # another moderator rejects one of them meanwhile
    svc_mod.decide_comment(app.services, moderator_actor("other@news.example"), ids[0], approve=False, reason="Insult.")
    page.select_option("form.bulk select[name=decision]", "approve")
    page.click("form.bulk button[type=submit]")
    page.wait_for_selector(f"#item-{ids[1]}", state="detached")
    conflicted = page.locator(f"#item-{ids[0]}")
    conflicted.locator(".item-error").wait_for()
    assert conflicted.is_visible()
    assert "Another moderator has already decided this comment." in conflicted.locator(".item-error").inner_text()
    assert count(page) == "2"  # lowered by the one item decided, not by the two selected
    assert "1 done; 1 not changed" in page.locator("#toasts").inner_text()
    assert [status_of(app, ids[0]), status_of(app, ids[1])] == ["rejected", "published"]


def test_focus_moves_to_the_next_item_after_acting_on_another(app: Townhall, server: LiveServer, page: Any) -> None:
    ids = held_comments(app, 3)  # listed newest first
    first, second, third = ids[2], ids[1], ids[0]
    sign_in(page, server, "/admin/queue/held?site=default")
    page.wait_for_selector(f"#item-{first}.selected")
    page.locator(f"#item-{second} form.approve button").focus()  # Tabbed there; the first item stays selected
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{second}", state="detached")
    assert page.evaluate("document.activeElement.id") == f"item-{third}"
    assert page.locator(".item.selected").get_attribute("data-id") == str(third)
    # the last item: focus goes back to the one before it, never to <body>
    page.locator(f"#item-{third} form.approve button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{third}", state="detached")
    assert page.evaluate("document.activeElement.id") == f"item-{first}"


def test_other_tabs_counts_follow_a_decision_at_once(app: Townhall, server: LiveServer, page: Any) -> None:
    """A rejected held comment leaves the held count and joins the rejected tab's at once, not at the next poll
    (this file's pages poll every ten minutes)."""
    ids = held_comments(app, 2)
    sign_in(page, server, "/admin/queue/held?site=default")
    rejected = page.locator(".tabs .count[data-queue=rejected]")
    assert (count(page), rejected.inner_text()) == ("2", "0")
    page.locator(f"#item-{ids[0]}").click(position={"x": 400, "y": 10})
    page.keyboard.press("r")
    page.keyboard.type("Insult.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{ids[0]}", state="detached")
    expect(rejected).to_have_text("1")
    assert count(page) == "1"
    assert page.locator(".new-items").count() == 0  # the open queue's own decision is no arrival


def test_sanction_from_the_rejected_tab_keeps_the_item(app: Townhall, server: LiveServer, page: Any) -> None:
    cid = held_comments(app, 1)[0]
    svc_mod.decide_comment(app.services, moderator_actor(EMAIL), cid, approve=False, reason="Insult.")
    sign_in(page, server, "/admin/queue/rejected?site=default")
    item = page.locator(f"#item-{cid}")
    account = int(item.get_attribute("data-account"))
    assert count(page) == "1"
    item.locator("details.more summary").click()
    item.locator("form.sanction input[name=reason]").fill("Keep it civil.")
    with page.expect_navigation():  # the page reloads once the sanction is sent
        item.locator("form.sanction button[type=submit]").click()
    page.locator(f"#item-{cid} .glance .state-warned").wait_for()
    assert count(page) == "1"
    with app.services.db.read() as conn:
        assert people.get_account(conn, account)["state"] == "warned"
    assert status_of(app, cid) == "rejected"


def test_account_page_shows_the_new_state_after_a_ban(app: Townhall, server: LiveServer, page: Any) -> None:
    who = reader(app.services, "banme", "Ban Me")
    sign_in(page, server, f"/admin/accounts/{who.account_id}")
    assert page.locator(".account-head h1 .state").inner_text() == "active"
    assert page.locator("form.restore").count() == 0
    page.locator("details.more summary").click()
    page.select_option("form.sanction select[name=sanction]", "ban")
    page.fill("form.sanction input[name=reason]", "Spam.")
    page.click("form.sanction button[type=submit]")
    page.locator(".account-head h1 .state-banned").wait_for()
    assert page.get_by_role("button", name="Lift sanctions").is_visible()


def test_long_unbroken_text_does_not_widen_the_pages(app: Townhall, server: LiveServer, page: Any) -> None:
    who = reader(app.services, "longurl", "L" * 300)
    url = "https://example.com/" + "a" * 400
    cid = int(say(app.services, who, BUDGET, "You idiot, read " + url)["id"])
    svc_mod.add_note(app.services, moderator_actor(EMAIL), who.account_id, "x" * 600)
    enforcement.moderator_sanction(app.services, moderator_actor(EMAIL), who.account_id, "warn", "Why: " + url)
    sign_in(page, server, "/admin/queue/held?site=default")
    page.locator(f"#item-{cid}").wait_for()
    assert page.evaluate(OVERFLOW) == 0
    page.goto(f"{server.url}/admin/accounts/{who.account_id}")
    assert page.evaluate(OVERFLOW) == 0


def test_try_it_shows_the_error_for_whitespace(app: Townhall, server: LiveServer, page: Any) -> None:
    sign_in(page, server, "/admin/policy?site=default")
    page.fill("#tryit textarea", "   ")
    page.click("#tryit button")
    error = page.locator("#tryit-result p.error")
    error.wait_for()
    assert error.inner_text() == "Paste a text to try."
    assert page.url.endswith("/admin/policy?site=default")
