"""The reader's widget in a real browser: the demo article, signing in, writing, the house rules in the open,
live updates, sanctions, keyboard-only use, permalinks and paging (guests and embedding: the files beside)."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, login, open_demo, polls_until, submit, until_polling
from townhall.app import Townhall
from tests.fixtures_app import LiveServer, make_token

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

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
    # the page's timers run when the test moves its clock: the stream's retries (1-2 s, then 2-4 s) and the polls
    # (every 5 s) take no waiting
    page.clock.install()
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("Townhall.render(document.getElementById('townhall'), {pollSeconds: 5})")
    widget = page.locator("#townhall")
    expect(widget.get_by_text("No comments yet")).to_be_visible()
    until_polling(page)
    api.post(make_token("bob", "Bob"), "Arrived while the stream was down.")
    # a signed-out read may be a second old (page_cache_seconds): the first poll can miss the comment, the next not
    banner = widget.get_by_role("button", name="1 new comment — show")
    polls_until(page, lambda ms: expect(banner).to_be_visible(timeout=ms))


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
    # p.th-ok, not the text alone: the live region repeats it 50 ms later, and two matches fail a strict locator
    expect(widget.locator("p.th-ok")).to_have_text("Your appeal was sent. A moderator will review it.")
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
    assert [k for k in en if k not in de] == []  # every string is translated
    # and German has the server's refusals by code, which an English widget takes from the server as they are
    assert [k for k in de if k not in en and not k.startswith("e_")] == []
    # every refusal a reader can meet, by the codes the server's source names, is in German; the generic codes
    # show the server's words, the others are staff's (dashboard, moderators' API) or the widget's own handling
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "townhall").rglob("*.py"))
    codes = set(re.findall(r'\bcode ?= ?"([a-z_]+)"', source))
    codes |= set(re.findall(r'^[A-Z_]+ = "([a-z_]+)"  # the error code', source, re.M))
    codes |= set(re.findall(r'\d{3}: "([a-z_]+)"', (ROOT / "townhall/web/errors.py").read_text(encoding="utf-8")))
    generic = {"bad_request", "conflict", "forbidden", "invalid"}
    staff = {"already_decided", "bad_credentials", "csrf_failed", "staff_account", "own_action", "already_in_force",
             "already_taken", "origin_not_allowed", "method_not_allowed", "not_acceptable", "unsupported_media_type"}
    handled = {"rate_limited", "token_expired", "rejected_by_house_rules"}  # errRate, errExpired, the rules' own texts
    assert {"appeal_moot", "thread_closed", "payload_too_large"} <= codes  # the scan finds them
    assert sorted(c for c in codes - generic - staff - handled if "e_" + c not in de) == []
