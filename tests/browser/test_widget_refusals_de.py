"""The server writes its refusals in English; a widget in another language says them in its own, by their code
(``e_<code>`` in the catalogue), where it has them — here German: a ban that came while the page was open, and the
edit window that closed while the reader was editing. English readers keep the server's own words."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, render_demo
from tests.fixtures_app import Clock, LiveServer, make_token

pytestmark = pytest.mark.browser


def test_a_ban_that_came_meanwhile_is_told_in_german(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    widget = render_demo(page, server, alice, lang="de")
    expect(widget.get_by_text("Angemeldet als")).to_be_visible()
    api.sanction(api.me(alice)["id"], "ban", "Beleidigungen nach einer Verwarnung.")
    widget.get_by_label("Kommentar schreiben").fill("Noch erlaubt?")
    widget.get_by_role("button", name="Kommentar senden").click()
    expect(widget.locator("[role=alert]")).to_have_text("Sie können derzeit nicht kommentieren. Grund: "
                                                        "Beleidigungen nach einer Verwarnung.")


def test_an_edit_after_the_window_is_refused_in_german(page: Any, server: LiveServer, api: Api, clock: Clock) -> None:
    alice = make_token("alice", "Alice")
    cid = api.post(alice, "Erster Entwurf.")["id"]
    widget = render_demo(page, server, alice, lang="de")
    article(widget, cid).get_by_role("button", name="Bearbeiten").click()
    clock.advance(hours=1)  # the edit window (15 minutes) closes while the reader edits
    box = widget.get_by_label("Ihren Kommentar bearbeiten")
    box.fill("Zweiter Entwurf.")
    widget.get_by_role("button", name="Änderungen speichern").click()
    expect(widget.locator("p.th-error:visible")).to_have_text(
        "Kommentare lassen sich nur bis 15 Min. nach dem Absenden bearbeiten.")  # "Min.": "1 Minuten" before, for one


def test_an_appeal_of_a_warning_lifted_meanwhile_is_refused_in_german(page: Any, server: LiveServer, api: Api) -> None:
    """The refusal has its own code (``action_lifted``; it was the generic ``conflict``, which a German widget
    showed in the server's English)."""
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    api.sanction(account, "warn", "Beleidigung.")
    widget = render_demo(page, server, alice, lang="de")
    box = widget.get_by_label("Einspruch: Erklären Sie, warum die Entscheidung aufgehoben werden sollte")
    box.fill("Das war keine Beleidigung.")
    lifted = api.http.post(f"/api/v1/mod/accounts/{account}/restore", json={"reason": "Versehen."},
                           headers=api.headers(make_token("mod", role="moderator")))
    assert lifted.status_code == 200 and lifted.json()["revoked"], lifted.text
    widget.get_by_role("button", name="Einspruch senden").click()
    expect(widget.locator("p.th-error:visible")).to_have_text("Diese Maßnahme wurde bereits aufgehoben.")


def test_a_reply_to_a_comment_removed_meanwhile_is_refused_in_german(page: Any, server: LiveServer, api: Api) -> None:
    """The refusal has its own code (``parent_unavailable``; it was the generic ``invalid``, which a German widget
    showed in the server's English). The live stream is kept away, so that the removal reaches the page only
    through the refused reply, as when a reader writes while the moderator acts."""
    page.route("**/live*", lambda route: route.abort())
    bob = api.post(make_token("bob", "Bob"), "Bobs Meinung zum Haushalt.")["id"]
    widget = render_demo(page, server, make_token("alice", "Alice"), lang="de")
    article(widget, bob).get_by_role("button", name="Antworten").click()
    removed = api.http.post(f"/api/v1/mod/comments/{bob}/decision", json={"action": "reject", "reason": "Spam."},
                            headers=api.headers(make_token("mod", role="moderator")))
    assert removed.status_code == 200, removed.text
    widget.get_by_label("Antwort an Bob").fill("Da bin ich anderer Meinung.")
    widget.get_by_role("button", name="Antwort senden").click()
    expect(widget.locator("p.th-error:visible")).to_have_text(
        "Der Kommentar, auf den Sie antworten, ist nicht mehr veröffentlicht.")
