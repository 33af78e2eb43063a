"""Quotations in the widget: a comment's ``> `` lines are drawn as a blockquote (a line on its inline start, muted,
in light and dark); the reply form's "Quote" button puts the comment's words — or the part of it the reader
selected, before or after opening the form — as ``> `` lines at the top of the draft, an empty line after them,
and gives the focus back to the box at the end of the text; by mouse or keyboard; the featured list's first
words are the author's own, never glued together; German; axe-core finds nothing serious."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, axe_light_and_dark, axe_page, open_demo, render_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

ANN = make_token("ann", "Ann")
BOB = make_token("bob", "Bob")
MOD = make_token("mona", "Mona Moderator", role="moderator")
BOBS = ("The base stays, and so does the naval facility.\n\n"
        "Read the budget lines: https://news.example/budget\nnot the press releases.")


def area_state(widget: Any) -> dict[str, Any]:
    return widget.locator("textarea").last.evaluate(
        "a => ({value: a.value, start: a.selectionStart, end: a.selectionEnd, focused: a.getRootNode().activeElement === a})")


def open_reply(widget: Any, comment_id: int) -> Any:
    art = article(widget, comment_id)
    art.get_by_role("button", name="Reply").click()
    form = art.locator("form")
    expect(form.get_by_role("textbox", name="Reply to Bob")).to_be_focused()
    return form


def test_quote_button_quotes_the_comment_and_the_reply_shows_a_blockquote(page: Any, server: LiveServer,
                                                                        api: Api) -> None:
    bob = api.post(BOB, BOBS)
    widget = open_demo(page, server, ANN)
    form = open_reply(widget, bob["id"])
    quote = form.get_by_role("button", name="Quote — Comment by Bob")
    expect(quote).to_have_text("Quote — Comment by Bob")  # "Quote" shown, who it quotes for screen readers
    expect(quote.locator(".th-sr")).to_have_text(" — Comment by Bob")
    form.get_by_role("textbox").fill("They said the same in 2016.")
    quote.click()
    quoted = ("> The base stays, and so does the naval facility.\n>\n"
              "> Read the budget lines: https://news.example/budget\n> not the press releases.\n\n")
    state = area_state(widget)
    assert state["value"] == quoted + "They said the same in 2016."
    assert state["focused"] and state["start"] == state["end"] == len(state["value"])
    expect(widget.get_by_role("status")).to_have_text("The quote is at the top of your reply.")
    expect(form.locator(".th-counter")).to_have_text(f"{len(state['value'])} / 5000")  # the counter follows

    created = submit(page, form.get_by_role("button", name="Post reply"))["comment"]
    assert created["html"].startswith("<blockquote><p>The base stays, and so does the naval facility.</p><p>Read")
    reply = article(widget, created["id"])
    block = reply.locator(".th-body blockquote")
    expect(block).to_be_visible()
    expect(block.locator("p")).to_have_count(2)
    expect(block.get_by_role("link", name="https://news.example/budget")).to_be_visible()
    expect(reply.locator(".th-body > p")).to_have_text("They said the same in 2016.")
    for scheme, muted in (("light", "rgb(84, 91, 99)"), ("dark", "rgb(170, 177, 185)")):
        page.emulate_media(color_scheme=scheme)
        style = block.evaluate("""b => { const s = getComputedStyle(b);
          return {color: s.color, width: s.borderInlineStartWidth, line: s.borderInlineStartColor,
                  style: s.borderInlineStartStyle}; }""")
        assert style == {"color": muted, "width": "3px", "line": muted, "style": "solid"}, (scheme, style)


def test_quote_takes_the_selection_in_the_comment_before_or_after_opening_the_form(page: Any, server: LiveServer,
                                                                                 api: Api) -> None:
    bob = api.post(BOB, BOBS)
    widget = open_demo(page, server, ANN)
    body = article(widget, bob["id"]).locator(".th-body")
    # selected before pressing Reply (pressing it with the mouse, and focusing the box, may end the selection)
    body.locator("p").nth(1).select_text()
    form = open_reply(widget, bob["id"])
    form.get_by_role("button", name="Quote").click()
    assert area_state(widget)["value"] == ("> Read the budget lines: https://news.example/budget\n"
                                           "> not the press releases.\n\n")
    form.get_by_role("button", name="Cancel").click()

    # selected with the form open: part of a line; that, not what was selected before
    form = open_reply(widget, bob["id"])
    body.locator("p").first.evaluate("""p => {
      const text = p.firstChild, at = text.data.indexOf('the naval');
      p.getRootNode().getSelection().setBaseAndExtent(text, at, text, at + 'the naval facility'.length);
    }""")
    form.get_by_role("button", name="Quote").click()
    assert area_state(widget)["value"] == "> the naval facility\n\n"

    # a selection outside the comment does not count: the whole comment is quoted
    page.evaluate("""() => { const h = document.querySelector('h1');
      getSelection().setBaseAndExtent(h.firstChild, 0, h.firstChild, 4); }""")
    area = form.get_by_role("textbox")
    area.fill("")
    form.get_by_role("button", name="Quote").click()
    assert area_state(widget)["value"].startswith("> The base stays, and so does the naval facility.\n>\n> Read")


def test_quote_by_keyboard_and_quoting_a_quote_takes_the_authors_own_words(page: Any, server: LiveServer,
                                                                          api: Api) -> None:
    ann = api.post(ANN, "Nothing changes on the ground.")
    bob = api.post(BOB, "> Nothing changes on the ground.\n\nEverything changes on the ground.", parent_id=ann["id"])
    assert bob["html"].startswith("<blockquote>")
    widget = open_demo(page, server, make_token("cy", "Cy"))
    form = open_reply(widget, bob["id"])
    page.keyboard.type("Agreed.")
    page.keyboard.press("Tab")
    assert page.evaluate(DEEP_ACTIVE)["text"] == "Quote — Comment by Bob"  # next after the box
    page.keyboard.press("Enter")
    state = area_state(widget)
    # Bob's own words: the line he quoted is Ann's (one level of quotation only)
    assert state["value"] == "> Everything changes on the ground.\n\nAgreed."
    assert state["focused"] and state["start"] == len(state["value"])
    page.keyboard.type(" Twice.")
    assert area_state(widget)["value"].endswith("Agreed. Twice.")
    # Escape no longer closes the form: it holds text the reader would lose
    page.keyboard.press("Escape")
    expect(form).to_be_visible()


def test_featured_first_words_are_the_authors_own_and_apart(page: Any, server: LiveServer, api: Api) -> None:
    quoting = api.post(BOB, "> Someone else's words.\n> On two lines.\nMy own point.\nOn its own line.")
    only_quote = api.post(ANN, "> Only a quote.\n> Nothing else.")
    for c in (quoting, only_quote):
        r = api.http.put(f"/api/v1/mod/comments/{c['id']}/featured", json={"featured": True}, headers=api.headers(MOD))
        assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    items = widget.get_by_role("region", name="Featured comments").get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator("p")).to_have_text("Only a quote. Nothing else.")  # nothing but a quote: the quote
    expect(items.nth(1).locator("p")).to_have_text("My own point. On its own line.")


def test_german_and_axe_with_a_quote_and_the_form_open(browser: Any, server: LiveServer, api: Api) -> None:
    bob = api.post(BOB, "> Quoted words.\n\nBob's answer with a link: https://news.example/a")
    with axe_page(browser, locale="de-DE") as (page, errors):
        widget = render_demo(page, server, ANN)
        art = article(widget, bob["id"])
        expect(art.locator(".th-body blockquote")).to_have_text("Quoted words.")
        art.get_by_role("button", name="Antworten").click()
        quote = art.get_by_role("button", name=re.compile("^Zitieren — Kommentar von Bob$"))
        expect(quote).to_be_visible()
        expect(art.locator(".th-help")).to_contain_text("Zitate (Zeilen, die mit „>“ beginnen)")
        quote.click()
        assert area_state(widget)["value"] == "> Bob's answer with a link: https://news.example/a\n\n"
        expect(widget.get_by_role("status")).to_have_text("Das Zitat steht am Anfang Ihrer Antwort.")
        axe_light_and_dark(page)
        assert not errors, errors
