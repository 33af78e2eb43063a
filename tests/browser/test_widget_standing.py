"""The reader's standing in the widget (GET /me's ``warning`` and ``premoderation``): a warned reader is told
why, until when, and can appeal, and still takes part; a premoderated reader is told their comments wait for a
moderator, and why; a new account on a site that holds new accounts' comments gets a gentle word and no
appeal; a ban or suspension stands alone; a reader with nothing against them sees none of it."""

from __future__ import annotations

import os
import re
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, THREAD, Api
from tests.browser.conftest import check_axe
from tests.browser.widget_helpers import article, login, open_demo, render_demo, submit
from tests.fixtures_app import AppFactory, LiveServer, make_token
from townhall.app import Townhall

pytestmark = pytest.mark.browser

MOD = {"Authorization": f"Bearer {make_token('mod', role='moderator')}"}
WARNED = re.compile(r"^You have been warned\.")
REVIEWED = "Your comments are reviewed by a moderator before they appear."
APPEAL = "Appeal: explain why the decision should be reversed"
NEW_ACCOUNTS = "premoderate_new_accounts"
HISTORY = "history"
# the default policy's lines each variant changes: the site holds a new account's comments until one of them has been
# published (NEW_ACCOUNTS), or a reader's whose recent comments were mostly rejected (HISTORY: 50 % of at least 2)
VARIANTS = {NEW_ACCOUNTS: [("premoderate_new_accounts = false", "premoderate_new_accounts = true")],
            HISTORY: [("hold_rejected_share = 0 ", "hold_rejected_share = 0.5 "), ("min_comments = 3 ", "min_comments = 2 ")]}


@pytest.fixture
def app(request: pytest.FixtureRequest, make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    """The browser tests' app; parametrized (indirect) with a key of ``VARIANTS``, on that variant of the policy."""
    policy = os.environ.get("TOWNHALL_TEST_POLICY", "")
    variant = getattr(request, "param", None)
    if variant is not None:
        text = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
        for old, new in VARIANTS[variant]:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        path = tmp_path / f"{variant}.policy.toml"
        path.write_text(text, encoding="utf-8")
        policy = str(path)
    return make_app(db_url, demo=True, policy=policy)


def open_appeals(api: Api) -> list[dict[str, Any]]:
    r = api.http.get("/api/v1/mod/queues/appeals", headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_a_warned_reader_sees_why_until_when_can_appeal_and_still_post(page: Any, server: LiveServer,
                                                                        api: Api) -> None:
    alice = make_token("alice", "Alice")
    warned = api.sanction(api.me(alice)["id"], "warn", "Mocking another reader's spelling, twice.")
    widget = open_demo(page, server, alice)  # the comment box is there: a warning locks nothing

    notice = widget.get_by_role("region", name=WARNED)
    expect(notice).to_be_visible()
    expect(notice).to_have_class(re.compile(r"\bth-warning\b"))
    expect(notice.get_by_role("heading")).to_contain_text("The warning stands until")
    warning = api.me(alice)["warning"]
    assert warning["action_id"] == warned["action_id"] and warning["until"]
    expect(notice.locator("time")).to_have_attribute("datetime", warning["until"])
    expect(notice).to_contain_text("Reason: Mocking another reader's spelling, twice.")
    expect(notice).to_contain_text("You can still comment.")
    expect(widget.locator(".th-sanction")).to_have_count(0)
    expect(widget.get_by_role("region", name=REVIEWED)).to_have_count(0)

    # An appeal being written survives the widget re-reading the reader's standing (a token refresh).
    appeal = notice.get_by_label(APPEAL)
    appeal.fill("I corrected a typo once; that is not mockery.")
    login(page, alice)
    expect(appeal).to_have_value("I corrected a typo once; that is not mockery.")
    notice.get_by_role("button", name="Send appeal").click()
    sent = notice.get_by_text("Your appeal was sent. A moderator will review it.")
    expect(sent).to_be_visible()
    expect(sent).to_be_focused()
    queued = [a for a in open_appeals(api) if a["action_id"] == warned["action_id"]]
    assert [a["text"] for a in queued] == ["I corrected a typo once; that is not mockery."]

    # The warned reader still posts, and the comment is published.
    widget.get_by_label("Add a comment").fill("Still here, and still civil.")
    posted = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert posted["status"] == "published"
    expect(article(widget, posted["id"])).to_be_visible()
    expect(article(widget, posted["id"])).not_to_contain_text("Awaiting review")

    # A fresh visit shows the appeal's state instead of the form.
    widget = open_demo(page, server)
    login(page, alice)
    notice = widget.get_by_role("region", name=WARNED)
    expect(notice).to_contain_text("Your appeal is pending.")
    expect(notice.get_by_label(APPEAL)).to_have_count(0)
    expect(widget.get_by_label("Add a comment")).to_be_visible()


def test_a_warning_that_arrives_while_the_reader_writes_is_announced_not_focused(page: Any, server: LiveServer,
                                                                                api: Api) -> None:
    alice = make_token("alice", "Alice")
    widget = open_demo(page, server, alice)
    expect(widget.locator(".th-notice")).to_have_count(0)
    api.sanction(api.me(alice)["id"], "warn", "Shouting at other readers in capitals.")
    box = widget.get_by_label("Add a comment")
    box.fill("What the fuck is this drawdown?")
    with page.expect_response(lambda r: "/api/v1/me?" in r.url and r.request.method == "GET"):
        widget.get_by_role("button", name="Post comment").click()  # a rejection re-reads the reader's standing
    expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
    notice = widget.get_by_role("region", name=WARNED)
    expect(notice).to_contain_text("Shouting at other readers in capitals.")
    expect(notice.get_by_label(APPEAL)).to_be_visible()
    expect(widget.locator("[role=status]")).to_contain_text("You have been warned.")
    expect(box).to_be_focused()  # the reader goes on editing the refused text
    expect(box).to_have_value("What the fuck is this drawdown?")


def test_a_ban_takes_the_place_of_a_warning(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    api.sanction(account, "warn", "First insult.")
    widget = open_demo(page, server, alice)
    expect(widget.get_by_role("region", name=WARNED)).to_be_visible()

    api.sanction(account, "ban", "Insults after a warning.")
    widget.get_by_label("Add a comment").fill("Still allowed?")
    widget.get_by_role("button", name="Post comment").click()
    ban = widget.locator(".th-sanction")
    expect(ban.get_by_role("heading")).to_have_text("You are banned from commenting.")
    expect(ban.get_by_role("heading")).to_be_focused()
    expect(ban).to_contain_text("Insults after a warning.")
    expect(widget.locator(".th-notice")).to_have_count(0)
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(1)  # the ban's

    widget = open_demo(page, server)
    login(page, alice)
    expect(widget.locator(".th-sanction")).to_contain_text("You are banned from commenting.")
    expect(widget.locator(".th-notice")).to_have_count(0)


def test_a_premoderated_reader_is_told_why_and_their_comment_is_held(page: Any, server: LiveServer,
                                                                     api: Api) -> None:
    alice = make_token("alice", "Alice")
    held = api.sanction(api.me(alice)["id"], "premoderate", "Links to the same shop under every article.")
    widget = open_demo(page, server, alice)

    notice = widget.get_by_role("region", name=REVIEWED)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Reason: Links to the same shop under every article.")
    expect(notice.get_by_label(APPEAL)).to_be_visible()
    expect(widget.get_by_role("region", name=WARNED)).to_have_count(0)
    expect(widget.locator(".th-sanction")).to_have_count(0)
    box = widget.get_by_label("Add a comment")
    below = notice.bounding_box()["y"] + notice.bounding_box()["height"]
    assert 0 <= box.bounding_box()["y"] - below < 120  # just above the comment box

    box.fill("My comment, for the moderators first.")
    posted = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert posted["status"] == "held"
    expect(article(widget, posted["id"])).to_contain_text("Awaiting review — only you can see this comment")
    expect(article(widget, posted["id"])).to_have_class(re.compile(r"\bth-held\b"))

    notice.get_by_label(APPEAL).fill("They were my own blog posts, not a shop.")
    notice.get_by_role("button", name="Send appeal").click()
    expect(notice.get_by_text("Your appeal was sent. A moderator will review it.")).to_be_visible()
    assert any(a["action_id"] == held["action_id"] for a in open_appeals(api))


@pytest.mark.parametrize("app", [NEW_ACCOUNTS], indirect=True)
def test_a_new_account_is_told_gently_and_cannot_appeal(page: Any, server: LiveServer, api: Api) -> None:
    newbie = make_token("newbie", "Newbie")
    assert api.me(newbie)["premoderation"]["source"] == "new_account"
    widget = open_demo(page, server, newbie)
    notice = widget.get_by_role("region", name=REVIEWED)
    expect(notice).to_contain_text("This applies to new accounts: once one of your comments is approved, "
                                   "the next ones appear at once.")
    expect(notice).not_to_contain_text("Reason:")
    expect(widget.get_by_label(APPEAL)).to_have_count(0)
    expect(widget.get_by_role("button", name="Send appeal")).to_have_count(0)
    expect(widget.locator(".th-warning, .th-sanction")).to_have_count(0)

    widget.get_by_label("Add a comment").fill("Hello, my first comment here.")
    posted = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert posted["status"] == "held"
    expect(article(widget, posted["id"])).to_contain_text("Awaiting review")

    # Once a moderator publishes one, the notice is gone.
    r = api.http.post(f"/api/v1/mod/comments/{posted['id']}/decision", json={"action": "approve", "reason": "Fine."},
                      headers=MOD)
    assert r.status_code == 200, r.text
    login(page, newbie)
    expect(widget.get_by_label("Add a comment")).to_be_visible()
    expect(widget.locator(".th-notice")).to_have_count(0)


@pytest.mark.parametrize("app", [HISTORY], indirect=True)
def test_a_reader_held_for_their_recent_history_is_told_so_not_that_they_are_new(page: Any, server: LiveServer,
                                                                                 api: Api) -> None:
    """[history]: the notice names the reader's recent rejections (the widget's own words, in the reader's
    language), not the new-account sentence, and offers no appeal: it is not a sanction."""
    carl = make_token("carl", "Carl")
    for text in ("What the fuck is this.", "Fuck this article."):  # two refusals: 2 of 2 rejected
        r = api.http.post(f"/api/v1/threads/{THREAD}/comments", json={"text": text}, headers=api.headers(carl))
        assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    assert api.me(carl)["premoderation"]["source"] == "recent_history"
    widget = open_demo(page, server, carl)
    notice = widget.get_by_role("region", name=REVIEWED)
    expect(notice).to_contain_text("Many of your recent comments were rejected, so your next ones are reviewed by a "
                                   "moderator first.")
    expect(notice).not_to_contain_text("new accounts")
    expect(widget.get_by_label(APPEAL)).to_have_count(0)


def test_a_reader_in_good_standing_sees_no_notice(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    me = api.me(alice)
    assert me["warning"] is None and me["premoderation"] is None and me["sanction"] is None
    widget = open_demo(page, server, alice)
    expect(widget.locator(".th-notice, .th-sanction")).to_have_count(0)
    expect(widget.get_by_role("region")).to_have_count(1)  # the comments section alone
    widget.get_by_label("Add a comment").fill("Nothing against me.")
    posted = submit(page, widget.get_by_role("button", name="Post comment"))["comment"]
    assert posted["status"] == "published"
    expect(widget.locator(".th-notice, .th-sanction")).to_have_count(0)


def test_the_notices_in_german(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    api.sanction(account, "warn", "Beleidigung.")
    api.sanction(account, "premoderate", "Werbung.")
    widget = render_demo(page, server, alice)
    warning = widget.get_by_role("region", name=re.compile(r"^Sie haben eine Verwarnung erhalten\. Sie gilt bis "))
    expect(warning).to_contain_text("Grund: Beleidigung.")
    expect(warning).to_contain_text("Sie können weiterhin kommentieren.")
    premod = widget.get_by_role("region", name="Ihre Kommentare werden von der Moderation geprüft, bevor sie erscheinen.")
    expect(premod).to_contain_text("Grund: Werbung.")
    # two actions: each notice names its appeal on a button, and no form shows until one is pressed
    # (test_widget_standing2.py)
    expect(warning.get_by_role("button", name="Einspruch gegen die Verwarnung")).to_be_visible()
    expect(premod.get_by_role("button", name="Einspruch gegen die Vorabprüfung Ihrer Kommentare")).to_be_visible()
    expect(widget.get_by_role("button", name="Einspruch senden")).to_have_count(0)
    expect(widget.get_by_label("Kommentar schreiben")).to_be_visible()


def test_notices_wrap_read_right_to_left_and_pass_axe_light_and_dark(browser: Any, server: LiveServer,
                                                                     api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    long_reason = "Spam:" + "x" * 300  # one unbroken word
    api.sanction(account, "warn", long_reason)
    api.sanction(account, "premoderate", "תגובות חוזרות עם קישורים")
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 800})
    try:
        page = ctx.new_page()
        widget = open_demo(page, server, alice)
        warning = widget.get_by_role("region", name=WARNED)
        premod = widget.get_by_role("region", name=REVIEWED)
        expect(warning).to_contain_text(long_reason)
        expect(premod.locator("span[dir=auto]")).to_have_text("תגובות חוזרות עם קישורים")
        assert premod.locator("span[dir=auto]").evaluate("e => getComputedStyle(e).direction") == "rtl"
        widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,
          widget: document.getElementById('townhall').getBoundingClientRect().right,
          boxes: Array.from(document.getElementById('townhall').shadowRoot.querySelectorAll('.th-notice'),
                            (e) => [e.getBoundingClientRect().right, e.scrollWidth - e.clientWidth])})""")
        assert widths["page"] <= widths["view"], widths
        assert len(widths["boxes"]) == 2, widths
        assert all(right <= widths["widget"] + 0.5 and over <= 0 for right, over in widths["boxes"]), widths
        premod.get_by_role("button", name="Appeal the review of your comments").click()  # the one appeal form
        expect(premod.get_by_role("button", name="Send appeal")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.add_script_tag(path=str(AXE))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
            check_axe(page)  # both notices, a named appeal button in each, one of them opened
    finally:
        ctx.close()
