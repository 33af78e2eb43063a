"""The site's announcement in the widget (Coral's site-wide "Announcement"): while the listing's
``thread.announcement`` is set, a box above the newsroom's message, a region named "Announcement", shows it as text in
paragraphs (markup in it stays text), marked apart from the message by an accent edge; it disappears at its ``until``
by itself, without a reload, and is not shown again on reloading once the server's clock is past it. A change reaches
an open widget on its next read of the thread (here a poll, where the browser has no EventSource). In German the
region is "Ankündigung". axe-core finds nothing serious in either colour scheme."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import axe_light_and_dark, axe_page, open_demo, polls_until, render_demo
from tests.fixtures_app import Clock, LiveServer, make_token

pytestmark = pytest.mark.browser

MOD = make_token("mod", role="moderator")
CLOSING = "Comments on election coverage close at 22:00 tonight."
MOVING = "We are moving to a new sign-in on <b>Monday</b>.\nYour account stays."
TOPIC = "Please keep to the topic: the candidates' debate."


def announce(api: Api, text: str, until: str | None = None) -> None:
    r = api.http.put("/api/v1/mod/announcement", json={"text": text, "until": until}, headers=api.headers(MOD))
    assert r.status_code == 200 and r.json()["announcement"]["text"], r.text


def set_message(api: Api, message: str) -> None:
    r = api.http.patch(f"/api/v1/mod/threads/{THREAD}", json={"message": message}, headers=api.headers(MOD))
    assert r.status_code == 200, r.text


def box(widget: Any, name: str = "Announcement") -> Any:
    return widget.get_by_role("region", name=name)


def test_shown_above_the_message_and_gone_at_until_without_a_reload(page: Any, server: LiveServer, api: Api,
                                                                    clock: Clock) -> None:
    set_message(api, TOPIC)
    # the server's clock stands still (the test's), the browser's runs: until is a few seconds of the browser's away
    announce(api, CLOSING + "\n\n" + MOVING, (clock.now + timedelta(seconds=8)).isoformat())
    page.clock.install()  # the browser's clock, from now, runs when the test moves it (to until, below)
    widget = open_demo(page, server)
    expect(box(widget)).to_be_visible()
    expect(box(widget).get_by_role("heading", name="Announcement")).to_be_visible()
    expect(box(widget).locator("p")).to_have_text([CLOSING, MOVING])  # a line break kept
    expect(box(widget).locator("b")).to_have_count(0)  # the server's text is never markup
    # above the newsroom's message, and told apart from it by its edge
    assert box(widget).evaluate("""el => {
      const msg = el.getRootNode().querySelector('.th-message');
      return !!(msg && !msg.hidden && (el.compareDocumentPosition(msg) & Node.DOCUMENT_POSITION_FOLLOWING));
    }""")
    edges = box(widget).evaluate("""el => [getComputedStyle(el).borderInlineStartWidth,
      getComputedStyle(el.getRootNode().querySelector('.th-message')).borderInlineStartWidth]""")
    assert edges[0] != edges[1], edges
    page.clock.fast_forward(10_000)  # past until (its timer fires; the page is not loaded again)
    expect(box(widget)).to_be_hidden(timeout=15000)  # at until, by itself
    expect(widget.locator(".th-announce")).to_be_hidden()
    expect(widget.get_by_role("region", name="From the newsroom")).to_be_visible()  # the message stays
    clock.advance(seconds=8)  # the server's clock past it too: a reload shows none
    page.reload()
    widget = open_demo(page, server)
    expect(widget.get_by_role("region", name="From the newsroom")).to_be_visible()
    expect(widget.locator(".th-announce")).to_be_hidden()


def test_a_change_reaches_an_open_widget_on_its_next_read(page: Any, server: LiveServer, api: Api) -> None:
    page.add_init_script("delete window.EventSource")  # the widget polls the thread instead
    page.clock.install()  # its polls (every 5 s) run when the test moves the page's clock
    widget = open_demo(page, server)
    page.evaluate("() => Townhall.render(document.getElementById('townhall'), {pollSeconds: 5})")
    expect(widget).to_have_attribute("data-live-state", "polling")
    expect(widget.locator(".th-announce")).to_be_hidden()
    announce(api, CLOSING)
    polls_until(page, lambda ms: expect(box(widget).locator("p")).to_have_text([CLOSING], timeout=ms))
    r = api.http.delete("/api/v1/mod/announcement", headers=api.headers(MOD))
    assert r.status_code == 204, r.text
    polls_until(page, lambda ms: expect(widget.locator(".th-announce")).to_be_hidden(timeout=ms))


def test_german_and_axe(browser: Any, server: LiveServer, api: Api) -> None:
    announce(api, CLOSING + "\n\n" + MOVING)
    set_message(api, TOPIC)
    with axe_page(browser) as (page, errors):
        widget = render_demo(page, server)
        expect(box(widget, "Ankündigung")).to_be_visible()
        expect(box(widget, "Ankündigung").locator("p")).to_have_count(2)
        expect(widget.get_by_role("region", name=re.compile("^Announcement$"))).to_have_count(0)
        axe_light_and_dark(page)
        assert not errors, errors
