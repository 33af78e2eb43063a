"""A German newsroom's reader going through the widget (an audit by walkthrough, 2026-11-28): what such a reader
saw in English, in a wrong plural or in awkward German — the server's own length check ("A comment needs some
text.", "Comments can be at most 5000 characters long; …") under a German heading, "in 1 Sekunden", "1 Like",
"Ihr Einspruch ist entschieden: die Maßnahme bleibt.", a lower-case sentence after a colon, and "in 2 Minuten"
under a comment just written when the browser's clock is behind the server's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, render_demo
from tests.fixtures_app import Clock, LiveServer, make_token

pytestmark = pytest.mark.browser

MOD = make_token("mod", "Mod", role="moderator")
POSTS = re.compile(r".*/api/v1/threads/[^/]+/comments(\?.*)?$")


def send(widget: Any, text: str) -> None:
    widget.get_by_label("Kommentar schreiben").fill(text)
    widget.get_by_role("button", name="Kommentar senden").click()


@pytest.mark.parametrize(("lang", "said"), [
    ("de", "Zu viele Versuche in kurzer Zeit. Versuchen Sie es in 1 Sekunde erneut."),
    ("en", "You are doing that too often. Try again in 1 second."),
])
def test_a_rate_limit_of_one_second_is_said_in_the_singular(page: Any, server: LiveServer, lang: str, said: str) -> None:
    """Before: "Versuchen Sie es in 1 Sekunden erneut" ("Try again in 1 seconds")."""
    widget = render_demo(page, server, make_token("alice", "Alice"), lang=lang)
    page.route(POSTS, lambda r: r.fulfill(
        status=429, headers={"Retry-After": "1"},
        json={"error": {"code": "rate_limited", "message": "Too many requests.", "details": {"retry_after": 1}}})
        if r.request.method == "POST" else r.continue_())
    widget.get_by_label(re.compile("^(Kommentar schreiben|Add a comment)$")).fill("Schnell noch einer.")
    widget.get_by_role("button", name=re.compile("^(Kommentar senden|Post comment)$")).click()
    expect(widget.locator("p.th-error:visible")).to_have_text(said)


def test_the_servers_length_check_is_said_in_german(page: Any, server: LiveServer) -> None:
    """The built-in check (rule ``length``) refuses what the widget let through: a comment longer than the policy's
    ``max_length`` where the page's ``max-length`` is larger, and one of invisible characters only. Before, its
    English words stood under the German heading."""
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de', maxLength: 6000})",
                  make_token("alice", "Alice"))
    widget = page.locator("#townhall")
    send(widget, "Viel zu lang. " + "y" * 4990)  # 5,004 characters: the policy allows 5,000
    rejected = widget.locator(".th-rejected")
    expect(rejected.locator("li")).to_have_text("Kommentare dürfen höchstens 5000 Zeichen lang sein, Ihrer hat 5004.")
    expect(rejected.get_by_text("Ihr gesendeter Text mit markierter Problemstelle:")).to_be_visible()
    expect(rejected.locator("mark")).to_have_text("yyyy")
    send(widget, "\u200b\u200b")  # drawn as nothing: empty to the server
    expect(rejected.locator("li")).to_have_text("Schreiben Sie zuerst etwas.")


def test_an_english_widget_keeps_the_servers_words_for_the_length_check(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'en', maxLength: 6000})",
                  make_token("alice", "Alice"))
    widget = page.locator("#townhall")
    widget.get_by_label("Add a comment").fill("y" * 5001)
    widget.get_by_role("button", name="Post comment").click()
    expect(widget.locator(".th-rejected li")).to_have_text("Comments can be at most 5000 characters long; this one has 5001.")


def test_an_appeal_and_its_answer_in_german(page: Any, server: LiveServer, api: Api) -> None:
    """Before: "Ihr Einspruch ist in Prüfung." and "Ihr Einspruch ist entschieden: die Maßnahme bleibt." """
    alice = make_token("alice", "Alice")
    warned = api.sanction(api.me(alice)["id"], "warn", "Ton.")
    r = api.http.post(f"/api/v1/me/actions/{warned['action_id']}/appeal", json={"text": "Das war sachlich."},
                      headers=api.headers(alice))
    assert r.status_code == 201, r.text
    widget = render_demo(page, server, alice)
    expect(widget.locator(".th-warning")).to_contain_text("Ihr Einspruch wird geprüft.")
    appeals = api.http.get("/api/v1/mod/queues/appeals", headers=api.headers(MOD)).json()["items"]
    appeal = next(a for a in appeals if a["action_id"] == warned["action_id"])
    r = api.http.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "uphold", "response": "Bleibt."},
                      headers=api.headers(MOD))
    assert r.status_code == 200, r.text
    widget = render_demo(page, server, alice)
    expect(widget.locator(".th-warning")).to_contain_text("Ihr Einspruch wurde abgelehnt: Die Maßnahme bleibt.")


def test_likes_on_ones_own_comment_and_ignoring_in_german(page: Any, server: LiveServer, api: Api) -> None:
    """Before: "3 Likes" under the reader's own comment, and "Sie ignorieren jetzt Carl: die Kommentare …"."""
    alice = make_token("alice", "Alice")
    own = api.post(alice, "Mein Kommentar.")
    for who in ("r1", "r2", "r3"):
        r = api.http.put(f"/api/v1/comments/{own['id']}/reaction", json={"kind": "like"},
                          headers=api.headers(make_token(who)))
        assert r.status_code in (200, 201), r.text
    carl = api.post(make_token("carl", "Carl"), "Carls Kommentar.")
    widget = render_demo(page, server, alice)
    expect(article(widget, own["id"]).locator(".th-note")).to_have_text("Gefällt 3 Personen")
    article(widget, carl["id"]).get_by_role("button", name="Ignorieren").click()
    widget.get_by_role("button", name="Ja, ignorieren").click()
    expect(widget.locator("[role=status]")).to_have_text("Sie ignorieren jetzt Carl: Die Kommentare sind ausgeblendet.")


def test_a_comment_just_written_is_not_in_the_future(page: Any, server: LiveServer, api: Api, clock: Clock) -> None:
    """The browser's clock two minutes behind the server's: before, a comment just written read "in 2 Minuten"."""
    clock.advance(minutes=2)
    c = api.post(make_token("bob", "Bob"), "Gerade geschrieben.")
    widget = render_demo(page, server)
    expect(article(widget, c["id"]).locator("time").first).to_have_text("jetzt")
