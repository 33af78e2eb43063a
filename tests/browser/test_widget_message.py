"""The newsroom's message in the widget (Coral's per-story "Message box"): while the listing's ``thread.message`` is
set, a quiet box above the comment box, a region named "From the newsroom", shows it as text in paragraphs (markup
in it stays text); a moderator's change reaches open widgets live (``thread.message``), and a reload shows it from
the listing; it stays while the thread is closed. In German the region is "Von der Redaktion". axe-core finds
nothing serious in either language or colour scheme."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import axe_light_and_dark, axe_page, open_demo, render_demo
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

ALICE = make_token("alice", "Alice")
MOD = make_token("mod", role="moderator")
TOPIC = "Please keep to the topic: the candidates' debate."
QUESTION = "What did you make of it?\nTell us <b>below</b>."


def set_message(api: Api, message: str | None) -> None:
    r = api.http.patch(f"/api/v1/mod/threads/{THREAD}", json={"message": message}, headers=api.headers(MOD))
    assert r.status_code == 200 and r.json()["message"] == message, r.text


def set_state(api: Api, state: str) -> None:
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": state}, headers=api.headers(MOD))
    assert r.status_code == 200, r.text


def box(widget: Any, name: str = "From the newsroom") -> Any:
    return widget.get_by_role("region", name=name)


def paragraphs(widget: Any) -> list[str]:
    return [str(t) for t in box(widget).locator("p").all_inner_texts()]


def test_the_message_above_the_comment_box_live_on_reload_and_while_closed(page: Any, server: LiveServer,
                                                                          api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server, ALICE)
    expect(widget.locator(".th-message")).to_be_hidden()  # no message: no box
    expect(widget).to_have_attribute("data-live-state", "sse")
    page.wait_for_timeout(300)  # the EventSource is subscribed
    set_message(api, TOPIC + "\n\n" + QUESTION)
    expect(box(widget)).to_be_visible()  # live
    expect(box(widget).locator("p")).to_have_count(2)
    assert paragraphs(widget) == [TOPIC, "What did you make of it?\nTell us <b>below</b>."]  # a line break kept
    expect(box(widget).locator("b")).to_have_count(0)  # the server's text is never markup
    expect(box(widget).get_by_role("heading", name="From the newsroom")).to_be_visible()
    # the box sits above the comment box
    assert box(widget).evaluate("""el => {
      const area = el.getRootNode().querySelector('textarea');
      return !!(area && (el.compareDocumentPosition(area) & Node.DOCUMENT_POSITION_FOLLOWING));
    }""")
    set_message(api, "The debate's second round starts at 8 pm.")
    expect(box(widget).locator("p")).to_have_text(["The debate's second round starts at 8 pm."])  # changed live
    set_state(api, "closed")
    expect(widget.locator("p.th-note", has_text="Comments on this article are closed.")).to_be_visible()  # not the live region's copy
    expect(box(widget)).to_be_visible()  # a message may say why: it stays
    set_message(api, None)
    expect(widget.locator(".th-message")).to_be_hidden()  # cleared live
    set_message(api, TOPIC)
    page.reload()
    widget = open_demo(page, server)  # signed out, from the listing
    expect(box(widget).locator("p")).to_have_text([TOPIC])
    expect(widget.locator("p.th-note", has_text="Comments on this article are closed.")).to_be_visible()  # not the live region's copy


def test_german_and_axe(browser: Any, server: LiveServer, api: Api) -> None:
    set_message(api, TOPIC + "\n\n" + QUESTION)
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    with axe_page(browser) as (page, errors):
        widget = render_demo(page, server, ALICE)
        expect(box(widget, "Von der Redaktion")).to_be_visible()
        expect(box(widget, "Von der Redaktion").locator("p")).to_have_count(2)
        expect(widget.get_by_role("region", name=re.compile("^From the newsroom$"))).to_have_count(0)
        axe_light_and_dark(page)
        assert not errors, errors
