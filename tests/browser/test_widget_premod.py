"""A premoderated article in the widget: while the listing's ``thread.premoderated`` is true, a calm line above
the comment box says that comments are reviewed before they appear (in German too); a comment posted there shows
as awaiting review to its author; and a moderator turning premoderation on or off reaches open widgets live
(``thread.premoderated``). axe-core finds nothing serious in either language or colour scheme."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import article, axe_light_and_dark, axe_page, open_demo, render_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

ALICE = make_token("alice", "Alice")
LINE = "Comments on this article are reviewed by a moderator before they appear."
LINE_DE = "Die Kommentare zu diesem Artikel werden von der Moderation geprüft, bevor sie erscheinen."


def premoderate(api: Api, on: bool) -> None:
    r = api.http.patch(f"/api/v1/mod/threads/{THREAD}", json={"premoderated": on},
                       headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200 and r.json()["premoderated"] is on, r.text


def line(widget: Any, text: str = LINE) -> Any:
    return widget.locator("p.th-note", has_text=re.compile("^" + re.escape(text) + "$"))


def wait_live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def test_the_line_a_held_post_and_the_live_toggle(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    widget = open_demo(page, server, ALICE)
    expect(line(widget)).to_be_hidden()  # not premoderated: no line
    wait_live(page)
    premoderate(api, True)
    expect(line(widget)).to_be_visible()  # live
    # the line sits just above the comment box
    assert page.evaluate("""() => {
      const root = document.getElementById('townhall').shadowRoot;
      const p = [...root.querySelectorAll('p.th-note')].find(e => e.textContent.includes('reviewed by a moderator'));
      const box = root.querySelector('textarea');
      return !!(p && box && (p.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING));
    }""")
    widget.get_by_label("Add a comment").fill("The ruling is expected next month.")
    done = submit(page, widget.get_by_role("button", name="Post comment"))
    assert done["comment"]["status"] == "held"
    posted = article(widget, done["comment"]["id"])
    expect(posted).to_contain_text("Awaiting review — only you can see this comment until a moderator approves it.")
    assert done["comment"]["id"] not in [c["id"] for c in api.thread()["comments"]]

    premoderate(api, False)
    expect(line(widget)).to_be_hidden()  # live again
    expect(posted).to_contain_text("Awaiting review")  # what was held stays held
    page.reload()  # and from the listing
    widget = open_demo(page, server, ALICE)
    expect(line(widget)).to_be_hidden()
    premoderate(api, True)
    page.reload()
    widget = open_demo(page, server)  # signed out: the line all the same
    expect(line(widget)).to_be_visible()


def test_german_and_axe(browser: Any, server: LiveServer, api: Api) -> None:
    premoderate(api, True)
    api.post(make_token("bob", "Bob"), "Bob starts the thread.")
    with axe_page(browser) as (page, errors):
        widget = render_demo(page, server, ALICE)
        expect(line(widget, LINE_DE)).to_be_visible()
        expect(line(widget)).to_be_hidden()
        axe_light_and_dark(page)
        assert not errors, errors
