"""The reader's text survives what goes wrong around it: an expired sign-in, a failed GET /me, a reload of the
list (a token refresh, "show new comments", a sort change), a ban arriving mid-session; and what belongs to one
reader does not pass to the next one signing in on the same page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, login, open_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

EXPIRED = json.dumps({"error": {"code": "token_expired", "message": "The sign-in token has expired."}})
F_WORD = "Honestly, what the fuck is this drawdown? Paragraph two of my long argument."


def live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def test_an_expired_sign_in_keeps_the_text_of_every_open_form(page: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(make_token("bob", "Bob"), "Bob's comment.")
    widget = open_demo(page, server, make_token("alice", "Alice"))
    article(widget, bob["id"]).get_by_role("button", name="Reply").click()
    reply = widget.get_by_label("Reply to Bob")
    reply.fill("Half a reply.")
    box = widget.get_by_label("Add a comment")
    text = "A long, carefully written comment about the drawdown that took ten minutes."
    box.fill(text)
    requests: list[str] = []
    page.evaluate("""() => document.getElementById('townhall').addEventListener('townhall:login-request',
                     () => { window.loginRequests = (window.loginRequests || 0) + 1; })""")

    def expired(route: Any) -> None:
        if route.request.method == "POST":
            requests.append(route.request.url)
            route.fulfill(status=401, content_type="application/json", body=EXPIRED)
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/threads/.*/comments.*"), expired)
    widget.get_by_role("button", name="Post comment").click()
    error = widget.locator(".th-error", has_text="Your sign-in has expired. Please sign in again.")
    expect(error).to_be_visible()
    expect(box).to_have_value(text)
    expect(widget.locator("[role=alert]")).to_contain_text("Your sign-in has expired")
    expect(reply).to_have_value("Half a reply.")
    expect(widget.locator(".th-account")).to_contain_text("Your sign-in has expired")
    # The widget asks the publisher to sign the reader in, after showing the error: the demo page's sign-in
    # field takes the focus (a page that does nothing with the request leaves it in the comment box).
    page.wait_for_function("() => window.loginRequests === 1")
    expect(page.get_by_label("Sign in as")).to_be_focused()

    # Pressing Post again asks for a sign-in; nothing is sent without one.
    box.focus()
    widget.get_by_role("button", name="Post comment").click()
    page.wait_for_function("() => window.loginRequests === 2")
    expect(error).to_be_visible()
    assert len(requests) == 1

    # The publisher signs the same reader in again: everything is where it was, and the comment goes out.
    page.unroute_all()
    login(page, make_token("alice", "Alice", exp_in=7200))
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Alice")
    expect(box).to_have_value(text)
    expect(widget.get_by_label("Reply to Bob")).to_have_value("Half a reply.")
    expect(error).to_be_hidden()
    posted = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert posted["html"] == f"<p>{text}</p>"
    expect(article(widget, posted["id"])).to_be_visible()


def test_a_failed_me_after_a_rejection_keeps_the_reader_the_text_and_the_panel(page: Any, server: LiveServer) -> None:
    alice = make_token("alice", "Alice")
    widget = open_demo(page, server, alice)
    box = widget.get_by_label("Add a comment")
    box.fill(F_WORD)
    page.route("**/api/v1/me*", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "5"}, content_type="application/json",
        body=json.dumps({"error": {"code": "rate_limited", "message": "Too many requests.",
                                   "details": {"retry_after": 5}}})))
    with page.expect_response(lambda r: "/api/v1/me" in r.url and r.status == 429):
        widget.get_by_role("button", name="Post comment").click()  # the rejection re-reads /me a moment later
    login(page, alice)  # /me fails once more; then the list reloads, so the failure has been dealt with
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Alice")
    expect(box).to_have_value(F_WORD)
    expect(widget.locator(".th-rejected mark")).to_have_text("fuck")


def test_a_failed_me_at_page_load_offers_a_retry_not_a_sign_in(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    calls = {"n": 0}

    def once(route: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            route.fulfill(status=503, body="upstream busy")
        else:
            route.continue_()

    page.route("**/api/v1/me*", once)
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})", make_token("bob", "Bob"))
    widget = page.locator("#townhall")
    account = widget.locator(".th-account")
    expect(account).to_contain_text("The comment server had a problem")  # not the proxy's text
    expect(account).not_to_contain_text("Sign in")
    account.get_by_role("button", name="Try again").click()
    expect(account).to_contain_text("Signed in as Bob")
    expect(widget.get_by_label("Add a comment")).to_be_visible()
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_focused()


def test_reloading_the_list_keeps_open_reply_and_edit_forms(page: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(make_token("bob", "Bob"), "Bob's comment.")
    alice = make_token("alice", "Alice")
    own = api.post(alice, "Alice's own comment.")
    widget = open_demo(page, server, alice)
    live(page)
    article(widget, bob["id"]).get_by_role("button", name="Reply").click()
    reply = widget.get_by_label("Reply to Bob")
    reply.fill("Half-written reply, two paragraphs in.")
    article(widget, own["id"]).get_by_role("button", name="Edit").click()
    edit = widget.get_by_label("Edit your comment")
    edit.fill("Alice's own comment, better worded.")
    expect(edit).to_be_focused()

    # (a) the publisher refreshes the same reader's token
    login(page, make_token("alice", "Alice", exp_in=7200))
    expect(reply).to_have_value("Half-written reply, two paragraphs in.")
    expect(edit).to_have_value("Alice's own comment, better worded.")
    expect(edit).to_be_focused()
    expect(article(widget, own["id"]).get_by_role("button", name="Edit")).to_have_attribute("aria-expanded", "true")
    edit_form = widget.locator("form", has=page.get_by_label("Edit your comment"))
    expect(edit_form.locator(".th-counter")).to_have_text("35 / 5000")

    # (b) "1 new comment — show"
    api.post(make_token("cy", "Cy"), "Someone else comments.")
    widget.get_by_role("button", name="1 new comment — show").click()
    expect(widget.get_by_text("Someone else comments.")).to_be_visible()
    expect(reply).to_have_value("Half-written reply, two paragraphs in.")
    expect(edit).to_have_value("Alice's own comment, better worded.")

    # (c) another sort order
    widget.get_by_label("Sort by").select_option("oldest")
    expect(widget.locator(".th-list > li").first).to_have_attribute("id", f"comment-{bob['id']}")
    expect(reply).to_have_value("Half-written reply, two paragraphs in.")
    expect(edit).to_have_value("Alice's own comment, better worded.")
    posted = submit(page, widget.get_by_role("button", name="Post reply"))["comment"]
    assert posted["parent_id"] == bob["id"]
    expect(widget.get_by_label("Reply to Bob")).to_have_count(0)


def test_another_reader_signing_in_gets_a_clean_form(page: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(make_token("bob", "Bob"), "Bob's comment.")
    widget = open_demo(page, server, make_token("alice", "Alice"))
    article(widget, bob["id"]).get_by_role("button", name="Reply").click()
    widget.get_by_label("Reply to Bob").fill("Alice's reply draft.")
    box = widget.get_by_label("Add a comment")
    box.fill(F_WORD)
    widget.get_by_role("button", name="Post comment").click()
    expect(widget.locator(".th-rejected")).to_be_visible()

    login(page, make_token("bruno", "Bruno"))
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Bruno")
    expect(box).to_have_value("")
    expect(widget.locator(".th-rejected")).to_have_count(0)
    expect(widget.get_by_label("Reply to Bob")).to_have_count(0)
    expect(widget.locator(".th-error:visible")).to_have_count(0)


def test_a_ban_mid_session_keeps_the_drafts_but_nothing_can_be_sent(page: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(make_token("bob", "Bob"), "Bob's comment.")
    alice = make_token("alice", "Alice")
    widget = open_demo(page, server, alice)
    article(widget, bob["id"]).get_by_role("button", name="Reply").click()
    widget.get_by_label("Reply to Bob").fill("My reply draft.")
    widget.get_by_label("Add a comment").fill("My main draft, long and careful.")
    api.sanction(api.me(alice)["id"], "ban", "Repeated abuse.")

    widget.get_by_role("button", name="Post comment").click()
    notice = widget.locator(".th-sanction")
    expect(notice.get_by_role("heading")).to_have_text("You are banned from commenting.")
    expect(notice.get_by_role("heading")).to_be_focused()
    kept = widget.get_by_label("Not sent. Your text is kept here so you can copy it.")
    expect(kept).to_have_count(2)
    expect(kept.first).to_have_value("My main draft, long and careful.")
    expect(kept.last).to_have_value("My reply draft.")
    expect(kept.first).not_to_be_editable()
    expect(kept.last).not_to_be_editable()
    expect(widget.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(widget.get_by_role("button", name="Post reply")).to_have_count(0)
    expect(widget.get_by_role("button", name="Reply")).to_have_count(0)
    expect(widget.get_by_role("button", name="Send appeal")).to_be_visible()


@pytest.mark.parametrize("lang, message", [
    ("en", "The comment server had a problem. Please try again in a moment."),
    ("de", "Der Kommentar-Server hat ein Problem. Bitte versuchen Sie es gleich noch einmal."),
])
def test_a_server_error_without_details_is_explained_in_the_readers_language(page: Any, server: LiveServer,
                                                                             lang: str, message: str) -> None:
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("([t, lang]) => Townhall.render(document.getElementById('townhall'), {token: t, lang})",
                  [make_token("alice", "Alice"), lang])
    widget = page.locator("#townhall")
    box = widget.locator("textarea").first
    expect(box).to_be_visible()
    box.fill("Kept through a proxy's error page.")
    page.route(re.compile(r".*/api/v1/threads/.*/comments.*"), lambda route: route.fulfill(
        status=502, content_type="text/html", body="<html><body>Bad Gateway</body></html>")
        if route.request.method == "POST" else route.continue_())
    widget.locator("button[type=submit]").first.click()
    expect(widget.locator(".th-error", has_text=message)).to_be_visible()
    expect(box).to_have_value("Kept through a proxy's error page.")
    expect(widget.locator("[role=alert]")).to_contain_text(message)
