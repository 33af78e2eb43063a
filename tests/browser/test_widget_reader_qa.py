"""Found walking the reader's journey on the demo page: Escape closes an inline form (reply, edit, delete, report)
as its Cancel button does, but only while that loses nothing the reader typed; the link in a sanction's notice
(the comment it was for) takes the widget's accent colour, as every other link of the widget, instead of the
browser's default blue."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, login, open_demo
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser


def test_escape_closes_an_untouched_inline_form_and_keeps_a_typed_one(page: Any, server: LiveServer, api: Api) -> None:
    alex = make_token("alex", "Alex")
    own = api.post(alex, "My own comment, still within the edit window.")
    other = api.post(make_token("bea", "Bea"), "A comment by someone else.")
    widget = open_demo(page, server, alex)
    theirs, mine = article(widget, other["id"]), article(widget, own["id"])

    reply = theirs.get_by_role("button", name="Reply")
    reply.click()
    expect(widget.get_by_label("Reply to Bea")).to_be_focused()
    page.keyboard.press("Escape")  # nothing typed: closes, focus back on the button that opened it
    expect(widget.get_by_label("Reply to Bea")).to_have_count(0)
    expect(reply).to_be_focused()
    expect(reply).to_have_attribute("aria-expanded", "false")

    reply.press("Enter")
    page.keyboard.type("A draft I do not want to lose")
    page.keyboard.press("Escape")  # typed text: Escape does not throw it away
    expect(widget.get_by_label("Reply to Bea")).to_have_value("A draft I do not want to lose")
    theirs.get_by_role("button", name="Cancel").click()

    report = theirs.get_by_role("button", name="Report")
    report.click()
    expect(theirs.get_by_role("button", name="Send report")).to_be_visible()
    page.keyboard.press("Escape")
    expect(theirs.get_by_role("button", name="Send report")).to_have_count(0)
    expect(report).to_be_focused()

    edit = mine.get_by_role("button", name="Edit")
    edit.click()
    expect(widget.get_by_label("Edit your comment")).to_be_focused()
    page.keyboard.press("Escape")  # the text as it was: closes
    expect(widget.get_by_label("Edit your comment")).to_have_count(0)
    expect(edit).to_be_focused()

    delete = mine.get_by_role("button", name="Delete")
    delete.click()
    expect(mine.get_by_role("button", name="Yes, delete")).to_be_focused()
    page.keyboard.press("Escape")
    expect(mine.get_by_role("button", name="Yes, delete")).to_have_count(0)
    expect(delete).to_be_focused()
    assert api.thread()["thread"]["count"] == 2  # nothing was deleted or sent


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_link_in_a_sanction_notice_takes_the_accent_colour(browser: Any, server: LiveServer, api: Api,
                                                               scheme: str) -> None:
    eve = make_token("eve", "Eve")
    comment = api.post(eve, "The ministry's numbers do not add up.")
    r = api.http.post(f"/api/v1/mod/accounts/{api.me(eve)['id']}/sanctions",
                      headers=api.headers(make_token("mod", role="moderator")),
                      json={"sanction": "suspend", "hours": 48, "reason": "Attacks on other readers.",
                            "comment_id": comment["id"]})
    assert r.status_code == 201, r.text
    ctx = browser.new_context(viewport={"width": 800, "height": 900}, locale="en-GB", color_scheme=scheme)
    try:
        page = ctx.new_page()
        widget = open_demo(page, server)
        login(page, eve)  # a suspended reader gets no comment box, so not open_demo's sign-in
        notice = widget.locator(".th-sanction")
        link = notice.get_by_role("link")
        expect(link).to_be_visible()
        colours = link.evaluate("""a => {
          const probe = document.createElement('span');
          probe.style.color = getComputedStyle(a).getPropertyValue('--_accent') || 'red';
          a.getRootNode().querySelector('.th-sanction').append(probe);
          const accent = getComputedStyle(probe).color; probe.remove();
          return {link: getComputedStyle(a).color, accent};
        }""")
        assert colours["link"] == colours["accent"], colours
    finally:
        ctx.close()


def test_the_edited_mark_stays_edited_when_the_times_are_refreshed(page: Any, server: LiveServer, api: Api) -> None:
    """Every minute the widget rewrites relative times ("5 minutes ago"); it rewrote the "(edited)" mark, a
    <time> too, into one ("(2 minutes ago)")."""
    page.clock.install()
    alice = make_token("alice", "Alice")
    mine = api.post(alice, "A comment I will correct.")
    widget = open_demo(page, server, alice)
    own = article(widget, mine["id"])
    own.get_by_role("button", name="Edit").click()
    widget.get_by_label("Edit your comment").fill("A comment I corrected.")
    widget.get_by_role("button", name="Save changes").click()
    own = article(widget, mine["id"])
    expect(own.locator(".th-body")).to_have_text("A comment I corrected.")
    mark = own.locator(".th-meta .th-muted time")
    expect(mark).to_have_text("edited")
    page.clock.fast_forward("02:05")
    page.wait_for_timeout(100)
    expect(mark).to_have_text("edited")
