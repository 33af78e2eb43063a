"""The reader's widget in a real browser: the demo article, signing in, writing, the house rules in the open,
live updates, sanctions, keyboard-only use and accessibility (axe-core, light and dark)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, THREAD, Api
from townhall.app import Townhall
from tests.fixtures_app import AppFactory, LiveServer, make_token

pytestmark = pytest.mark.browser

DEEP_ACTIVE = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a) return null;
  const root = a.getRootNode();
  const label = a.id && root.querySelector ? root.querySelector('label[for="' + a.id + '"]') : null;
  return {tag: a.tagName.toLowerCase(), text: (a.textContent || '').trim().slice(0, 60),
          label: label ? label.textContent : (a.getAttribute('aria-label') || ''), inWidget: root !== document};
}"""


def open_demo(page: Any, server: LiveServer, token: str | None = None, suffix: str = "") -> Any:
    page.goto(server.url + "/demo" + suffix)
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    if token is not None:
        login(page, token)
        expect(widget.get_by_text("Signed in as")).to_be_visible()
        expect(widget.get_by_label("Add a comment")).to_be_visible()
    return widget


def login(page: Any, token: str) -> None:
    """Townhall.login, then wait until the widget has reloaded the thread as that reader."""
    page.evaluate("""t => new Promise(done => {
      document.getElementById('townhall').addEventListener('townhall:loaded', () => done(), {once: true});
      Townhall.login(t);
    })""", token)


def submit(page: Any, button: Any, method: str = "POST") -> dict[str, Any]:
    """Click a widget button and return the JSON of the API call it makes."""
    with page.expect_response(lambda r: r.request.method == method and "/api/v1/" in r.url) as info:
        button.click()
    return info.value.json()  # type: ignore[no-any-return]


def article(widget: Any, comment_id: int) -> Any:
    return widget.locator(f"#comment-{comment_id} > article")


def test_demo_article_sign_in_post_reply_edit_delete(page: Any, server: LiveServer, api: Api) -> None:
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
    posted: list[dict[str, Any]] = []
    page.on("request", lambda req: posted.append(json.loads(req.post_data)) if req.method == "POST" and "/comments" in req.url else None)

    page.goto(server.url + "/demo")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A Drawdown Not a Withdrawal")
    expect(page.locator(".standfirst")).to_contain_text("keep waging a war")
    expect(page.locator(".story-body p").first).to_contain_text("Putin ordered")
    widget = page.locator("#townhall")
    expect(widget.get_by_text("No comments yet")).to_be_visible()
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_contain_text("0 comments")

    # The demo control plays the publisher's SSO: /demo/token, then Townhall.login.
    page.get_by_label("Sign in as").fill("Alice Example")
    page.get_by_label("Supporter").check()
    page.locator("#demo-form button[type=submit]").click()
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Alice Example")
    expect(widget.locator(".th-account .th-badge")).to_have_text("Supporter")

    box = widget.get_by_label("Add a comment")
    box.fill("The drawdown is smaller than it looks.")
    expect(widget.locator(".th-counter")).to_have_text("38 / 5000")
    root = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert api.thread()["comments"][0]["id"] == root["id"]
    assert root["html"] == "<p>The drawdown is smaller than it looks.</p>"
    assert root["author"]["name"] == "Alice Example" and root["author"]["supporter"] is True
    expect(article(widget, root["id"]).locator(".th-body")).to_have_text("The drawdown is smaller than it looks.")
    expect(article(widget, root["id"]).locator(".th-badge")).to_have_text("Supporter")
    expect(article(widget, root["id"]).locator("time")).to_have_attribute("datetime", root["created_at"])
    expect(article(widget, root["id"]).locator("time")).to_have_attribute("title", re.compile(r"\d{4}"))
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_contain_text("1 comment")
    expect(box).to_have_value("")

    # The device id goes out only as a SHA-256 hex digest of the random id kept in localStorage.
    raw = page.evaluate("localStorage.getItem('townhall:device')")
    assert re.fullmatch(r"[0-9a-f]{32}", raw)
    assert posted[0]["device"] == hashlib.sha256(f"townhall-device:{raw}".encode()).hexdigest()
    assert raw not in json.dumps(posted)

    # Reply
    article(widget, root["id"]).get_by_role("button", name="Reply").click()
    reply_box = widget.get_by_label("Reply to Alice Example")
    expect(reply_box).to_be_focused()
    reply_box.fill("Replying to myself: the air base stays.")
    reply = submit(page, widget.get_by_role("button", name="Post reply"))["comment"]
    assert api.thread()["comments"][0]["replies"][0]["id"] == reply["id"]
    assert reply["parent_id"] == root["id"]
    reply_art = widget.locator(f"#comment-{root['id']} .th-replies #comment-{reply['id']} > article")
    expect(reply_art.locator(".th-body")).to_have_text("Replying to myself: the air base stays.")

    # Edit (within the window)
    reply_art.get_by_role("button", name="Edit").click()
    edit_box = widget.get_by_label("Edit your comment")
    expect(edit_box).to_have_value("Replying to myself: the air base stays.")
    edit_box.fill("Replying to myself: the air base at Hmeimim stays.")
    widget.get_by_role("button", name="Save changes").click()
    reply_art = article(widget, reply["id"])
    expect(reply_art.locator(".th-body")).to_have_text("Replying to myself: the air base at Hmeimim stays.")
    expect(reply_art.locator(".th-meta")).to_contain_text("edited")
    assert api.thread()["comments"][0]["replies"][0]["html"] == "<p>Replying to myself: the air base at Hmeimim stays.</p>"

    # Delete
    reply_art.get_by_role("button", name="Delete").click()
    widget.get_by_role("button", name="Yes, delete").click()
    expect(article(widget, reply["id"])).to_contain_text("This comment was deleted.")
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_contain_text("1 comment")
    assert api.thread()["thread"]["count"] == 1
    assert api.thread()["comments"][0]["replies"] == []

    # Nothing but Townhall's own host was contacted.
    assert hosts == {urlsplit(server.url).netloc}


def test_like_and_report(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    alice = make_token("alice", "Alice")
    theirs = api.post(bob, "Russia keeps its air base, whatever the headlines say.")
    widget = open_demo(page, server, alice)
    art = article(widget, theirs["id"])
    like = art.locator(".th-like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_text("♥ Like 1")
    seen = api.thread(alice)["comments"][0]
    assert seen["reactions"] == 1 and seen["my_reaction"] == "like"
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like).to_have_text("♥ Like")
    assert api.thread(alice)["comments"][0]["reactions"] == 0

    art.get_by_role("button", name="Report").click()
    art.get_by_role("button", name="Send report").click()
    expect(art.locator(".th-error")).to_have_text("Choose a reason for the report.")
    art.get_by_label("Spam or advertising").check()
    art.get_by_label("Anything the moderators should know? (optional)").fill("Posted the same text on five articles.")
    art.get_by_role("button", name="Send report").click()
    expect(art.get_by_text("Thank you. The moderators will take a look.")).to_be_visible()
    again = api.http.post(f"/api/v1/comments/{theirs['id']}/reports", json={"reason": "spam"}, headers=api.headers(alice))
    assert again.json()["duplicate"] is True  # the widget's report was stored


def test_f_word_is_highlighted_and_the_edited_comment_is_published(page: Any, server: LiveServer, api: Api) -> None:
    widget = open_demo(page, server, make_token("alice", "Alice"))
    box = widget.get_by_label("Add a comment")
    text = "😀 Honestly, what the fuck is this drawdown?"
    box.fill(text)
    widget.get_by_role("button", name="Post comment").click()
    panel = widget.locator(".th-rejected")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text("The house rules stopped this comment")
    expect(panel).to_contain_text("except the F word")
    expect(panel.locator("mark")).to_have_count(1)
    expect(panel.locator("mark")).to_have_text("fuck")
    expect(panel.locator(".th-marked")).to_have_text(text)
    expect(box).to_have_value(text)  # the comment stays in the box
    expect(box).to_be_focused()
    selected = box.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert selected == "fuck"
    expect(widget.locator("[role=alert]")).to_contain_text("except the F word")
    assert api.thread()["thread"]["count"] == 0
    page.wait_for_timeout(1000)  # nothing redraws the form behind the reader's back
    expect(panel).to_be_visible()
    expect(box).to_have_value(text)

    box.fill("😀 Honestly, what on earth is this drawdown?")
    answer = submit(page, widget.get_by_role("button", name="Post comment"))
    assert answer["verdict"] == "published", answer
    expect(panel).to_be_hidden()
    published = api.thread()["comments"]
    assert [c["html"] for c in published] == ["<p>😀 Honestly, what on earth is this drawdown?</p>"]
    expect(article(widget, published[0]["id"]).locator(".th-body")).to_have_text("😀 Honestly, what on earth is this drawdown?")


def test_second_reader_is_told_about_new_comments_live(browser: Any, page: Any, server: LiveServer, api: Api,
                                                        app: Townhall) -> None:
    # Signed-out page loads are cached; for this test longer than it lasts, so the new comments can reach
    # the signed-out reader's "show" only because the widget asks for a page not older than them (since=).
    app.services.pages.seconds = 600
    writer = open_demo(page, server, make_token("alice", "Alice"))
    other = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        reader_page = other.new_page()
        reader = open_demo(reader_page, server)
        expect(reader.get_by_text("No comments yet")).to_be_visible()
        reader_page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
        reader_page.wait_for_timeout(300)  # the EventSource is subscribed

        writer.get_by_label("Add a comment").fill("First to arrive live.")
        writer.get_by_role("button", name="Post comment").click()
        banner = reader.get_by_role("button", name="1 new comment — show")
        expect(banner).to_be_visible()
        expect(reader.locator("[role=status]")).to_contain_text("1 new comment")
        expect(reader.get_by_text("First to arrive live.")).to_have_count(0)  # not inserted under the reader's eyes
        expect(writer.locator(".th-banner")).to_be_hidden()  # the writer is not told about their own comment

        api.post(make_token("bob", "Bob"), "Second one, from Bob.")
        expect(reader.get_by_role("button", name="2 new comments — show")).to_be_visible()
        reader.get_by_role("button", name="2 new comments — show").click()
        expect(reader.get_by_text("First to arrive live.")).to_be_visible()
        expect(reader.get_by_text("Second one, from Bob.")).to_be_visible()
        expect(reader.locator(".th-banner")).to_be_hidden()
        focused = reader_page.evaluate(DEEP_ACTIVE)
        assert focused["tag"] == "article" and "Comment by" in focused["label"]
    finally:
        other.close()


def test_a_removal_lowers_the_live_count_and_its_author_sees_the_reason(browser: Any, page: Any, server: LiveServer,
                                                                         api: Api) -> None:
    gone = api.post(make_token("erin", "Erin"), "A comment a moderator will remove.")
    api.post(make_token("finn", "Finn"), "A comment that stays.")
    reader = open_demo(page, server)
    expect(reader.get_by_role("heading", name=re.compile("2 comments"))).to_be_visible()
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed
    r = api.http.post(f"/api/v1/mod/comments/{gone['id']}/decision", json={"action": "reject", "reason": "Personal attack"},
                      headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    expect(reader.get_by_text("This comment was removed by a moderator.")).to_be_visible()
    expect(reader.get_by_role("heading", name=re.compile("1 comment$"))).to_be_visible()

    author = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        erin = open_demo(author.new_page(), server, make_token("erin", "Erin"))
        summary = erin.get_by_text("A moderator removed one of your comments")
        expect(summary).to_be_visible()
        summary.click()
        expect(erin.get_by_text("Personal attack")).to_be_visible()
    finally:
        author.close()


def test_new_comments_on_the_oldest_first_view_are_read_up_to(page: Any, server: LiveServer, api: Api,
                                                               app: Townhall) -> None:
    """On the oldest-first view new comments come last, pages away: "show" reads on until they are shown."""
    app.services.pages.seconds = 600  # as in the live test above: the widget asks for a page not older than them
    bob = make_token("bob", "Bob")
    for i in range(23):
        api.post(bob, f"Early comment {i}.")
    reader = open_demo(page, server)
    reader.get_by_label("Sort by").select_option("oldest")
    expect(reader.locator(".th-list > li").first).to_contain_text("Early comment 0.")
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed
    late = api.post(make_token("cleo", "Cleo"), "A late arrival.")
    reader.get_by_role("button", name="1 new comment — show").click()
    expect(article(reader, late["id"])).to_be_focused()
    expect(reader.locator(".th-list > li")).to_have_count(24)


def test_polling_takes_over_when_the_live_stream_fails(page: Any, server: LiveServer, api: Api) -> None:
    page.route("**/live**", lambda route: route.abort())
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("Townhall.render(document.getElementById('townhall'), {pollSeconds: 5})")
    widget = page.locator("#townhall")
    expect(widget.get_by_text("No comments yet")).to_be_visible()
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'polling'", timeout=15000)
    api.post(make_token("bob", "Bob"), "Arrived while the stream was down.")
    expect(widget.get_by_role("button", name="1 new comment — show")).to_be_visible(timeout=12000)


def test_banned_reader_sees_why_and_can_appeal(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    widget = open_demo(page, server, alice)
    account = api.me(alice)["id"]
    api.sanction(account, "ban", "Repeated insults against other readers.")

    widget.get_by_label("Add a comment").fill("Am I still allowed to post?")
    widget.get_by_role("button", name="Post comment").click()
    notice = widget.locator(".th-sanction")
    expect(notice.get_by_role("heading")).to_have_text("You are banned from commenting.")
    expect(notice).to_contain_text("Repeated insults against other readers.")
    expect(notice.get_by_role("heading")).to_be_focused()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)
    assert api.thread()["thread"]["count"] == 0

    appeal = widget.get_by_label("Appeal: explain why the decision should be reversed")
    appeal.fill("I was quoting the article, not insulting anyone.")
    widget.get_by_role("button", name="Send appeal").click()
    expect(widget.get_by_text("Your appeal was sent. A moderator will review it.")).to_be_visible()
    assert api.me(alice)["sanction"]["appeal"]["state"] == "open"

    # A fresh visit shows the ban straight away, with the appeal's state.
    widget = open_demo(page, server)
    login(page, alice)
    expect(widget.locator(".th-sanction")).to_contain_text("You are banned from commenting.")
    expect(widget.locator(".th-sanction")).to_contain_text("Your appeal is pending.")
    expect(widget.get_by_label("Add a comment")).to_have_count(0)


def test_suspension_shows_until_when(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    until = api.sanction(account, "suspend", "Second strike: abusive comment.", hours=24)
    assert until["sanction"] == "suspend"
    widget = open_demo(page, server)
    login(page, alice)
    notice = widget.locator(".th-sanction")
    expect(notice.get_by_role("heading")).to_contain_text("You are suspended from commenting until")
    ends = api.me(alice)["sanction"]["until"]
    expect(notice.locator("time")).to_have_attribute("datetime", ends)
    expect(notice).to_contain_text("Second strike: abusive comment.")


def test_held_comment_is_shown_to_its_author_only(browser: Any, page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    api.sanction(api.me(alice)["id"], "premoderate", "New account under review.")
    widget = open_demo(page, server, alice)
    widget.get_by_label("Add a comment").fill("A comment the moderators will see first.")
    widget.get_by_role("button", name="Post comment").click()
    expect(widget.get_by_text("Awaiting review — only you can see this comment")).to_be_visible()
    expect(widget.locator("[role=status]")).to_contain_text("awaiting review")
    held = api.thread(alice)["comments"]
    assert held[0]["status"] == "held"

    page.reload()  # still there for its author after a reload
    page.wait_for_function("() => !!window.Townhall")
    login(page, alice)
    expect(widget.get_by_text("Awaiting review — only you can see this comment")).to_be_visible()

    other = browser.new_context()
    try:
        reader = open_demo(other.new_page(), server)
        expect(reader.get_by_text("No comments yet")).to_be_visible()
        expect(reader.get_by_text("A comment the moderators will see first.")).to_have_count(0)
    finally:
        other.close()


def test_keyboard_only_posting(page: Any, server: LiveServer, api: Api) -> None:
    open_demo(page, server, make_token("kim", "Kim"))
    page.evaluate("document.activeElement && document.activeElement.blur()")
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        now = page.evaluate(DEEP_ACTIVE)
        order.append(now)
        if now["tag"] == "textarea":
            break
    else:
        pytest.fail(f"Tab never reached the comment box: {order}")
    assert order[-1]["label"] == "Add a comment" and order[-1]["inWidget"]
    widget_stops = [o for o in order if o["inWidget"]]
    assert widget_stops[0]["tag"] == "select" and widget_stops[0]["label"] == "Sort by"
    page.keyboard.type("Typed without a mouse.")
    page.keyboard.press("Tab")
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Post comment"
    page.keyboard.press("Enter")
    expect(page.locator("#townhall").get_by_text("Typed without a mouse.")).to_be_visible()
    assert [c["html"] for c in api.thread()["comments"]] == ["<p>Typed without a mouse.</p>"]
    # Focus follows the new comment (the disabled button would otherwise drop it to the page's body).
    page.wait_for_function("() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement)"
                           " a = a.shadowRoot.activeElement; return a && a.tagName === 'ARTICLE'; }")
    assert "Comment by Kim" in page.evaluate(DEEP_ACTIVE)["label"]
    # Onwards from the new comment: its actions are reachable with Tab too.
    stops = []
    for _ in range(8):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(DEEP_ACTIVE)["text"])
    assert "Reply" in stops and "Edit" in stops


def test_permalink_loads_pages_until_found_and_highlights(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    ids = [api.post(bob, f"Numbered comment {i}.")["id"] for i in range(25)]
    widget = open_demo(page, server, suffix=f"#comment-{ids[0]}")  # oldest: on the second page of "newest"
    target = article(widget, ids[0])
    expect(target).to_have_class(re.compile(r"\bth-highlight\b"))
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(widget.locator("li[id^=comment-]")).to_have_count(25)
    expect(widget.get_by_role("button", name="Load more comments")).to_be_hidden()
    expect(target.locator("a[href$='#comment-%d']" % ids[0])).to_have_count(1)


def test_permalink_stays_in_view_while_the_page_loads_until_the_reader_scrolls(page: Any, server: LiveServer,
                                                                              api: Api) -> None:
    """A news page's stylesheet, fonts and images may arrive after the widget has scrolled to a linked comment;
    each moves it. The widget centres it again (a stylesheet held back here for a second once pushed the comment
    out of view), but not once the reader has scrolled away themselves."""
    bob = make_token("bob", "Bob")
    ids = [api.post(bob, f"Numbered comment {i}.")["id"] for i in range(25)]

    def late(route: Any) -> None:
        time.sleep(1.0)
        route.continue_()

    page.route(re.compile(r".*/static/demo\.css$"), late)
    widget = open_demo(page, server, suffix=f"#comment-{ids[0]}")
    target = article(widget, ids[0])
    expect(target).to_have_class(re.compile(r"\bth-highlight\b"))
    page.wait_for_load_state("load")
    expect(target).to_be_in_viewport()
    page.mouse.move(500, 450)
    page.mouse.wheel(0, -100000)
    page.wait_for_function("() => window.scrollY === 0")
    # The page grows above the comment after the reader scrolled: the widget leaves the reader where they are.
    page.evaluate("""() => { const tall = document.createElement('div'); tall.style.height = '3000px';
                             document.body.prepend(tall); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.scrollY") == 0
    expect(target).not_to_be_in_viewport()


def test_pages_sort_and_deep_threads(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    roots = [api.post(bob, f"Root {i}.")["id"] for i in range(22)]
    parent = roots[-1]
    chain = []
    for depth in range(1, 7):
        parent = api.post(make_token("ann", "Ann"), f"Depth {depth}.", parent)["id"]
        chain.append(parent)
    widget = open_demo(page, server)
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_contain_text("28 comments")
    expect(widget.locator(".th-list > li")).to_have_count(20)
    widget.get_by_role("button", name="Load more comments").click()
    expect(widget.locator(".th-list > li")).to_have_count(22)
    expect(widget.get_by_role("button", name="Load more comments")).to_be_hidden()

    # Depths 0..4 are nested; the rest waits behind "continue this thread".
    expect(article(widget, chain[3])).to_be_visible()
    expect(widget.locator(f"#comment-{chain[4]}")).to_have_count(0)
    more = widget.get_by_role("button", name="Continue this thread (2 more replies)")
    more.click()
    expect(article(widget, chain[4])).to_be_focused()
    expect(article(widget, chain[5])).to_be_visible()

    widget.get_by_label("Sort by").select_option("oldest")
    expect(widget.locator(".th-list > li").first).to_have_attribute("id", f"comment-{roots[0]}")

    # A comment posted while later pages are unread is shown at once, and only once when they are read.
    login(page, make_token("cleo", "Cleo"))
    widget.get_by_label("Add a comment").fill("Posted on the oldest-first view.")
    mine = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]["id"]
    expect(article(widget, mine)).to_be_visible()
    widget.get_by_role("button", name="Load more comments").click()
    expect(widget.locator(".th-list > li")).to_have_count(23)
    expect(widget.locator(f"#comment-{mine}")).to_have_count(1)


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


def test_german_catalogue(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Guten Tag.")
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("Townhall.render(document.getElementById('townhall'), {lang: 'de-DE'})")
    widget = page.locator("#townhall")
    expect(widget.get_by_role("heading", name=re.compile("^Kommentare"))).to_contain_text("1 Kommentar")
    expect(widget.get_by_label("Sortieren nach")).to_be_visible()
    expect(widget.get_by_role("button", name="Anmelden")).to_be_visible()
    expect(widget.locator("section")).to_have_attribute("lang", "de")
    en = page.evaluate("Object.keys(Townhall.messages.en).sort()")
    de = page.evaluate("Object.keys(Townhall.messages.de).sort()")
    assert en == de  # every string is translated


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser: Any, server: LiveServer, api: Api, scheme: str) -> None:
    bob = make_token("bob", "Bob", supporter=True)
    first = api.post(bob, "The Russian aviation group stays, so this is a drawdown. https://example.org/source")
    api.post(make_token("ann", "Ann"), "Agreed, the TASS quote says as much.", first["id"])
    ctx = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": 1000, "height": 900})
    try:
        page = ctx.new_page()
        widget = open_demo(page, server, make_token("alice", "Alice", supporter=True))
        widget.get_by_label("Add a comment").fill("what the fuck")
        # A rejection makes the widget re-read the reader's standing (GET /me) a moment later; let that
        # finish before the ban below, or a late answer would show the ban before the test posts.
        with page.expect_response(lambda r: "/api/v1/me?" in r.url and r.request.method == "GET"):
            widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
        article(widget, first["id"]).get_by_role("button", name="Report").click()
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # thread, badges, rejection panel with <mark>, report form

        api.sanction(api.me(make_token("alice", "Alice"))["id"], "ban", "Repeated insults.")
        widget.get_by_label("Add a comment").fill("Still here?")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.get_by_label("Appeal: explain why the decision should be reversed")).to_be_visible()
        check_axe(page)  # the ban notice and the appeal form
    finally:
        ctx.close()


def check_axe(page: Any) -> None:
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
      return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})),
              passes: r.passes.map(p => p.id)};
    }""")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)
    assert "color-contrast" in result["passes"]  # the check ran over the widget's text


def test_embed_js_is_small_and_self_contained(server: LiveServer, api: Api) -> None:
    import gzip

    r = api.http.get("/embed.js")
    # charset: on a publisher's ISO-8859-1 page the browser would otherwise read the widget's text as Latin-1
    assert r.status_code == 200 and r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert len(gzip.compress(r.content, 9)) <= 40 * 1024
    body = r.text
    # No absolute URL to any other host is built into the widget.
    assert not re.search(r"https?://(?!HOST/)[a-z0-9.-]+", body.split("*/", 1)[1])
    assert THREAD not in body


def test_theme_override_custom_properties_data_token_and_logout(page: Any, server: LiveServer, api: Api) -> None:
    page.emulate_media(color_scheme="light")
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    expect(widget.get_by_text("No comments yet")).to_be_visible()
    section = widget.locator("section.th")
    assert section.evaluate("el => getComputedStyle(el).color") == "rgb(27, 27, 27)"
    # data-theme="dark" overrides the reader's light preference; a CSS custom property restyles the accent.
    page.evaluate("""t => { const el = document.getElementById('townhall');
      el.setAttribute('data-theme', 'dark'); el.setAttribute('data-token', t);
      el.style.setProperty('--th-accent-dark', 'rgb(200, 30, 30)'); Townhall.render(el); }""", make_token("dora", "Dora"))
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Dora")  # data-token signs in
    assert section.evaluate("el => getComputedStyle(el).color") == "rgb(236, 238, 240)"
    post = widget.get_by_role("button", name="Post comment")
    assert post.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(200, 30, 30)"
    page.evaluate("Townhall.logout()")
    expect(widget.get_by_text("Sign in to join the conversation.")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)


def test_embedded_on_another_origin(page: Any, server: LiveServer, api: Api) -> None:
    """A publisher's page on another origin (its own loopback server): the base URL comes from the script's src,
    CORS lets it read, write and listen, and the only hosts contacted are the publisher's and Townhall's."""
    import http.server
    import threading

    article_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title></head>
      <body><h1>A publisher's article</h1>
      <div id="townhall" data-thread="{THREAD}" data-url="/news/1" data-title="Elsewhere"
           data-token="{make_token('olga', 'Olga')}"></div>
      <script src="{server.url}/embed.js" async></script></body></html>""".encode()

    class Publisher(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/news/1" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(article_html if self.path == "/news/1" else b"")

        def log_message(self, *args: Any) -> None:
            pass

    publisher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    threading.Thread(target=publisher.serve_forever, daemon=True).start()
    try:
        origin = f"127.0.0.1:{publisher.server_address[1]}"
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
        api.post(make_token("bob", "Bob"), "Hello from the Townhall side.")
        page.goto(f"http://{origin}/news/1")
        widget = page.locator("#townhall")
        expect(widget.locator(".th-account")).to_contain_text("Signed in as Olga")
        expect(widget.get_by_text("Hello from the Townhall side.")).to_be_visible()
        widget.get_by_label("Add a comment").fill("Posted from the publisher's own domain.")
        answer = submit(page, widget.get_by_role("button", name="Post comment"))
        assert answer["verdict"] == "published"
        mine = article(widget, answer["comment"]["id"])
        expect(mine).to_contain_text("Posted from the publisher's own domain.")
        expect(mine.locator(".th-meta a")).to_have_attribute("href", f"/news/1#comment-{answer['comment']['id']}")
        page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
        page.wait_for_timeout(300)
        api.post(make_token("bob", "Bob"), "And a live one.")
        expect(widget.get_by_role("button", name="1 new comment — show")).to_be_visible()
        assert hosts == {origin, urlsplit(server.url).netloc}
    finally:
        publisher.shutdown()
        publisher.server_close()


def test_closed_thread_offers_no_comment_box(page: Any, server: LiveServer, api: Api) -> None:
    first = api.post(make_token("bob", "Bob"), "Said before the thread was closed.")
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"},
                     headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    login(page, make_token("alice", "Alice"))
    expect(widget.get_by_text("Comments on this article are closed.")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Like")).to_be_visible()
