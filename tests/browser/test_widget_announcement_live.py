"""The site's announcement reaches open widgets live (``site.announcement``): a moderator's new announcement shows in
every open widget of the site, whatever its article, and a cleared one disappears, without a reload and without
waiting for a poll (the widgets read nothing again meanwhile); one set with an ``until`` still disappears then by
itself. Polling widgets (no EventSource) are tests/browser/test_widget_announcement.py's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.test_widget_announcement import announce
from tests.fixtures_app import LiveServer, make_token
from townhall.app import Townhall

pytestmark = pytest.mark.browser

MOD = make_token("mod", role="moderator")
ELSEWHERE = "another-article"
CLOSING = "Comments on election coverage close at 22:00 tonight."
MOVING = "We are moving to a new sign-in on <b>Monday</b>.\nYour account stays."


def clear(api: Api) -> None:
    r = api.http.delete("/api/v1/mod/announcement", headers=api.headers(MOD))
    assert r.status_code == 204, r.text


def open_live(page: Any, server: LiveServer, app: Townhall, thread: str, reads: list[str]) -> Any:
    """The demo page's widget on ``thread``, polling an hour apart, once its stream is subscribed; from then on the
    widget's reads of the thread are added to ``reads``."""
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {thread: t, pollSeconds: 3600})", thread)
    widget = page.locator("#townhall")
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    expect(widget).to_have_attribute("data-live-state", "sse")
    bus = app.services.events
    channel = bus.channel(app.settings.default_site, thread)
    deadline = datetime.now(UTC) + timedelta(seconds=8)
    while bus.subscriber_count(channel) < 1:
        assert datetime.now(UTC) < deadline, "the widget's stream did not subscribe"
        page.wait_for_timeout(50)
    page.on("request", lambda r: reads.append(r.url) if "/comments" in r.url or "/announcement" in r.url else None)
    return widget


def box(widget: Any) -> Any:
    return widget.get_by_role("region", name="Announcement")


def test_set_and_cleared_reach_open_widgets_of_every_article_at_once(context: Any, page: Any, server: LiveServer,
                                                                      api: Api, app: Townhall) -> None:
    reads: list[str] = []
    context.clock.install()  # the pages' timers run when the test moves their clock (to the until below)
    widgets = [open_live(page, server, app, THREAD, reads),
               open_live(context.new_page(), server, app, ELSEWHERE, reads)]
    for widget in widgets:
        expect(widget.locator(".th-announce")).to_be_hidden()

    announce(api, CLOSING + "\n\n" + MOVING)
    for widget in widgets:
        expect(box(widget).locator("p")).to_have_text([CLOSING, MOVING], timeout=4000)  # live: the poll is an hour away
        expect(box(widget).locator("b")).to_have_count(0)  # the event's text is never markup
    announce(api, CLOSING)
    for widget in widgets:
        expect(box(widget).locator("p")).to_have_text([CLOSING], timeout=4000)

    clear(api)
    for widget in widgets:
        expect(widget.locator(".th-announce")).to_be_hidden(timeout=4000)

    # one with an end: shown live, then gone at its until by the widget's own timer (the server's test clock stands
    # still, so its until is only a few seconds ahead of the browser's)
    announce(api, MOVING, (datetime.now(UTC) + timedelta(seconds=5)).isoformat())
    for widget in widgets:
        expect(box(widget).locator("p")).to_have_text([MOVING], timeout=4000)
    context.clock.fast_forward(15_000)  # past until; the hourly poll stays far off
    for widget in widgets:
        expect(widget.locator(".th-announce")).to_be_hidden(timeout=10000)
    assert reads == [], reads  # neither widget read the thread (or the announcement) again: all of it came live
    for widget in widgets:
        expect(widget).to_have_attribute("data-live-state", "sse")
