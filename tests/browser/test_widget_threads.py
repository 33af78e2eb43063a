"""The thread as the widget draws and follows it: sort changes racing, permalinks deep in a thread, live
removals and the count, long names on a phone, right-to-left text, and a failed load."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, open_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser


def live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def test_the_last_sort_chosen_wins_when_an_earlier_answer_comes_late(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    ids = [api.post(bob, f"Root {i}.")["id"] for i in range(5)]
    r = api.http.put(f"/api/v1/comments/{ids[-1]}/reaction", json={"kind": "like"},
                     headers=api.headers(make_token("liker")))
    assert r.status_code == 200, r.text
    # The "Most liked" answer is held back until the "Oldest first" one has been drawn; window.topDone is set once
    # the widget has had the late answer (read its JSON and gone on from there).
    page.add_init_script("""(() => {
      const f = window.fetch;
      let oldestDrawn;
      const oldest = new Promise((ok) => { oldestDrawn = ok; });
      const after = (r, then) => { const json = r.json.bind(r);
        r.json = async () => { const v = await json(); setTimeout(then, 0); return v; }; return r; };
      window.fetch = async (...a) => {
        const url = String(a[0]);
        const r = await f(...a);
        if (url.includes('sort=top')) { await oldest; return after(r, () => { window.topDone = true; }); }
        if (url.includes('sort=oldest')) return after(r, oldestDrawn);
        return r;
      };
    })()""")
    widget = open_demo(page, server)
    expect(widget.locator(".th-list > li")).to_have_count(5)
    sort = widget.get_by_label("Sort by")
    sort.select_option("top")
    sort.select_option("oldest")
    page.wait_for_function("() => window.topDone === true")
    expect(sort).to_have_value("oldest")
    shown = widget.locator(".th-list > li > article").evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert shown == ids
    expect(widget.locator(".th-list")).not_to_have_attribute("aria-busy", "true")


def test_a_permalink_two_continue_buttons_deep_opens(page: Any, server: LiveServer, api: Api) -> None:
    parent = api.post(make_token("bob", "Bob"), "Root.")["id"]
    chain = [parent]
    for depth in range(1, 12):
        parent = api.post(make_token("ann", "Ann"), f"Depth {depth}.", parent)["id"]
        chain.append(parent)
    widget = open_demo(page, server, suffix=f"#comment-{chain[11]}")  # maxDepth 5: behind two "continue"
    target = article(widget, chain[11])
    expect(target).to_have_class(re.compile(r"\bth-highlight\b"))
    expect(target).to_be_focused()
    expect(target).to_contain_text("Depth 11.")


def test_a_permalink_to_a_reply_past_the_first_page_of_replies_opens(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    root = api.post(bob, "Popular root.")["id"]
    replies = [api.post(make_token(f"u{i % 3}", f"User {i % 3}"), f"Reply {i}.", root)["id"] for i in range(52)]
    widget = open_demo(page, server, suffix=f"#comment-{replies[-1]}")
    target = article(widget, replies[-1])
    expect(target).to_have_class(re.compile(r"\bth-highlight\b"))
    expect(target).to_be_focused()
    expect(widget.locator(f"#comment-{root} .th-replies > li")).to_have_count(52)
    expect(widget.get_by_role("button", name="Load more replies")).to_have_count(0)


def test_the_authors_own_widget_shows_a_moderator_removing_their_comment(page: Any, server: LiveServer,
                                                                         api: Api) -> None:
    widget = open_demo(page, server, make_token("alice", "Alice"))
    live(page)
    widget.get_by_label("Add a comment").fill("Alice's comment, about to be removed.")
    mine = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]["id"]
    heading = widget.get_by_role("heading", name=re.compile("^Comments"))
    expect(heading).to_contain_text("1 comment")
    r = api.http.post(f"/api/v1/mod/comments/{mine}/decision", json={"action": "reject", "reason": "Personal attack"},
                      headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    expect(article(widget, mine)).to_contain_text("This comment was removed by a moderator.")
    expect(heading).to_contain_text("0 comments")
    expect(article(widget, mine).get_by_role("button", name="Edit")).to_have_count(0)


def test_the_count_follows_a_live_deletion_of_a_comment_not_shown(page: Any, server: LiveServer, api: Api) -> None:
    bob = make_token("bob", "Bob")
    ids = [api.post(bob, f"Root {i}.")["id"] for i in range(25)]
    widget = open_demo(page, server)
    heading = widget.get_by_role("heading", name=re.compile("^Comments"))
    expect(heading).to_contain_text("25 comments")
    expect(widget.locator(".th-list > li")).to_have_count(20)
    live(page)
    page.evaluate("""() => { window.counts = [];
      document.getElementById('townhall').addEventListener('townhall:count', (e) => window.counts.push(e.detail.count)); }""")
    r = api.http.delete(f"/api/v1/comments/{ids[0]}", headers=api.headers(bob))  # the oldest: on page two
    assert r.status_code == 204, r.text
    expect(heading).to_contain_text("24 comments")
    assert page.evaluate("window.counts") == [24]
    r = api.http.delete(f"/api/v1/comments/{ids[-1]}", headers=api.headers(bob))  # shown
    assert r.status_code == 204, r.text
    expect(heading).to_contain_text("23 comments")
    assert api.thread()["thread"]["count"] == 23


def test_long_names_do_not_overflow_a_phone(page: Any, server: LiveServer, api: Api) -> None:
    long_name = "W" * 80  # the server's limit, one unbroken word
    other = api.post(make_token("long", long_name), "A short comment from someone with a very long name.")
    page.set_viewport_size({"width": 375, "height": 800})
    widget = open_demo(page, server, make_token("alice", "M" * 80))
    article(widget, other["id"]).get_by_role("button", name="Reply").click()
    expect(widget.get_by_label(f"Reply to {long_name}")).to_be_focused()
    expect(widget.locator(".th-account strong")).to_have_text("M" * 80)
    widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
      widget: document.getElementById('townhall').getBoundingClientRect().right,
      parts: Array.from(document.getElementById('townhall').shadowRoot.querySelectorAll('.th-name, .th-account, label'),
                        (e) => e.getBoundingClientRect().right)})""")
    assert widths["page"] <= widths["view"], widths
    assert max(widths["parts"]) <= widths["widget"] + 0.5, widths


def test_right_to_left_text_and_pages(page: Any, server: LiveServer, api: Api) -> None:
    root = api.post(make_token("bob", "Bob"), "An English comment.")
    api.post(make_token("dana", "דנה"), "שלום, זו תגובה בעברית!", root["id"])
    widget = open_demo(page, server)
    hebrew = widget.locator(".th-replies .th-c")
    expect(hebrew.locator(".th-body")).to_have_attribute("dir", "auto")
    expect(hebrew.locator(".th-name")).to_have_attribute("dir", "auto")
    assert hebrew.locator(".th-body").evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert widget.locator(".th-list > li > .th-c .th-body").evaluate("e => getComputedStyle(e).direction") == "ltr"

    page.evaluate("""() => { document.documentElement.dir = 'rtl';
      Townhall.render(document.getElementById('townhall')); }""")
    replies = widget.locator(".th-replies")
    expect(replies.locator(".th-body")).to_have_text("שלום, זו תגובה בעברית!")
    style = replies.evaluate("""e => { const s = getComputedStyle(e);
      return [s.borderRightWidth, s.borderLeftWidth, s.paddingRight, s.paddingLeft]; }""")
    assert style[0] == "2px" and style[1] == "0px" and style[2] != "0px" and style[3] == "0px", style


def test_a_failed_load_is_announced_and_try_again_keeps_the_focus(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Existing comment.")
    failing = {"on": True}

    def comments(route: Any) -> None:
        if failing["on"] and route.request.method == "GET":
            route.fulfill(status=503, content_type="application/json", body=json.dumps(
                {"error": {"code": "unavailable", "message": "The database is unavailable; please try again shortly."}}))
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/threads/.*/comments.*"), comments)
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    retry = widget.get_by_role("button", name="Try again")
    expect(retry).to_be_visible()
    expect(widget.locator("[role=alert]")).to_contain_text("The comments could not be loaded.")
    failing["on"] = False
    retry.focus()
    page.keyboard.press("Enter")
    expect(widget.get_by_text("Existing comment.")).to_be_visible()
    focused = page.evaluate(DEEP_ACTIVE)
    assert focused["inWidget"] and focused["tag"] == "h2", focused
