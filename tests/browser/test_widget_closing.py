"""A thread closed by the site's age limit (``[comments] close_after_days``) in the widget: a page loaded past the
limit says the thread closed automatically, and when (in English and German); a page left open closes itself at
the thread's ``closes_at``, keeping the reader's draft read-only, without a reload; and a post or an edit the
server refuses because the thread has closed (``closed_thread``, ``thread_closed``) closes the form the same way.

The app's clock here runs with the real time (the browser's), set back or ahead by hand: the thread's age counts
from its first comment, posted with the clock set back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, login, open_demo, submit, until_polling
from tests.fixtures_app import AppFactory, Clock, LiveServer, closing_policy, make_token
from townhall.app import Townhall

pytestmark = pytest.mark.browser

DAYS = 30  # beyond what one setTimeout can wait (about 24.8 days): the widget waits in steps
KEPT = "Not sent: comments are closed. Your text is kept here so you can copy it."
ALICE = make_token("alice", "Alice", exp_in=(DAYS + 1) * 86400)  # still valid once the app's clock moves a month on


@dataclass
class RunningClock(Clock):
    """The real time, moved by ``offset``."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> RunningClock:
    return RunningClock()


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    policy = closing_policy(tmp_path, DAYS)
    # a year-long edit window: an edit after the clock moved on is refused for the thread, not for its age
    return make_app(db_url, demo=True, policy=str(policy), edit_window_minutes=525_600)


def started(api: Api, clock: RunningClock, closes_in: timedelta, text: str = "The first comment starts the thread.",
            sub: str = "bob") -> tuple[dict[str, Any], str]:
    """``sub``'s first comment starts the thread so that the age limit closes it ``closes_in`` from now (real time)."""
    clock.offset = closes_in - timedelta(days=DAYS)
    # the token's iat is checked against the app's clock, its exp against the real time
    first = api.post(make_token(sub, now=clock(), exp_in=(DAYS + 1) * 86400), text)
    clock.offset = timedelta(0)
    closes_at = api.thread()["thread"]["closes_at"]
    assert closes_at is not None
    return first, closes_at


def note(widget: Any) -> Any:
    return widget.locator(".th-note", has_text=re.compile("closed|geschlossen"))


def exact(page: Any, lang: str, iso: str) -> str:
    return page.evaluate("([lang, iso]) => new Intl.DateTimeFormat(lang, {weekday: 'long', year: 'numeric', month: 'long',"
                         " day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short'}).format(new Date(iso))",
                         [lang, iso])  # type: ignore[no-any-return]


def test_a_thread_past_its_limit_says_it_closed_automatically_and_when(page: Any, server: LiveServer, api: Api,
                                                                       clock: RunningClock) -> None:
    first, closes_at = started(api, clock, -timedelta(hours=1))
    info = api.thread()["thread"]
    assert (info["state"], info["closed_reason"], info["closes_at"]) == ("closed", "age", closes_at)
    widget = open_demo(page, server, token=None)
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})", ALICE)
    expect(note(widget)).to_have_text(f"Comments on this article closed automatically on {exact(page, 'en', closes_at)}.")
    expect(note(widget).locator("time")).to_have_attribute("datetime", closes_at)
    expect(widget.get_by_text("Signed in as")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Like")).to_be_visible()

    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de'})",
                  ALICE)
    expect(note(widget)).to_have_text(
        f"Die Kommentare zu diesem Artikel wurden am {exact(page, 'de', closes_at)} automatisch geschlossen.")
    expect(note(widget).locator("time")).to_have_attribute("datetime", closes_at)


def test_a_moderators_closing_keeps_its_own_wording(page: Any, server: LiveServer, api: Api, clock: RunningClock) -> None:
    started(api, clock, -timedelta(hours=1))
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"},
                     headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    expect(note(widget)).to_have_text("Comments on this article are closed.")


def test_a_page_left_open_closes_itself_when_the_limit_comes(page: Any, server: LiveServer, api: Api,
                                                            clock: RunningClock) -> None:
    # a minute for the page to load (on a loaded machine too); then both clocks are moved past the limit, the
    # server's (the app's) and the page's, whose timers run when the test moves it, instead of waiting it out
    first, closes_at = started(api, clock, timedelta(seconds=60))
    page.clock.install()
    widget = open_demo(page, server, ALICE)
    page.evaluate("""() => { window.loadsSince = 0;
      document.getElementById('townhall').addEventListener('townhall:loaded', () => { window.loadsSince++; }); }""")
    widget.get_by_label("Add a comment").fill("My half-written comment.")
    assert datetime.fromisoformat(closes_at) > datetime.now(UTC), "the page took too long to load: the thread closed first"
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    clock.offset = timedelta(seconds=62)
    page.clock.fast_forward(62_000)  # the widget asks the server at closes_at (and up to a second later)
    expect(note(widget)).to_have_text(re.compile("^Comments on this article closed automatically on "), timeout=12_000)
    expect(widget.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(widget.get_by_label(KEPT)).to_have_value("My half-written comment.")
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    assert page.evaluate("window.loadsSince") == 0  # the widget was not loaded again (nor the page)


def test_a_post_refused_because_the_thread_closed_closes_the_form_and_keeps_the_text(page: Any, server: LiveServer,
                                                                                   api: Api, clock: RunningClock) -> None:
    first, closes_at = started(api, clock, timedelta(days=DAYS))
    checks: list[str] = []
    page.on("request", lambda r: checks.append(r.url) if r.method == "GET" and "limit=1&" in r.url + "&" else None)
    widget = open_demo(page, server, ALICE)
    page.wait_for_timeout(1500)
    # closes_at lies 30 days ahead: more than one setTimeout can wait, so the widget waits in steps, asking nothing yet
    assert checks == []
    box = widget.get_by_label("Add a comment")
    box.fill("Posted just after the limit, unknowingly.")
    clock.offset = timedelta(days=DAYS)  # the server's day comes: the page was not told (the widget's timer is a month off)
    refused = submit(page, widget.get_by_role("button", name="Post comment"))
    assert [h["rule"] for h in refused["error"]["details"]["hits"]] == ["closed_thread"]
    expect(widget.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(widget.get_by_label(KEPT)).to_have_value("Posted just after the limit, unknowingly.")
    expect(widget.get_by_role("group", name="The house rules stopped this comment")).to_have_count(0)
    assert page.evaluate(DEEP_ACTIVE)["label"] == KEPT  # focus stays on the text, now read-only
    # the server names why: the age limit, with its time
    expect(note(widget)).to_have_text(re.compile("^Comments on this article closed automatically on "))
    expect(note(widget).locator("time")).to_have_attribute("datetime", closes_at)
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)


def test_an_edit_refused_because_the_thread_closed_closes_the_form_and_keeps_the_text(page: Any, server: LiveServer,
                                                                                    api: Api, clock: RunningClock) -> None:
    mine, _ = started(api, clock, timedelta(days=DAYS), "Alice's comment, to be edited too late.", "alice")
    other = api.post(make_token("bob", "Bob"), "Bob's comment.")
    widget = open_demo(page, server, ALICE)
    article(widget, mine["id"]).get_by_role("button", name="Edit").click()
    form = widget.get_by_label("Edit your comment")
    form.fill("Alice's comment, edited too late.")
    clock.offset = timedelta(days=DAYS)
    refused = submit(page, widget.get_by_role("button", name="Save"), "PATCH")
    assert refused["error"]["code"] == "thread_closed"
    expect(widget.get_by_label(KEPT)).to_have_value("Alice's comment, edited too late.")
    expect(widget.get_by_role("button", name="Save")).to_have_count(0)
    assert page.evaluate(DEEP_ACTIVE)["label"] == KEPT
    expect(note(widget)).to_have_text(re.compile("^Comments on this article closed automatically on "))
    expect(widget.get_by_label("Add a comment")).to_have_count(0)
    expect(article(widget, other["id"]).get_by_role("button", name="Reply")).to_have_count(0)


def test_a_reload_that_finds_the_thread_closed_keeps_the_draft(page: Any, server: LiveServer, api: Api,
                                                               clock: RunningClock, app: Townhall) -> None:
    started(api, clock, timedelta(days=DAYS))
    widget = open_demo(page, server, ALICE)
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed
    widget.get_by_label("Add a comment").fill("Written while the month ran out.")
    clock.offset = timedelta(days=DAYS)
    bus = app.services.events
    bus.resync(bus.last_id, True)  # a reset: the widget loads the thread afresh, and finds it closed
    expect(note(widget)).to_have_text(re.compile("^Comments on this article closed automatically on "))
    expect(widget.get_by_label(KEPT)).to_have_value("Written while the month ran out.")


def test_while_the_live_stream_is_down_polling_sees_a_thread_closed_and_opened(page: Any, server: LiveServer, api: Api,
                                                                               clock: RunningClock) -> None:
    """A widget that fell back to polling (no live stream) learns a moderator's closing and opening from the
    thread's state in the answer it polls, as thread.closed / thread.opened would have told it."""
    started(api, clock, timedelta(days=10))
    page.route("**/live**", lambda route: route.abort())
    # the page's timers run when the test moves its clock: the stream's retries (1-2 s, then 2-4 s) and the polls
    # (every 5 s, the least pollSeconds) take no waiting, and each poll below is the first after the change
    page.clock.install()
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("Townhall.render(document.getElementById('townhall'), {pollSeconds: 2})")
    widget = page.locator("#townhall")
    until_polling(page)
    login(page, make_token("alice", "Alice"))
    box = widget.get_by_label("Add a comment")
    box.fill("Typed while the thread closes.")
    moderator = api.headers(make_token("mod", role="moderator"))
    assert api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"}, headers=moderator).status_code == 200
    page.clock.run_for(5000)  # one poll
    expect(note(widget)).to_have_text("Comments on this article are closed.", timeout=10000)
    expect(widget.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(widget.get_by_label(KEPT)).to_have_value("Typed while the thread closes.")
    assert api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "open"}, headers=moderator).status_code == 200
    page.clock.run_for(5000)  # one poll
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible(timeout=10000)
