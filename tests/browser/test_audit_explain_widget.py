"""Audit of a refusal as the widget tells it: the marked words are the reader's strongest word alone (not every
word joined to it by punctuation), on their own characters (an astral letter before it counts one, as the server
counts), and a German reader reads the shipped house rules' reason in German."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.widget_helpers import open_demo, render_demo
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser


def test_the_refusal_marks_the_strongest_word_alone(page: Any, server: LiveServer) -> None:
    widget = open_demo(page, server, make_token("alice", "Alice"))
    box = widget.get_by_label("Add a comment")
    text = "\U0001D400 idiot,stupid,moron"  # a mathematical bold A first: one code point, two UTF-16 units
    box.fill(text)
    widget.get_by_role("button", name="Post comment").click()
    panel = widget.locator(".th-rejected")
    expect(panel).to_be_visible()
    expect(panel.locator(".th-marked")).to_have_text(text)
    expect(panel.locator("mark")).to_have_count(1)
    expect(panel.locator("mark")).to_have_text("idiot")
    expect(panel).to_contain_text("change the highlighted part and send it again.")
    selected = box.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert selected == "idiot"


def test_a_refusal_with_nothing_to_highlight_does_not_point_at_a_highlighted_part(page: Any, server: LiveServer) -> None:
    widget = open_demo(page, server, make_token("alice", "Alice"))
    box = widget.get_by_label("Add a comment")
    box.fill("\u200b\u200b")  # blank to a reader, not to String.trim(): the server refuses it as empty
    widget.get_by_role("button", name="Post comment").click()
    panel = widget.locator(".th-rejected")
    expect(panel.locator("li")).to_have_text("A comment needs some text.")
    expect(panel.locator("p").last).to_have_text("Your text is still in the box: change it and send it again.")
    expect(panel.locator("mark")).to_have_count(0)
    expect(panel).not_to_contain_text("highlighted")


def test_a_german_reader_reads_the_f_word_refusal_in_german(page: Any, server: LiveServer) -> None:
    widget = render_demo(page, server, make_token("bert", "Bert"), lang="de")
    expect(widget.get_by_text("Angemeldet als")).to_be_visible()
    box = widget.get_by_label("Kommentar schreiben")
    box.fill("Was für ein f*ck!")
    widget.get_by_role("button", name="Kommentar senden").click()
    panel = widget.locator(".th-rejected")
    expect(panel.get_by_role("heading")).to_have_text("Die Hausregeln haben diesen Kommentar gestoppt")
    reason = panel.locator("li")
    expect(reason).to_have_count(1)
    expect(reason).to_contain_text("F-Wort")
    expect(reason).not_to_contain_text("except the F word")
    expect(panel.locator("mark")).to_have_text("f*ck")


def test_the_widgets_copies_of_the_shipped_reasons_match_the_default_policy() -> None:
    """The widget says a shipped reason in German only where the server sent the shipped English words: its
    English copy of each must stay the default policy's description, word for word."""
    policy = tomllib.loads(resources.files("townhall.policy").joinpath("default.policy.toml").read_text("utf-8"))
    messages = resources.files("townhall.web").joinpath("static/widget/10-messages.js").read_text("utf-8")
    for rule in policy["rules"]:
        if rule["name"] in ("f_word", "abusive", "obscene"):
            assert f"rule_{rule['name']}: '{rule['description']}'" in messages, rule["name"]
