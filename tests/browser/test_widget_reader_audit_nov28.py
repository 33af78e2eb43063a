"""Reader QA (an audit, 2026-11-28): what a reader of a news site (and a publisher embedding the widget) runs into at
the seams — a reply being written when its comment goes live, two widgets on one page when the sign-in expires, the
"Your account" panel after posting, right-to-left writing, and a phone's narrow screen. Each test failed before its
fix in the widget's parts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, open_demo, render_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

EXPIRED = '{"error": {"code": "token_expired", "message": "The sign-in token has expired."}}'
MOD = make_token("mod", "Mona", role="moderator")


def live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


@pytest.mark.parametrize("how", ["deleted by its author", "removed by a moderator"])
def test_a_reply_being_written_survives_its_comment_going_live(page: Any, server: LiveServer, api: Api, how: str) -> None:
    """Before: comment.deleted / comment.removed drew the comment's tombstone in place of its article, and the
    reply form open under it went with it: the reader's text vanished while they typed, without a word."""
    bob = make_token("bob", "Bob")
    c = api.post(bob, "Bob's comment.")
    widget = open_demo(page, server, make_token("alice", "Alice"))
    live(page)
    article(widget, c["id"]).get_by_role("button", name="Reply", exact=True).click()
    reply = widget.get_by_label("Reply to Bob")
    reply.fill("A long reply I spent a while on.")
    if how == "deleted by its author":
        r = api.http.delete(f"/api/v1/comments/{c['id']}", headers=api.headers(bob))
        gone = "This comment was deleted."
    else:
        r = api.http.post(f"/api/v1/mod/comments/{c['id']}/decision", json={"action": "reject", "reason": "Off topic"},
                          headers=api.headers(MOD))
        gone = "This comment was removed by a moderator."
    assert r.status_code in (200, 204), r.text
    expect(article(widget, c["id"])).to_contain_text(gone)
    kept = article(widget, c["id"]).locator("textarea")
    expect(kept).to_have_value("A long reply I spent a while on.")  # to copy: it can no longer be sent there
    expect(kept).not_to_be_editable()


def test_a_sign_in_expired_in_one_widget_is_expired_in_the_others(page: Any, server: LiveServer, api: Api) -> None:
    """Two widgets on a page share the reader's sign-in. Before: the one whose request met the expired token said
    so; the other still said "Angemeldet als Alice", and its Post went out without a token and came back with the
    server's English "Sign in to comment." instead of the expired sign-in's own handling (in the reader's language)."""
    widget = open_demo(page, server, make_token("alice", "Alice"))
    page.evaluate("""() => { const el = document.createElement('div'); el.id = 'second';
      document.body.append(el); Townhall.render(el, {thread: 'another-article', lang: 'de'}); }""")
    second = page.locator("#second")
    expect(second.get_by_text("Angemeldet als")).to_be_visible()
    page.route(re.compile(r".*/api/v1/threads/russia.*/comments.*"), lambda route: route.fulfill(
        status=401, content_type="application/json", body=EXPIRED) if route.request.method == "POST" else route.continue_())
    widget.get_by_label("Add a comment").fill("First.")
    widget.get_by_role("button", name="Post comment").click()
    expect(widget.locator(".th-account")).to_contain_text("Your sign-in has expired")
    expect(second.locator(".th-account")).to_contain_text("Ihre Anmeldung ist abgelaufen")
    second.get_by_label("Kommentar schreiben").fill("Zweiter Kommentar.")
    second.locator("button[type=submit]").first.click()
    expect(second.locator(".th-form .th-error")).to_have_text("Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.")
    expect(second.get_by_label("Kommentar schreiben")).to_have_value("Zweiter Kommentar.")


def test_the_account_panel_lists_a_comment_just_posted(page: Any, server: LiveServer) -> None:
    """Before: with "Your account" open, a comment posted from the box just under it was not listed: the panel
    still said "You have not written any comments yet." with the new comment shown below it."""
    widget = open_demo(page, server, make_token("alice", "Alice"))
    widget.get_by_role("button", name="Your account", exact=True).click()
    panel = widget.get_by_role("region", name="Your account")
    expect(panel).to_contain_text("You have not written any comments yet.")
    widget.get_by_label("Add a comment").fill("My first comment here.")
    submit(page, widget.get_by_role("button", name="Post comment"))
    expect(panel.locator(".th-mine li")).to_have_count(1)
    expect(panel.locator(".th-mine li")).to_contain_text("My first comment here.")
    expect(panel.get_by_text("You have not written any comments yet.")).to_be_hidden()


def test_hebrew_typed_and_refused_reads_right_to_left(page: Any, server: LiveServer) -> None:
    """Comments and names carry dir="auto" (a Hebrew comment on an English page reads right to left). Before: the
    box the reader writes in, and their own refused text echoed with its marks, were left to right."""
    widget = open_demo(page, server, make_token("dana", "דנה"))
    box = widget.get_by_label("Add a comment")
    box.fill("שלום, מה זה ה־fuck הזה?")
    assert box.evaluate("e => getComputedStyle(e).direction") == "rtl"
    widget.get_by_role("button", name="Post comment").click()
    marked = widget.locator(".th-marked")
    expect(marked.locator("mark")).to_have_text("fuck")
    assert marked.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # on a right-to-left page an empty box (or one with only digits) stays right to left
    page.evaluate("() => { document.documentElement.dir = 'rtl'; Townhall.render(document.getElementById('townhall')); }")
    box = widget.get_by_label("Add a comment")
    box.fill("123")
    assert box.evaluate("e => getComputedStyle(e).direction") == "rtl"


def test_a_long_german_word_in_an_article_title_fits_a_phone(page: Any, server: LiveServer, api: Api) -> None:
    """Before: in "Ihr Konto" on a 320 px phone, an article title with a long German word (37 letters) ran past the
    widget, and the whole page scrolled sideways."""
    page.set_viewport_size({"width": 320, "height": 800})
    alice = make_token("alice", "Alice")
    r = api.http.post("/api/v1/threads/other/comments", json={
        "text": "Ein Kommentar.", "url": "https://news.example/x",
        "title": "Bundesverfassungsgerichtsentscheidung zur Grundsteuer"}, headers=api.headers(alice))
    assert r.status_code == 201, r.text
    widget = render_demo(page, server, alice, lang="de")
    widget.get_by_role("button", name="Ihr Konto", exact=True).click()
    panel = widget.get_by_role("region", name="Ihr Konto")
    expect(panel.locator(".th-mine li a")).to_have_text("Bundesverfassungsgerichtsentscheidung zur Grundsteuer")
    wide = page.evaluate("""() => { const r = document.getElementById('townhall').shadowRoot;
      const right = r.querySelector('.th').getBoundingClientRect().right;
      return {page: document.documentElement.scrollWidth,
              past: Array.from(r.querySelectorAll('*')).filter((e) => e.getBoundingClientRect().right > right + 1)
                .map((e) => e.tagName + ': ' + e.textContent.slice(0, 40))}; }""")
    assert wide == {"page": 320, "past": []}, wide


def test_a_widget_drawn_again_at_once_leaves_no_second_one_listening(page: Any, server: LiveServer, api: Api) -> None:
    """docs/widget.md: wait for townhall:ready, then call the API; a publisher that renders #townhall with its own
    options then (Townhall.render) destroys the widget the script drew, often before that one's first page came.
    Before: that widget's start() went on after destroy(): it added its hashchange listener (never removed) and its
    clock, so every permalink opened afterwards was looked for twice, pages requested twice."""
    bob = make_token("bob", "Bob")
    oldest = api.post(bob, "The oldest comment.")
    for i in range(20):
        api.post(bob, f"Comment {i}.")
    page.add_init_script("""document.addEventListener('townhall:ready',
      (e) => e.detail.render(document.getElementById('townhall'), {lang: 'de'}), {once: true});""")
    page.goto(server.url + "/demo")
    widget = page.locator("#townhall")
    expect(widget.locator(".th-list > li")).to_have_count(20)
    expect(widget.get_by_role("heading", name=re.compile("^Kommentare"))).to_be_visible()
    page.wait_for_timeout(500)  # both starts are over
    pages: list[str] = []
    page.on("request", lambda r: pages.append(r.url) if "cursor=" in r.url else None)
    page.evaluate("id => { location.hash = '#comment-' + id; }", oldest["id"])
    expect(article(widget, oldest["id"])).to_be_focused()
    page.wait_for_timeout(500)
    assert len(pages) == 1, pages  # the second page, asked once


def test_the_heading_list_and_region_are_named_comments_then_the_count(page: Any, server: LiveServer, api: Api) -> None:
    """Before: the count sat against the word in the DOM ("Comments" + <span>1 comment</span>), so Chromium named the
    heading, the comments' region and their list "Comments1 comment" (German "Kommentare1 Kommentar")."""
    api.post(make_token("bob", "Bob"), "Bob's comment.")
    open_demo(page, server)
    page.wait_for_timeout(300)
    cdp = page.context.new_cdp_session(page)
    names = {(n.get("role", {}).get("value"), n.get("name", {}).get("value"))
             for n in cdp.send("Accessibility.getFullAXTree")["nodes"]}
    named = {role: name for role, name in names if role in ("heading", "region", "list") and name.startswith("Comments")}
    assert named == {"heading": "Comments 1 comment", "region": "Comments 1 comment", "list": "Comments 1 comment"}, named


def test_the_author_sees_why_their_comment_was_removed_without_a_reload(page: Any, server: LiveServer) -> None:
    """The author's widget shows comment.removed as a tombstone. Before: the moderator's reason (GET /me's
    removed_comments: "A moderator removed one of your comments", which opens to the reason) came only with the next
    read of /me — a reload, or the reader's next refused comment — so the author was told "removed" and not why."""
    widget = open_demo(page, server, make_token("alice", "Alice"))
    live(page)
    widget.get_by_label("Add a comment").fill("Alice's comment, about to be removed.")
    mine = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]["id"]
    api = Api(server)
    try:
        r = api.http.post(f"/api/v1/mod/comments/{mine}/decision", json={"action": "reject", "reason": "Personal attack"},
                          headers=api.headers(MOD))
        assert r.status_code == 200, r.text
    finally:
        api.close()
    expect(article(widget, mine)).to_contain_text("This comment was removed by a moderator.")
    summary = widget.get_by_text("A moderator removed one of your comments")
    expect(summary).to_be_visible()
    summary.click()
    expect(widget.get_by_text("Personal attack")).to_be_visible()
