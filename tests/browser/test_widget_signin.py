"""Asking a reader to sign in: a signed-out reader's Reply (shown where the thread is open, asking them to sign in
as Like and Report do; a guest's Reply, where the site allows guests, still opens the form with a name), and a
sign-in that expired while several requests were on their way asking the publisher once, not once per request."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, login, open_demo, render_demo
from tests.fixtures_app import AppFactory, LiveServer, make_token

pytestmark = pytest.mark.browser

COUNT_REQUESTS = """() => { window.loginRequests = [];
  document.addEventListener('townhall:login-request', (e) => window.loginRequests.push(e.detail)); }"""


def test_a_signed_out_reader_gets_reply_which_asks_them_to_sign_in(page: Any, server: LiveServer, api: Api) -> None:
    first = api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server)
    page.evaluate(COUNT_REQUESTS)
    reply = article(widget, first["id"]).get_by_role("button", name="Reply")
    expect(reply).to_be_visible()
    reply.click()
    expect(widget.locator("[role=alert]")).to_have_text("Sign in to do this.")
    page.wait_for_function("() => window.loginRequests.length === 1")
    assert page.evaluate("window.loginRequests") == [{"site": "default", "thread": THREAD}]
    expect(widget.get_by_label("Reply to Bob")).to_have_count(0)  # no form: there is nobody to send it as
    assert page.evaluate(DEEP_ACTIVE)["label"].strip() == "Sign in as"  # the demo's sign-in control took the focus
    # as Like and Report do
    article(widget, first["id"]).get_by_role("button", name="Like").click()
    page.wait_for_function("() => window.loginRequests.length === 2")
    article(widget, first["id"]).get_by_role("button", name="Report").click()
    page.wait_for_function("() => window.loginRequests.length === 3")

    # signed in, the same button opens the form
    login(page, make_token("alice", "Alice"))
    article(widget, first["id"]).get_by_role("button", name="Reply").click()
    expect(widget.get_by_label("Reply to Bob")).to_be_focused()
    assert page.evaluate("window.loginRequests.length") == 3

    # a closed thread offers no Reply, signed out or in
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"},
                     headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    expect(article(widget, first["id"]).get_by_role("button", name="Like")).to_be_visible()
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)


def test_a_guest_reply_still_opens_the_form_with_a_name(browser: Any, make_app: AppFactory, sqlite_url: str) -> None:
    app = make_app(sqlite_url, demo=True, allow_guests=True, policy=os.environ.get("TOWNHALL_TEST_POLICY", ""))
    with LiveServer(app) as server:
        api = Api(server)
        first = api.post(make_token("bob", "Bob"), "Bob starts the thread.")
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.goto(server.url + "/demo")
            page.wait_for_function("() => !!window.Townhall")
            page.evaluate("Townhall.render(document.getElementById('townhall'), {guests: true})")
            page.evaluate(COUNT_REQUESTS)
            widget = page.locator("#townhall")
            article(widget, first["id"]).get_by_role("button", name="Reply").click()
            form = widget.locator("form", has=page.get_by_label("Reply to Bob"))
            expect(form.get_by_label("Your name (shown with your comment)")).to_be_focused()  # asked first
            form.get_by_label("Your name (shown with your comment)").fill("Gus")
            widget.get_by_label("Reply to Bob").fill("A guest answers Bob.")
            form.get_by_role("button", name="Post reply").click()
            expect(widget.locator(".th-account")).to_contain_text("Commenting as a guest: Gus")
            expect(widget.locator(".th-c", has_text="A guest answers Bob.")).to_be_visible()
            assert page.evaluate("window.loginRequests.length") == 0
        finally:
            ctx.close()
            api.close()


def test_an_expired_sign_in_asks_once_however_many_requests_fail(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server)
    page.evaluate(COUNT_REQUESTS)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status == 401 else None)
    expired = make_token("alice", "Alice", exp_in=-3600)
    expired2 = make_token("alice", "Alice", exp_in=-3700)
    # the first page, the featured list and /me go out at once, each with the expired token
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})", expired)
    expect(widget.get_by_role("button", name="Like")).to_be_visible()  # read as a visitor
    page.wait_for_timeout(1000)
    assert len(failed) >= 2, failed
    assert page.evaluate("window.loginRequests") == [{"site": "default", "thread": THREAD}]

    # another expired token, two widgets on the page now, each with several requests failing: once more
    page.evaluate("""t => { const el = document.createElement('div'); el.id = 'second';
      document.body.append(el); Townhall.render(el, {thread: 'another-article'}); Townhall.login(t); }""", expired2)
    page.wait_for_timeout(1500)
    assert page.evaluate("window.loginRequests.length") == 2
    # the same expired token handed over again asks no more (a publisher answering each request with it would loop)
    page.evaluate("t => Townhall.login(t)", expired2)
    page.wait_for_timeout(1500)
    assert page.evaluate("window.loginRequests.length") == 2
    # a fresh sign-in works, and its own expiry asks again
    login(page, make_token("alice", "Alice"))
    expect(widget.get_by_text("Signed in as")).to_be_visible()
    page.evaluate("t => Townhall.login(t)", make_token("alice", "Alice", exp_in=-7200))
    page.wait_for_timeout(1500)
    assert page.evaluate("window.loginRequests.length") == 3


def test_a_reader_whose_sign_in_answers_after_the_page_gets_reply_all_the_same(page: Any, server: LiveServer,
                                                                               api: Api) -> None:
    """The widget asks for the thread and for the reader (GET /me) at once. Before: where the thread answered first,
    its comments were drawn for nobody in particular (a token, no reader yet: no Reply, no Edit) and stayed so until
    a reload — what a reader's first visit, whose sign-in creates the account, made likely. Now the buttons are drawn
    again once the reader is known."""
    mine = api.post(make_token("ann", "Ann"), "Ann's own comment.")
    other = api.post(make_token("bob", "Bob"), "Bob's comment.")

    def late(route: Any) -> None:
        time.sleep(1.0)  # the thread's page answers first
        route.continue_()

    page.route(re.compile(r".*/api/v1/me(\?.*)?$"), late)
    widget = render_demo(page, server, make_token("ann", "Ann"), lang="en")
    expect(article(widget, other["id"])).to_contain_text("Bob's comment.")
    expect(widget.get_by_text("Signed in as")).to_be_visible()
    expect(article(widget, other["id"]).get_by_role("button", name="Reply")).to_be_visible()
    expect(article(widget, mine["id"]).get_by_role("button", name="Edit")).to_be_visible()
