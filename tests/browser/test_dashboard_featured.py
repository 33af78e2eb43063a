"""Featuring a comment from the dashboard in a real Chromium (SQLite live server): the htmx button on the
account page swaps in the "Featured" mark and the Unfeature button, under the dashboard's Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_dashboard import EMAIL, sign_in
from tests.dashboard.helpers import add_moderator, write_policy
from tests.dashboard.seed import BUDGET, reader, say
from tests.fixtures_app import AppFactory, LiveServer
from townhall.app import Townhall
from townhall.store import content

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=write_policy(tmp_path))


def test_feature_and_unfeature_from_the_account_page(app: Townhall, server: LiveServer, page: Any) -> None:
    svc = app.services
    add_moderator(svc, EMAIL, sites=(app.settings.default_site,))
    who = reader(svc, "ann", "Ann Analyst")
    cid = int(say(svc, who, BUDGET, "The figures on page 40 do add up; here is how.")["id"])
    sign_in(page, server, target=f"/admin/accounts/{who.account_id}")
    page.evaluate("window.stillTheSamePage = true")  # gone if the form were posted and the page loaded again
    form = page.locator(f"#feature-{cid}")
    form.get_by_role("button", name="Feature").click()
    page.locator(f"#feature-{cid} .tag.featured").wait_for()
    assert page.locator(f"#feature-{cid}").get_by_role("button").inner_text() == "Unfeature"
    assert page.evaluate("window.stillTheSamePage === true")  # swapped in place by htmx
    with svc.db.read() as conn:
        assert content.get_comment(conn, cid)["featured_by"] == f"mod:{EMAIL}"
    page.locator(f"#feature-{cid}").get_by_role("button", name="Unfeature").click()
    page.locator(f"#feature-{cid} .tag.featured").wait_for(state="detached")
    with svc.db.read() as conn:
        assert content.get_comment(conn, cid)["featured_at"] is None


def test_a_refused_feature_request_is_shown_and_keeps_the_button(app: Townhall, server: LiveServer, page: Any) -> None:
    """htmx swaps no 4xx answer by default: a refusal (the comment rejected meanwhile: 409; a form the server
    cannot read: 422) is shown as the dashboard shows other refused actions, a toast with the server's message,
    and the button stays, with the focus."""
    svc = app.services
    add_moderator(svc, EMAIL, sites=(app.settings.default_site,))
    who = reader(svc, "ann", "Ann Analyst")
    cid = int(say(svc, who, BUDGET, "The figures on page 40 do add up; here is how.")["id"])
    sign_in(page, server, target=f"/admin/accounts/{who.account_id}")
    with svc.db.write() as conn:  # another moderator rejects it while this page is open
        content.update_comment(conn, cid, status="rejected")
    button = page.locator(f"#feature-{cid}").get_by_role("button", name="Feature")
    button.click()
    toast = page.locator("#toasts .toast", has_text="Only a published comment can be featured.")
    toast.wait_for()
    assert toast.get_attribute("role") == "status"
    assert page.locator(f"#feature-{cid}").get_by_role("button", name="Feature").count() == 1
    assert page.evaluate(f"document.activeElement === document.querySelector('#feature-{cid} button')")
    page.locator(f"#feature-{cid} input[name=featured]").evaluate("el => { el.value = 'maybe'; }")
    button.click()
    page.locator("#toasts .toast", has_text="The request is not valid.").wait_for()
    assert page.locator(f"#feature-{cid}").get_by_role("button", name="Feature").count() == 1  # not swapped away
    with svc.db.read() as conn:
        assert content.get_comment(conn, cid)["featured_at"] is None


def test_the_swapped_button_keeps_the_keyboard_focus(app: Townhall, server: LiveServer, page: Any) -> None:
    """The answer replaces the form (outerHTML): the new button takes the focus of the one pressed, so a keyboard
    user can press it again (Unfeature) instead of starting again from the top of the page."""
    svc = app.services
    add_moderator(svc, EMAIL, sites=(app.settings.default_site,))
    who = reader(svc, "ann", "Ann Analyst")
    cid = int(say(svc, who, BUDGET, "The figures on page 40 do add up; here is how.")["id"])
    sign_in(page, server, target=f"/admin/accounts/{who.account_id}")
    page.locator(f"#feature-{cid}").get_by_role("button", name="Feature").focus()
    page.keyboard.press("Enter")
    page.locator(f"#feature-{cid} .tag.featured").wait_for()
    focused = f"document.activeElement === document.querySelector('#feature-{cid} button')"
    page.wait_for_timeout(100)  # htmx settles the swap (20 ms) before it gives the focus back
    assert page.evaluate(focused)
    page.keyboard.press("Enter")
    page.locator(f"#feature-{cid} .tag.featured").wait_for(state="detached")
    page.wait_for_timeout(100)
    assert page.evaluate(focused)
    with svc.db.read() as conn:
        assert content.get_comment(conn, cid)["featured_at"] is None
