"""Found by an audit of the moderator dashboard on 2026-11-28 (a moderator's walk through it in a real Chromium); every
test here failed before the fixes. The queue while an action waits out its Undo window (signing out), and while
other moderators act (arrivals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.dashboard.helpers import PASSWORD, add_moderator, write_policy
from tests.dashboard.seed import BUDGET, moderator_actor, reader, say
from tests.fixtures_app import AppFactory, LiveServer
from townhall.app import Townhall
from townhall.service import moderation as svc_mod
from townhall.store import content

pytestmark = pytest.mark.browser
EMAIL = "night@news.example"


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    townhall = make_app(sqlite_url, policy=write_policy(tmp_path))
    add_moderator(townhall.services, EMAIL, sites=(townhall.settings.default_site,))
    add_moderator(townhall.services, "day@news.example", sites=(townhall.settings.default_site,))
    return townhall


@pytest.fixture
def context(browser: Any, server: LiveServer) -> Iterator[Any]:
    # the real Undo window (5 s); polls every 300 ms
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    ctx.add_init_script("window.sessionStorage.setItem('th-poll-ms', '300')")
    yield ctx
    ctx.close()


def sign_in(page: Any, server: LiveServer, target: str) -> None:
    page.goto(server.url + "/admin/login?next=" + target)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**" + target.split("?")[0] + "*")


def held(app: Townhall, sub: str) -> int:
    comment = say(app.services, reader(app.services, sub, sub.title()), BUDGET, f"{sub.title()} says you are an idiot.")
    assert comment["status"] == "held"
    return int(comment["id"])


def status_of(app: Townhall, cid: int) -> str:
    with app.services.db.read() as conn:
        return str(content.get_comment(conn, cid)["status"])


def test_signing_out_sends_the_decisions_still_waiting(app: Townhall, server: LiveServer, page: Any) -> None:
    """Leaving the page sends what waits in its Undo window (pagehide: a beacon), but Sign out ends the session
    first: the beacon arrives without one (401) and the rejection the moderator saw leave the queue is lost."""
    cid = held(app, "carl")
    sign_in(page, server, "/admin/queue/held?site=default")
    expect(page.locator(f"#item-{cid}.selected")).to_be_visible()
    page.keyboard.press("r")
    page.keyboard.type("Name-calling: argue with the figures, not the person.")
    page.keyboard.press("Enter")
    expect(page.locator(f"#item-{cid}")).to_be_hidden()
    page.click("#logout")  # within the 5 s window
    page.wait_for_url("**/admin/login*")
    for _ in range(100):  # the beacon's answer: at once, or (before) never
        if status_of(app, cid) == "rejected":
            break
        page.wait_for_timeout(100)
    assert status_of(app, cid) == "rejected"  # was still "held"


def test_an_arrival_is_announced_when_another_moderator_decided_meanwhile(app: Townhall, server: LiveServer,
                                                                        page: Any) -> None:
    """The page finds arrivals by comparing the queue's size with the count it shows: one comment decided by another
    moderator and one new comment between two polls cancel out, and the newcomer is never announced."""
    first, second = held(app, "alice"), held(app, "bob")
    sign_in(page, server, "/admin/queue/held?site=default")
    expect(page.locator(".queue .item")).to_have_count(2)
    expect(page.locator(".tabs a.current .count")).to_have_text("2")
    svc_mod.decide_comment(app.services, moderator_actor("day@news.example"), first, approve=True, reason="",
                           expect_status="held")
    newcomer = held(app, "erin")
    note = page.locator(".queue .new-items")  # within the next polls (five in 1.5 s), which expect waits for
    expect(note).to_have_text("1 new item in this queue: show")  # never shown
    note.get_by_role("link").click()
    expect(page.locator(f"#item-{newcomer}")).to_be_visible()
    assert second  # still listed: the page moves nothing under the cursor
