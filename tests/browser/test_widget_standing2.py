"""A reader who is both warned and under a moderator's premoderation: one standing area with both notices and
both reasons, and one appeal form at a time. Each notice names its appeal on a button ("Appeal the warning",
"Appeal the review of your comments"); the button opens the one form in its notice, labelled with the action it
appeals, and the appeal reaches the moderators against that action. A reader with a single notice keeps the form
in it (test_widget_standing.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, Api
from tests.browser.conftest import check_axe
from tests.browser.test_widget_standing import REVIEWED, WARNED, open_appeals
from tests.browser.widget_helpers import DEEP_ACTIVE, login, open_demo, render_demo
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser

WARN_REASON = "Mocking another reader's spelling, twice."
PREMOD_REASON = "Links to the same shop under every article."
APPEAL_WARNING = "Appeal the warning"
APPEAL_REVIEW = "Appeal the review of your comments"
FORM_WARNING = "Appeal against the warning: explain why the decision should be reversed"
FORM_REVIEW = "Appeal against the review of your comments: explain why the decision should be reversed"
ANY_APPEAL_FORM = re.compile(r"^Appeal\b.*explain why")


def warned_and_premoderated(api: Api, token: str) -> tuple[int, int]:
    account = api.me(token)["id"]
    warned = api.sanction(account, "warn", WARN_REASON)
    held = api.sanction(account, "premoderate", PREMOD_REASON)
    me = api.me(token)
    assert me["warning"]["action_id"] == warned["action_id"] and me["warning"]["can_appeal"]
    assert me["premoderation"]["action_id"] == held["action_id"] and me["premoderation"]["can_appeal"]
    assert warned["action_id"] != held["action_id"]
    return warned["action_id"], held["action_id"]


def test_both_notices_with_their_reasons_and_one_appeal_form_at_a_time(page: Any, server: LiveServer,
                                                                        api: Api) -> None:
    alice = make_token("alice", "Alice")
    warn_id, premod_id = warned_and_premoderated(api, alice)
    widget = open_demo(page, server, alice)

    warning = widget.get_by_role("region", name=WARNED)
    review = widget.get_by_role("region", name=REVIEWED)
    expect(warning).to_contain_text("Reason: " + WARN_REASON)
    expect(warning).to_contain_text("You can still comment.")
    expect(review).to_contain_text("Reason: " + PREMOD_REASON)
    expect(widget.locator(".th-notice")).to_have_count(2)

    # No form until the reader picks what to appeal: one named button in each notice.
    expect(widget.locator("form textarea:not([name])")).to_have_count(0)
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(0)
    expect(widget.get_by_role("button", name=re.compile(r"^Appeal "))).to_have_count(2)
    warn_btn = warning.get_by_role("button", name=APPEAL_WARNING)
    review_btn = review.get_by_role("button", name=APPEAL_REVIEW)
    expect(warn_btn).to_have_attribute("aria-expanded", "false")
    expect(review_btn).to_have_attribute("aria-expanded", "false")

    # The review's button opens the form in its notice, naming the action, and puts the reader in it.
    review_btn.click()
    expect(review_btn).to_have_attribute("aria-expanded", "true")
    area = review.get_by_label(FORM_REVIEW)
    expect(area).to_be_focused()
    expect(widget.get_by_label(ANY_APPEAL_FORM)).to_have_count(1)
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(1)
    form_id = review_btn.get_attribute("aria-controls")
    assert form_id and widget.locator(f"form#{form_id}").count() == 1
    area.fill("They were my own blog posts, not a shop.")

    # The warning's button takes the one form (and what was written) over to the warning.
    warn_btn.click()
    expect(review_btn).to_have_attribute("aria-expanded", "false")
    expect(warn_btn).to_have_attribute("aria-expanded", "true")
    expect(review.get_by_label(ANY_APPEAL_FORM)).to_have_count(0)
    expect(warning.get_by_label(FORM_WARNING)).to_have_value("They were my own blog posts, not a shop.")
    expect(widget.get_by_label(ANY_APPEAL_FORM)).to_have_count(1)
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(1)

    # Cancel closes it and gives the focus back to the button; the button again toggles it.
    warning.get_by_role("button", name="Cancel").click()
    expect(widget.get_by_label(ANY_APPEAL_FORM)).to_have_count(0)
    assert page.evaluate(DEEP_ACTIVE)["text"] == APPEAL_WARNING
    expect(warn_btn).to_have_attribute("aria-expanded", "false")
    warn_btn.click()
    expect(warning.get_by_label(FORM_WARNING)).to_have_value("")
    warn_btn.click()
    expect(widget.get_by_label(ANY_APPEAL_FORM)).to_have_count(0)

    # The appeal sent from the review's notice is recorded against the premoderation, not the warning.
    review_btn.click()
    review.get_by_label(FORM_REVIEW).fill("They were my own blog posts, not a shop.")
    review.get_by_role("button", name="Send appeal").click()
    sent = review.get_by_text("Your appeal against the review of your comments was sent. A moderator will review it.")
    expect(sent).to_be_visible()
    expect(sent).to_be_focused()
    expect(review.get_by_role("button", name=APPEAL_REVIEW)).to_have_count(0)
    expect(warn_btn).to_be_visible()
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(0)
    queued = [a for a in open_appeals(api) if a["action_id"] in (warn_id, premod_id)]
    assert [(a["action_id"], a["text"]) for a in queued] == [(premod_id, "They were my own blog posts, not a shop.")]
    me = api.me(alice)
    assert me["premoderation"]["appeal"]["state"] == "open" and not me["premoderation"]["can_appeal"]
    assert me["warning"]["appeal"] is None and me["warning"]["can_appeal"]

    # A fresh visit: the review's appeal is pending; the warning is still appealed through its own button.
    widget = open_demo(page, server)
    login(page, alice)
    warning = widget.get_by_role("region", name=WARNED)
    review = widget.get_by_role("region", name=REVIEWED)
    expect(review).to_contain_text("Your appeal is pending.")
    expect(review.get_by_role("button")).to_have_count(0)
    expect(warning).to_contain_text("Reason: " + WARN_REASON)
    expect(widget.get_by_label(ANY_APPEAL_FORM)).to_have_count(0)
    warning.get_by_role("button", name=APPEAL_WARNING).click()
    warning.get_by_label(FORM_WARNING).fill("I corrected a typo once; that is not mockery.")
    warning.get_by_role("button", name="Send appeal").click()
    expect(warning.get_by_text("Your appeal against the warning was sent.")).to_be_focused()
    queued = [a for a in open_appeals(api) if a["action_id"] in (warn_id, premod_id)]
    assert sorted((a["action_id"], a["text"]) for a in queued) == sorted(
        [(premod_id, "They were my own blog posts, not a shop."),
         (warn_id, "I corrected a typo once; that is not mockery.")])
    assert api.me(alice)["warning"]["appeal"]["state"] == "open"
    expect(widget.get_by_label("Add a comment")).to_be_visible()  # neither notice locks the comment box


def test_in_german_the_buttons_and_the_form_name_the_action(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    warn_id, _ = warned_and_premoderated(api, alice)
    widget = render_demo(page, server, alice)
    warning = widget.get_by_role("region", name=re.compile(r"^Sie haben eine Verwarnung erhalten\."))
    review = widget.get_by_role("region",
                                name="Ihre Kommentare werden von der Moderation geprüft, bevor sie erscheinen.")
    expect(warning).to_contain_text("Grund: " + WARN_REASON)
    expect(review).to_contain_text("Grund: " + PREMOD_REASON)
    expect(widget.get_by_role("button", name="Einspruch senden")).to_have_count(0)
    expect(review.get_by_role("button", name="Einspruch gegen die Vorabprüfung Ihrer Kommentare")).to_be_visible()
    warning.get_by_role("button", name="Einspruch gegen die Verwarnung").click()
    area = warning.get_by_label("Einspruch gegen die Verwarnung: "
                                "Erklären Sie, warum die Entscheidung aufgehoben werden sollte")
    expect(area).to_be_focused()
    expect(widget.get_by_role("button", name="Einspruch senden")).to_have_count(1)
    expect(warning.get_by_role("button", name="Abbrechen")).to_be_visible()
    area.fill("Das war ein Zitat.")
    warning.get_by_role("button", name="Einspruch senden").click()
    expect(warning.get_by_text("Ihr Einspruch gegen die Verwarnung wurde gesendet.")).to_be_visible()
    assert [a["action_id"] for a in open_appeals(api) if a["text"] == "Das war ein Zitat."] == [warn_id]


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_two_notices_fit_375px_read_right_to_left_and_pass_axe(browser: Any, server: LiveServer, api: Api,
                                                               direction: str) -> None:
    alice = make_token("alice", "Alice")
    warned_and_premoderated(api, alice)
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 800})
    try:
        page = ctx.new_page()
        page.goto(server.url + "/demo")
        page.wait_for_function("() => !!window.Townhall")
        page.evaluate("d => { document.documentElement.dir = d; }", direction)
        page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de'})", alice)
        widget = page.locator("#townhall")
        buttons = widget.locator(".th-notice > button")
        expect(buttons).to_have_count(2)
        page.add_script_tag(path=str(AXE))

        def fits() -> None:
            sizes = page.evaluate("""() => {
              const root = document.getElementById('townhall');
              const w = root.getBoundingClientRect();
              return {page: document.documentElement.scrollWidth, view: window.innerWidth, left: w.left, right: w.right,
                      boxes: Array.from(root.shadowRoot.querySelectorAll(
                        '.th-notice, .th-notice button, .th-notice textarea'), (e) => {
                          const r = e.getBoundingClientRect();
                          return [r.left, r.right, e.scrollWidth - e.clientWidth];
                        })};
            }""")
            if direction == "ltr":  # (the demo page's own skip link, at left: -9999px, widens a right-to-left page)
                assert sizes["page"] <= sizes["view"], sizes
            assert all(sizes["left"] - 0.5 <= left and right <= sizes["right"] + 0.5 and over <= 0
                       for left, right, over in sizes["boxes"]), sizes

        fits()
        check_axe(page)  # both notices, each with its named appeal button
        buttons.first.click()  # the warning's: its form opens in the warning
        expect(widget.get_by_role("button", name="Einspruch senden")).to_have_count(1)
        if direction == "rtl":
            notice = widget.locator(".th-notice").first
            # the notice's accent border and its button start on the right
            assert notice.evaluate("e => getComputedStyle(e).borderRightWidth") == "5px"
            box, btn = notice.bounding_box(), buttons.first.bounding_box()
            assert box["x"] + box["width"] - (btn["x"] + btn["width"]) < 40
        fits()
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            check_axe(page)  # with the one appeal form open
    finally:
        ctx.close()
