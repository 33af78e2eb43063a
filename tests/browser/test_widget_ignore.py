"""A reader's ignore list in the widget: the "Ignore" button (on other readers' comments only, for a signed-in
reader), its inline confirmation (focus, Escape), the reader's comments hidden at once (a placeholder where a
reply hangs under one), a live comment of theirs not announced, the list with "Stop ignoring", German, axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, axe_light_and_dark, axe_page, open_demo, render_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

BOB = make_token("bob", "Bob")
DAVE = make_token("dave", "Dave")
PLACEHOLDER = "Comment from a reader you ignore."


def wait_live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def arrange(api: Api) -> dict[str, dict[str, Any]]:
    c = {"alice": api.post(make_token("alice", "Alice"), "Alice opens the thread.")}
    c["bob_reply"] = api.post(BOB, "Bob answers Alice.", c["alice"]["id"])
    c["bob_alone"] = api.post(BOB, "Bob, with nobody answering.")
    c["bob_answered"] = api.post(BOB, "Bob, answered.")
    c["carol"] = api.post(make_token("carol", "Carol"), "Carol answers Bob.", c["bob_answered"]["id"])
    c["mona"] = api.post(make_token("mona", "Mona", role="moderator"), "From the moderators' desk.")
    c["dave"] = api.post(DAVE, "Dave's own comment.")
    return c


def ignore_button(widget: Any, comment: dict[str, Any]) -> Any:
    return article(widget, comment["id"]).get_by_role("button", name="Ignore", exact=True)


def test_a_reader_ignores_another_and_stops_ignoring(page: Any, server: LiveServer, api: Api) -> None:
    c = arrange(api)
    for key in ("bob_alone", "alice"):
        r = api.http.put(f"/api/v1/mod/comments/{c[key]['id']}/featured", json={"featured": True},
                         headers=api.headers(make_token("mona", "Mona", role="moderator")))
        assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    expect(article(widget, c["bob_alone"]["id"])).to_be_visible()
    expect(widget.get_by_role("button", name="Ignore", exact=True)).to_have_count(0)  # signed out: none

    widget = open_demo(page, server, DAVE)
    picks = widget.get_by_role("region", name="Featured comments")
    expect(picks.get_by_role("listitem")).to_have_count(2)
    for key in ("alice", "bob_reply", "bob_alone", "bob_answered", "carol"):
        expect(ignore_button(widget, c[key])).to_be_visible()
    expect(ignore_button(widget, c["dave"])).to_have_count(0)  # their own
    expect(ignore_button(widget, c["mona"])).to_have_count(0)  # a moderator's

    # From the keyboard: the confirmation takes the focus; Escape closes it and gives the focus back.
    button = ignore_button(widget, c["bob_alone"])
    button.focus()
    page.keyboard.press("Enter")
    group = widget.get_by_role("group", name="Ignore Bob? Their comments will be hidden from you.")
    expect(group).to_be_visible()
    expect(group.get_by_role("button", name="Yes, ignore")).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(group).to_have_count(0)
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    group.get_by_role("button", name="Cancel").click()
    expect(group).to_have_count(0)
    expect(button).to_be_focused()

    button.click()
    assert submit(page, group.get_by_role("button", name="Yes, ignore"), "PUT") == {
        "account_id": c["bob_alone"]["author"]["id"], "name": "Bob", "ignored": True}
    # at once: Bob's comments go; the one Carol answered stays as a placeholder, with her reply under it
    expect(widget.locator(f"#comment-{c['bob_alone']['id']}")).to_have_count(0)
    expect(widget.locator(f"#comment-{c['bob_reply']['id']}")).to_have_count(0)
    holder = article(widget, c["bob_answered"]["id"])
    expect(holder).to_have_text(PLACEHOLDER)
    expect(holder).to_have_attribute("aria-label", PLACEHOLDER)
    expect(holder.get_by_role("button")).to_have_count(0)
    expect(article(widget, c["carol"]["id"])).to_contain_text("Carol answers Bob.")
    expect(article(widget, c["alice"]["id"])).to_contain_text("Alice opens the thread.")
    expect(widget.locator("[role=status]")).to_have_text("You now ignore Bob: their comments are hidden.")
    focused = page.evaluate(DEEP_ACTIVE)  # the comment is gone: the focus is on the heading
    assert focused["tag"] == "h2" and focused["inWidget"], focused
    expect(widget).not_to_contain_text("Bob answers Alice.")
    expect(picks.get_by_role("listitem")).to_have_count(1)  # the featured section too
    expect(picks).to_contain_text("Alice opens the thread.")
    summary = widget.locator("summary", has_text="You ignore 1 reader")
    expect(summary).to_be_visible()

    # Live: Bob's new comment is not announced; Carol's is, and the reload shows hers, not his.
    wait_live(page)
    from_bob = api.post(BOB, "Bob, live.")
    page.wait_for_timeout(500)
    banner = widget.locator(".th-banner")
    expect(banner).to_be_hidden()
    from_carol = api.post(make_token("carol", "Carol"), "Carol, live.")
    expect(banner).to_have_text("1 new comment — show")
    banner.click()
    expect(article(widget, from_carol["id"])).to_be_visible()
    expect(widget.locator(f"#comment-{from_bob['id']}")).to_have_count(0)
    expect(article(widget, c["bob_answered"]["id"])).to_have_text(PLACEHOLDER)  # the server's placeholder, drawn
    expect(widget.locator(f"#comment-{c['bob_alone']['id']}")).to_have_count(0)

    # Stop ignoring: from the list, Bob's comments come back.
    summary.click()
    stop = widget.get_by_role("button", name="Stop ignoring Bob")
    expect(stop).to_be_visible()
    expect(stop).to_have_text("Stop ignoring Bob")  # "Bob" for screen readers only
    assert stop.locator(".th-sr").inner_text().strip() == "Bob"
    with page.expect_response(lambda r: r.request.method == "DELETE" and "/me/ignored/" in r.url) as info:
        stop.click()
    assert info.value.status == 204
    expect(widget.locator("[role=status]")).to_have_text("You see comments from Bob again.")
    expect(article(widget, c["bob_alone"]["id"])).to_contain_text("Bob, with nobody answering.")
    expect(article(widget, c["bob_answered"]["id"])).to_contain_text("Bob, answered.")
    expect(article(widget, from_bob["id"])).to_contain_text("Bob, live.")
    expect(widget.locator("summary")).to_have_count(0)
    expect(picks.get_by_role("listitem")).to_have_count(2)
    r = api.http.get("/api/v1/me/ignored", headers=api.headers(DAVE))
    assert r.json()["ignored"] == []


def test_the_list_survives_a_reload_and_a_refusal_is_announced(page: Any, server: LiveServer, api: Api) -> None:
    c = arrange(api)
    r = api.http.put(f"/api/v1/me/ignored/{c['bob_alone']['author']['id']}", headers=api.headers(DAVE))
    assert r.status_code == 200, r.text
    widget = open_demo(page, server, DAVE)
    expect(widget.locator("summary", has_text="You ignore 1 reader")).to_be_visible()
    expect(widget.locator(f"#comment-{c['bob_alone']['id']}")).to_have_count(0)
    expect(article(widget, c["bob_answered"]["id"])).to_have_text(PLACEHOLDER)
    # a refusal (here: a moderator's account, as the server would say) is announced; nothing is hidden
    page.route(re.compile(r".*/api/v1/me/ignored/\d+.*"), lambda route: route.fulfill(
        status=422, content_type="application/json",
        body='{"error": {"code": "cannot_ignore_moderator", "message": "Moderators cannot be ignored."}}'))
    ignore_button(widget, c["alice"]).click()
    widget.get_by_role("button", name="Yes, ignore").click()
    expect(widget.locator("[role=alert]")).to_have_text("Moderators cannot be ignored.")
    expect(article(widget, c["alice"]["id"])).to_contain_text("Alice opens the thread.")
    expect(widget.get_by_role("button", name="Yes, ignore")).to_be_enabled()


def test_german_and_axe(browser: Any, server: LiveServer, api: Api) -> None:
    c = arrange(api)
    r = api.http.put(f"/api/v1/me/ignored/{c['bob_alone']['author']['id']}", headers=api.headers(DAVE))
    assert r.status_code == 200, r.text
    with axe_page(browser) as (page, errors):
        widget = render_demo(page, server, DAVE)
        expect(article(widget, c["bob_answered"]["id"])).to_have_text("Kommentar einer Person, die Sie ignorieren.")
        summary = widget.locator("summary", has_text="Sie ignorieren 1 Person")
        summary.click()
        expect(widget.get_by_role("button", name="Nicht mehr ignorieren Bob")).to_be_visible()
        article(widget, c["alice"]["id"]).get_by_role("button", name="Ignorieren", exact=True).click()
        expect(widget.get_by_role("group", name=re.compile("^Alice ignorieren\\?"))).to_be_visible()
        expect(widget.get_by_role("button", name="Ja, ignorieren")).to_be_focused()
        axe_light_and_dark(page)
        assert not errors, errors
