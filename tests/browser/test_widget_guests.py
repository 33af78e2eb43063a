"""Guest commenting in the widget, where a site allows it: the name asked once, the account kept when a
first comment is refused."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.fixtures_app import AppFactory, LiveServer, make_token

pytestmark = pytest.mark.browser


@contextmanager
def _guest_widget(browser: Any, make_app: AppFactory, sqlite_url: str) -> Iterator[tuple[Any, Any]]:
    """The demo page on a site that allows guests, the widget rendered with guest commenting: (page, widget)."""
    app = make_app(sqlite_url, demo=True, allow_guests=True, policy=os.environ.get("TOWNHALL_TEST_POLICY", ""))
    with LiveServer(app) as server:
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.goto(server.url + "/demo")
            page.wait_for_function("() => !!window.Townhall")
            page.evaluate("Townhall.render(document.getElementById('townhall'), {guests: true})")
            yield page, page.locator("#townhall")
        finally:
            ctx.close()


def test_guest_commenting_where_the_site_allows_it(browser: Any, make_app: AppFactory, sqlite_url: str) -> None:
    with _guest_widget(browser, make_app, sqlite_url) as (page, widget):
        widget.get_by_label("Add a comment").fill("A guest's view.")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.get_by_label("Your name (shown with your comment)")).to_be_focused()
        widget.get_by_label("Your name (shown with your comment)").fill("Gus")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-account")).to_contain_text("Commenting as a guest: Gus")
        expect(widget.locator(".th-c .th-badge")).to_have_text("Guest")
        assert page.evaluate("localStorage.getItem('townhall:guest:default') || ''").count(".") == 2
        page.reload()
        page.wait_for_function("() => !!window.Townhall")
        page.evaluate("Townhall.render(document.getElementById('townhall'), {guests: true})")
        expect(widget.locator(".th-account")).to_contain_text("Commenting as a guest: Gus")
        expect(widget.get_by_role("button", name="Edit")).to_be_visible()  # still the same guest account


def test_a_guest_whose_first_comment_is_refused_keeps_the_account(browser: Any, make_app: AppFactory,
                                                                    sqlite_url: str) -> None:
    """The account made for a guest's refused first comment stays theirs: the corrected comment (and any
    strike) goes to the same account, and the form keeps the text and the reasons while the name field goes."""
    from sqlalchemy import create_engine, text

    with _guest_widget(browser, make_app, sqlite_url) as (page, widget):
        name = widget.get_by_label("Your name (shown with your comment)")
        name.fill("Gus")
        box = widget.get_by_label("Add a comment")
        box.fill("what the fuck is this budget")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
        expect(name).to_be_hidden()
        expect(widget.locator(".th-account")).to_contain_text("Commenting as a guest: Gus")
        expect(box).to_have_value("what the fuck is this budget")  # the form was kept, not rebuilt
        expect(widget.locator(".th-rejected")).to_be_visible()
        box.fill("what on earth is this budget")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.get_by_text("what on earth is this budget")).to_be_visible()
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT c.status, a.display_name, a.guest, c.account_id FROM comments c "
                                     "JOIN accounts a ON a.id = c.account_id ORDER BY c.id")).all()
            accounts = conn.execute(text("SELECT count(*) FROM accounts WHERE guest")).scalar()
    finally:
        engine.dispose()
    assert [(r[0], r[1], bool(r[2])) for r in rows] == [("rejected", "Gus", True), ("published", "Gus", True)]
    assert rows[0][3] == rows[1][3] and accounts == 1


def test_a_refused_guest_is_not_asked_for_a_name_again_in_an_open_reply_form(browser: Any, make_app: AppFactory,
                                                                               sqlite_url: str) -> None:
    """After a guest's first comment is refused, the account stays theirs; a reply form opened before that
    must not keep asking for a name (which would then be ignored) nor refuse to send without one."""
    with _guest_widget(browser, make_app, sqlite_url) as (page, widget):
        status = page.evaluate("""async (token) => {
            const d = document.getElementById('townhall').dataset;
            const r = await fetch('/api/v1/threads/' + encodeURIComponent(d.thread) + '/comments', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-Townhall-Site': d.site, Authorization: 'Bearer ' + token},
                body: JSON.stringify({text: 'The budget adds up this year.'})});
            return [r.status, (await r.json()).comment.status]; }""", make_token("bob", "Bob"))
        assert status == [201, "published"]
        listed = """async () => { const d = document.getElementById('townhall').dataset;
            const r = await fetch('/api/v1/threads/' + encodeURIComponent(d.thread) + '/comments?site=' + d.site);
            return (await r.json()).comments.length; }"""
        deadline = time.monotonic() + 10
        while page.evaluate(listed) != 1:  # signed-out readers' first page is cached for a moment
            assert time.monotonic() < deadline
            page.wait_for_timeout(200)
        page.evaluate("Townhall.render(document.getElementById('townhall'), {guests: true})")
        widget.get_by_role("button", name="Reply").click()
        reply_form = widget.locator("form", has=page.get_by_label("Reply to Bob"))
        expect(reply_form.get_by_label("Your name (shown with your comment)")).to_be_visible()
        main_form = widget.locator("form", has=page.get_by_label("Add a comment"))
        main_form.get_by_label("Your name (shown with your comment)").fill("Gus")
        widget.get_by_label("Add a comment").fill("what the fuck is this budget")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
        expect(reply_form.get_by_label("Your name (shown with your comment)")).to_be_hidden()
        reply_form.get_by_label("Reply to Bob").fill("It does not add up for renters.")
        reply_form.get_by_role("button", name="Post reply").click()
        reply = widget.locator(".th-c", has_text="It does not add up for renters.")
        expect(reply).to_be_visible()
        expect(reply).to_contain_text("Gus")


def test_a_guest_signing_out_keeps_the_focus_in_the_widget(browser: Any, make_app: AppFactory, sqlite_url: str) -> None:
    with _guest_widget(browser, make_app, sqlite_url) as (page, widget):
        widget.get_by_label("Your name (shown with your comment)").fill("Gus")
        widget.get_by_label("Add a comment").fill("A guest's view.")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-account")).to_contain_text("Commenting as a guest: Gus")
        sign_out = widget.get_by_role("button", name="Sign out")
        sign_out.focus()
        page.keyboard.press("Enter")
        expect(widget.get_by_role("button", name="Sign out")).to_have_count(0)
        expect(widget.get_by_label("Your name (shown with your comment)")).to_be_visible()
        expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_focused()
