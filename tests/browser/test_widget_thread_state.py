"""A thread's state in the widget, from both ends: a signed-in moderator closes and opens the article's comments
in place ("Close comments" under the comment form, with an inline confirmation; "Open comments"), which the widget
shows at once and announces, and other readers get live; and a ``thread.closed`` event for the site's age limit
(``closed_reason: "age"``, sent when the publisher's publication date puts the thread past ``close_after_days``)
shows the "closed automatically on {date}" line, as the listing's ``closed_reason: "age"`` does.

The site closes threads after ``DAYS`` days; the app's clock runs with the real time, set back by hand."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api, check_axe
from tests.browser.test_widget_closing import DAYS, KEPT, RunningClock, clock, exact, note, started  # noqa: F401 (clock: a fixture)
from tests.browser.widget_helpers import DEEP_ACTIVE, article, axe_light_and_dark, axe_page, open_demo, submit
from tests.fixtures_app import AppFactory, LiveServer, closing_policy, make_token
from townhall.app import Townhall

pytestmark = pytest.mark.browser

MONA = make_token("mona", "Mona", role="moderator", exp_in=(DAYS + 1) * 86400)
ALICE = make_token("alice", "Alice")
CONFIRM = "Close comments on this article? Readers will no longer be able to comment or reply."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    policy = closing_policy(tmp_path, DAYS)
    return make_app(db_url, demo=True, policy=str(policy))


def wait_live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def polite(widget: Any) -> Any:
    return widget.locator("[role=status]")


def test_a_moderator_closes_and_opens_the_comments_in_place(page: Any, context: Any, server: LiveServer, api: Api) -> None:
    first = api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    # another reader, signed out, on the same article: the control is not theirs, the state reaches them live
    other = context.new_page()
    reader = open_demo(other, server)
    wait_live(other)
    expect(article(reader, first["id"]).get_by_role("button", name="Like")).to_be_visible()
    expect(reader.get_by_role("button", name=re.compile("^(Close|Open) comments$"))).to_have_count(0)

    widget = open_demo(page, server, MONA)
    page.bring_to_front()  # the tab opened last had it: a click in a background tab waits ~2 s for its frames
    control = widget.get_by_role("button", name="Close comments", exact=True)
    expect(control).to_be_visible()
    widget.get_by_label("Add a comment").fill("A moderator's half-written note.")
    # the confirmation takes the focus; Escape and Cancel close it, giving the focus back to the control
    control.click()
    group = widget.get_by_role("group", name=CONFIRM)
    expect(group).to_be_visible()
    expect(control).to_have_attribute("aria-expanded", "true")
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Yes, close comments"
    page.keyboard.press("Escape")
    expect(group).to_have_count(0)
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Close comments"
    expect(control).to_have_attribute("aria-expanded", "false")
    control.click()
    group.get_by_role("button", name="Cancel").click()
    expect(group).to_have_count(0)
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Close comments"
    assert api.thread()["thread"]["state"] == "open"

    control.click()
    done = submit(page, group.get_by_role("button", name="Yes, close comments"), "PUT")
    assert (done["state"], done["kept_open"]) == ("closed", False)
    expect(note(widget)).to_have_text("Comments on this article are closed.")
    expect(widget.get_by_role("button", name="Post comment")).to_have_count(0)
    expect(widget.get_by_label(KEPT)).to_have_value("A moderator's half-written note.")
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    expect(group).to_have_count(0)
    reopen = widget.get_by_role("button", name="Open comments", exact=True)
    expect(reopen).to_be_visible()
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Open comments"  # the focus stays on the control
    expect(polite(widget)).to_have_text("Comments on this article are closed.")
    info = api.thread()["thread"]
    assert (info["state"], info["closed_reason"]) == ("closed", "moderator")
    # the other reader, live
    expect(note(reader)).to_have_text("Comments on this article are closed.")
    expect(reader.get_by_role("button", name=re.compile("^(Close|Open) comments$"))).to_have_count(0)

    # opening needs no confirmation
    done = submit(page, reopen, "PUT")
    assert done["state"] == "open"
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_be_visible()
    expect(note(widget)).to_have_count(0)
    expect(control).to_be_visible()
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Close comments"
    expect(polite(widget)).to_have_text("Comments on this article are open again.")
    assert api.thread()["thread"]["state"] == "open"
    expect(reader.get_by_role("button", name="Reply")).to_be_visible()
    other.close()


def test_only_moderators_get_the_control(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    controls = re.compile("^(Close|Open) comments$")
    widget = open_demo(page, server)
    expect(widget.get_by_role("button", name="Like")).to_be_visible()
    expect(widget.get_by_role("button", name=controls)).to_have_count(0)
    widget = open_demo(page, server, ALICE)
    expect(widget.get_by_role("button", name="Like")).to_be_visible()
    expect(widget.get_by_role("button", name=controls)).to_have_count(0)
    # a moderator signing in gets it; signing out takes it away
    page.evaluate("t => Townhall.login(t)", MONA)
    expect(widget.get_by_role("button", name="Close comments")).to_be_visible()
    page.evaluate("Townhall.logout()")
    expect(widget.get_by_text("Sign in to join the conversation.")).to_be_visible()
    expect(widget.get_by_role("button", name=controls)).to_have_count(0)
    # an admin too, in German
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de'})",
                  make_token("ada", "Ada", role="admin"))
    control = widget.get_by_role("button", name="Kommentare schließen")
    control.click()
    group = widget.get_by_role("group", name=re.compile("^Die Kommentare zu diesem Artikel schließen\\?"))
    submit(page, group.get_by_role("button", name="Ja, schließen"), "PUT")
    expect(note(widget)).to_have_text("Die Kommentare zu diesem Artikel sind geschlossen.")
    submit(page, widget.get_by_role("button", name="Kommentare öffnen"), "PUT")
    expect(polite(widget)).to_have_text("Die Kommentare zu diesem Artikel sind wieder geöffnet.")
    expect(widget.get_by_role("button", name="Kommentar senden")).to_be_visible()


def test_a_refusal_is_shown_and_announced(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server, MONA)
    refusal = {"error": {"code": "forbidden", "message": "This needs a moderator."}}
    page.route("**/api/v1/mod/threads/**", lambda route: route.fulfill(
        status=403, content_type="application/json", body=json.dumps(refusal)))
    control = widget.get_by_role("button", name="Close comments", exact=True)
    control.click()
    widget.get_by_role("button", name="Yes, close comments").click()
    expect(widget.locator(".th-error", has_text="This needs a moderator.")).to_be_visible()
    expect(widget.locator("[role=alert]")).to_have_text("This needs a moderator.")
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()  # still open
    expect(note(widget)).to_have_count(0)
    expect(control).to_be_visible()


def test_opening_a_thread_past_the_age_limit_keeps_it_open(page: Any, server: LiveServer, api: Api,
                                                          clock: RunningClock) -> None:
    first, closes_at = started(api, clock, -timedelta(hours=1))
    widget = open_demo(page, server, token=None)
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})", MONA)
    expect(note(widget)).to_have_text(f"Comments on this article closed automatically on {exact(page, 'en', closes_at)}.")
    done = submit(page, widget.get_by_role("button", name="Open comments", exact=True), "PUT")
    assert (done["state"], done["kept_open"]) == ("open", True)
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_be_visible()
    expect(widget.get_by_role("button", name="Close comments", exact=True)).to_be_visible()
    assert api.thread()["thread"]["state"] == "open"
    page.wait_for_timeout(1500)  # nothing closes it again (no closes_at left to wait for)
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()


def test_a_thread_closed_live_by_the_age_limit_says_so_and_when(page: Any, server: LiveServer, api: Api) -> None:
    """The publisher's publication date puts the thread past the limit: thread.closed with closed_reason "age"."""
    first = api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server, ALICE)
    wait_live(page)
    widget.get_by_label("Add a comment").fill("Written as the article aged.")
    published = (datetime.now(UTC) - timedelta(days=DAYS + 10)).replace(microsecond=0).isoformat()
    r = api.http.patch(f"/api/v1/mod/threads/{THREAD}", json={"published_at": published},
                       headers=api.headers(MONA))
    assert r.status_code == 200, r.text
    info = api.thread()["thread"]
    assert (info["state"], info["closed_reason"]) == ("closed", "age")
    line = f"Comments on this article closed automatically on {exact(page, 'en', info['closes_at'])}."
    expect(note(widget)).to_have_text(line)
    expect(note(widget).locator("time")).to_have_attribute("datetime", info["closes_at"])
    expect(polite(widget)).to_have_text(line)
    expect(widget.get_by_label(KEPT)).to_have_value("Written as the article aged.")
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    # a moderator's closing keeps its own wording (its event names no reason, or "moderator")
    assert api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "open"},
                        headers=api.headers(MONA)).status_code == 200
    expect(widget.get_by_role("button", name="Post comment")).to_be_visible()
    assert api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"},
                        headers=api.headers(MONA)).status_code == 200
    expect(note(widget)).to_have_text("Comments on this article are closed.")


def test_the_control_and_its_confirmation_pass_axe(browser: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    with axe_page(browser) as (page, errors):
        widget = open_demo(page, server, MONA)
        widget.get_by_role("button", name="Close comments", exact=True).click()
        expect(widget.get_by_role("button", name="Yes, close comments")).to_be_focused()
        axe_light_and_dark(page)
        submit(page, widget.get_by_role("button", name="Yes, close comments"), "PUT")
        expect(widget.get_by_role("button", name="Open comments", exact=True)).to_be_focused()
        check_axe(page)
        assert not errors, errors
