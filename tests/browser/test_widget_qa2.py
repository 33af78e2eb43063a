"""The second QA walk through the widget: a thread opened again announced to other readers (as closing is); the
ignore list newest first before and after a reload; the Ignore button shown only while the reader is signed in; a
token already expired at load saying "Your sign-in has expired" (one sign-in request); and a closed thread's own
wording: the draft kept, no sign-in prompt for signed-out readers, the time zone on "closed automatically on".

The site closes threads after ``DAYS`` days (as in test_widget_thread_state.py); the app's clock runs with the
real time, set back by hand."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.test_widget_closing import KEPT, RunningClock, exact, note, started
from tests.browser.test_widget_signin import COUNT_REQUESTS
from tests.browser.test_widget_thread_state import MONA, app, clock, polite, wait_live  # noqa: F401 (fixtures)
from tests.browser.widget_helpers import article, login, open_demo, submit
from tests.fixtures_app import LiveServer, make_token
from townhall.web.auth import LEEWAY

pytestmark = pytest.mark.browser

BOB = make_token("bob", "Bob")
CAROL = make_token("carol", "Carol")
DAVE = make_token("dave", "Dave")
SANCTIONED_KEPT = "Not sent. Your text is kept here so you can copy it."
EXPIRED_LINE = "Your sign-in has expired. Please sign in again."


def state(api: Api, value: str) -> None:
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": value}, headers=api.headers(MONA))
    assert r.status_code == 200, r.text


def test_a_thread_opened_again_is_announced_to_a_reader_who_saw_it_closed(page: Any, server: LiveServer,
                                                                          api: Api) -> None:
    first = api.post(BOB, "Bob starts the thread.")
    widget = open_demo(page, server, DAVE)
    wait_live(page)
    state(api, "closed")
    expect(polite(widget)).to_have_text("Comments on this article are closed.")
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    state(api, "open")
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_be_visible()
    expect(polite(widget)).to_have_text("Comments on this article are open again.")


def test_the_ignore_list_reads_newest_first_before_and_after_a_reload(page: Any, server: LiveServer,
                                                                     api: Api) -> None:
    bob = api.post(BOB, "Bob's comment.")
    carol = api.post(CAROL, "Carol's comment.")
    widget = open_demo(page, server, DAVE)
    wait_live(page)  # the widget is settled: a late reload would take the confirmation away under the click
    for c in (bob, carol):  # Bob first, then Carol
        article(widget, c["id"]).get_by_role("button", name="Ignore", exact=True).click()
        submit(page, widget.get_by_role("button", name="Yes, ignore"), "PUT")
        expect(article(widget, c["id"])).to_have_count(0)
    listed = api.http.get("/api/v1/me/ignored", headers=api.headers(DAVE)).json()["ignored"]
    assert [i["name"] for i in listed] == ["Carol", "Bob"]
    box = widget.locator("details", has=page.locator("summary", has_text="You ignore"))
    box.locator("summary").click()
    names = box.locator("li > span[dir=auto]")
    expect(names).to_have_text(["Carol", "Bob"])
    widget = open_demo(page, server, DAVE)
    box.locator("summary").click()
    expect(names).to_have_text(["Carol", "Bob"])


def test_the_ignore_button_follows_the_sign_in(page: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(BOB, "Bob's comment.")
    ignore = article(widget := open_demo(page, server), bob["id"]).get_by_role("button", name="Ignore", exact=True)
    expect(article(widget, bob["id"]).get_by_role("button", name="Like")).to_be_visible()
    expect(ignore).to_have_count(0)  # signed out
    soon = make_token("dave", "Dave", exp_in=-LEEWAY + 6)  # good for six seconds more
    login(page, soon)
    expect(widget.get_by_text("Signed in as")).to_be_visible()
    expect(ignore).to_be_visible()
    while time.time() < int(page.evaluate("t => JSON.parse(atob(t.split('.')[1])).exp", soon)) + LEEWAY + 1:
        page.wait_for_timeout(250)
    # the sign-in expires under the reader's Like: the buttons that need a reader go, Like and Report stay
    article(widget, bob["id"]).get_by_role("button", name="Like").click()
    expect(widget.get_by_text(EXPIRED_LINE).first).to_be_visible()
    expect(ignore).to_have_count(0)
    expect(article(widget, bob["id"]).get_by_role("button", name="Report")).to_be_visible()
    login(page, DAVE)
    expect(ignore).to_be_visible()


def test_a_token_expired_at_load_says_the_sign_in_expired(page: Any, server: LiveServer, api: Api) -> None:
    api.post(BOB, "Bob starts the thread.")
    widget = open_demo(page, server)
    page.evaluate(COUNT_REQUESTS)
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})",
                  make_token("alice", "Alice", exp_in=-300))
    account = widget.locator(".th-account")
    expect(account).to_contain_text(EXPIRED_LINE)
    expect(account.get_by_role("button", name="Sign in")).to_be_visible()
    expect(widget.get_by_text("Sign in to join the conversation.")).to_have_count(0)
    # the comment box stays, as for a sign-in that expires mid-session; its text outlives signing in again
    widget.get_by_label("Add a comment").fill("Typed before noticing.")
    page.wait_for_timeout(500)
    assert page.evaluate("window.loginRequests") == [{"site": "default", "thread": THREAD}]
    login(page, make_token("alice", "Alice"))
    expect(widget.get_by_text("Signed in as")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_value("Typed before noticing.")


def test_a_moderator_closing_with_a_draft_is_told_in_the_closed_threads_terms(page: Any, server: LiveServer,
                                                                               api: Api) -> None:
    api.post(BOB, "Bob starts the thread.")
    widget = open_demo(page, server, MONA)
    widget.get_by_label("Add a comment").fill("A moderator's half-written note.")
    widget.get_by_role("button", name="Close comments", exact=True).click()
    submit(page, widget.get_by_role("button", name="Yes, close comments"), "PUT")
    expect(widget.get_by_label(KEPT)).to_have_value("A moderator's half-written note.")
    expect(widget.get_by_label(SANCTIONED_KEPT)).to_have_count(0)
    # German too
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de'})", MONA)
    expect(widget.get_by_text("Die Kommentare zu diesem Artikel sind geschlossen.")).to_be_visible()


def test_no_sign_in_prompt_on_a_closed_thread(page: Any, context: Any, server: LiveServer, api: Api) -> None:
    api.post(BOB, "Bob starts the thread.")
    widget = open_demo(page, server)
    wait_live(page)
    prompt = widget.get_by_text("Sign in to join the conversation.")
    expect(prompt).to_be_visible()
    state(api, "closed")  # live
    expect(note(widget)).to_have_text("Comments on this article are closed.")
    expect(prompt).to_be_hidden()
    widget = open_demo(page, server)  # loaded closed
    expect(note(widget)).to_be_visible()
    expect(prompt).to_be_hidden()
    wait_live(page)
    state(api, "open")  # and back
    expect(prompt).to_be_visible()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_closed_automatically_names_the_time_zone(browser: Any, server: LiveServer, api: Api, clock: RunningClock,
                                                  zone: str) -> None:
    _first, closes_at = started(api, clock, -timedelta(hours=1))
    ctx = browser.new_context(locale="en-GB", timezone_id=zone)
    try:
        page = ctx.new_page()
        widget = open_demo(page, server)
        short = "UTC" if zone == "UTC" else r"(EST|EDT|GMT-[45])"
        expect(note(widget)).to_have_text(re.compile(r"^Comments on this article closed automatically on .+ "
                                                     + short + r"\.$"))
        expect(note(widget)).to_have_text(f"Comments on this article closed automatically on {exact(page, 'en', closes_at)}.")
        page.evaluate("() => Townhall.render(document.getElementById('townhall'), {lang: 'de'})")
        expect(note(widget)).to_have_text(re.compile(r"^Die Kommentare zu diesem Artikel wurden am .+ "
                                                     + short + r" automatisch geschlossen\.$"))
    finally:
        ctx.close()
