"""A sanction's notice names the comment it was for (GET /me's ``actions[].comment``): when it was written, a link
to it where this thread shows it to the reader, and how it began; or that it has since been deleted. In English
and German."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.browser.widget_helpers import article, axe_light_and_dark, axe_page, login, open_demo
from tests.fixtures_app import LiveServer, make_token
from townhall.store import content

pytestmark = pytest.mark.browser

MOD = {"Authorization": f"Bearer {make_token('mod', role='moderator')}"}
WARNED = re.compile(r"^You have been warned\.")


def sanction_for(api: Api, account_id: int, sanction: str, reason: str, comment_id: int) -> int:
    r = api.http.post(f"/api/v1/mod/accounts/{account_id}/sanctions", headers=MOD,
                      json={"sanction": sanction, "reason": reason, "comment_id": comment_id})
    assert r.status_code == 201, r.text
    return int(r.json()["action_id"])


def test_a_warning_names_and_links_the_comment_it_was_for(browser: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    comment = api.post(alice, "Nobody who can spell would write such nonsense.")
    for n in range(25):  # a page of other comments on top: the link loads on until it finds the comment
        api.post(make_token(f"reader{n}"), f"Another view, number {n}.")
    sanction_for(api, account, "warn", "Mocking another reader's spelling.", comment["id"])
    with axe_page(browser) as (page, errors):
        widget = open_demo(page, server, alice)
        notice = widget.get_by_role("region", name=WARNED)
        expect(notice).to_contain_text("This was for your comment of")
        expect(notice.locator("q")).to_have_text("Nobody who can spell would write such nonsense.")
        link = notice.get_by_role("link")
        expect(link).to_have_attribute("href", re.compile(rf"#comment-{comment['id']}$"))
        expect(link.locator("time")).to_have_attribute("datetime", comment["created_at"])
        axe_light_and_dark(page)  # the notice with its link and quote

        link.click()
        assert page.evaluate("location.hash") == f"#comment-{comment['id']}"
        expect(article(widget, comment["id"])).to_have_class(re.compile(r"\bth-highlight\b"))
        expect(article(widget, comment["id"])).to_be_focused()
        assert not errors, errors


def test_a_ban_for_a_deleted_comment_on_another_article_names_it_without_a_link(page: Any, server: LiveServer,
                                                                                api: Api) -> None:
    bob = make_token("bob", "Bob")
    account = api.me(bob)["id"]
    r = api.http.post("/api/v1/threads/another-article/comments", json={"text": "Buy cheap watches here."},
                      headers=api.headers(bob))
    assert r.status_code == 201, r.text
    elsewhere = r.json()["comment"]
    assert api.http.delete(f"/api/v1/comments/{elsewhere['id']}", headers=api.headers(bob)).status_code == 204
    sanction_for(api, account, "ban", "Advertising.", elsewhere["id"])
    widget = open_demo(page, server)
    login(page, bob)

    ban = widget.locator(".th-sanction")
    expect(ban.get_by_role("heading")).to_have_text("You are banned from commenting.")
    expect(ban).to_contain_text("This was for your comment of")
    expect(ban).to_contain_text("(since deleted)")
    expect(ban.locator("time")).to_have_attribute("datetime", elsewhere["created_at"])
    expect(ban.get_by_role("link")).to_have_count(0)  # not on this article, and deleted
    expect(ban.locator("q")).to_have_count(0)


def test_the_comment_named_in_german(page: Any, server: LiveServer, api: Api) -> None:
    alice = make_token("alice", "Alice")
    account = api.me(alice)["id"]
    comment = api.post(alice, "Das ist doch Unsinn.")
    sanction_for(api, account, "premoderate", "Werbung.", comment["id"])
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t, lang: 'de'})", alice)
    premod = page.locator("#townhall").get_by_role(
        "region", name="Ihre Kommentare werden von der Moderation geprüft, bevor sie erscheinen.")
    expect(premod).to_contain_text("Anlass war Ihr Kommentar vom")
    expect(premod.locator("q")).to_have_text("Das ist doch Unsinn.")
    expect(premod.get_by_role("link")).to_have_attribute("href", re.compile(rf"#comment-{comment['id']}$"))


def _post_elsewhere(api: Api, token: str, thread: str, text: str, **article: Any) -> dict[str, Any]:
    r = api.http.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **article}, headers=api.headers(token))
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def test_a_ban_for_a_comment_on_another_article_links_it_there(page: Any, server: LiveServer, api: Api) -> None:
    """Banned for a comment on article A, the reader reads article B (the demo article): the ban names article A
    and links the comment's date to it there."""
    carol = make_token("carol", "Carol")
    account = api.me(carol)["id"]
    there = _post_elsewhere(api, carol, "budget-2027", "The minister should resign today.",
                            url="https://news.example/politics/budget-2027?ref=home#top", title="The budget of 2027")
    sanction_for(api, account, "ban", "Personal attacks.", there["id"])
    widget = open_demo(page, server)
    login(page, carol)

    ban = widget.locator(".th-sanction")
    expect(ban.get_by_role("heading")).to_have_text("You are banned from commenting.")
    expect(ban).to_contain_text(re.compile(r"This was for your comment of .+ on “The budget of 2027”:"))
    link = ban.get_by_role("link")
    expect(link).to_have_attribute("href", f"https://news.example/politics/budget-2027?ref=home#comment-{there['id']}")
    expect(link.locator("time")).to_have_attribute("datetime", there["created_at"])
    expect(ban.locator("q")).to_have_text("The minister should resign today.")


def test_an_article_address_that_is_no_web_address_is_not_linked(page: Any, server: LiveServer, api: Api) -> None:
    """A thread created with a ``javascript:`` address (the first commenter sends it) and markup in its title:
    the warning names the title as text and links nothing."""
    with server.app.services.db.write() as conn:  # stored before the API refused such an address (422 now)
        content.insert_thread(conn, site_id="default", external_id="trap", url="javascript:document.title='pwned'",
                              title="<img src=x onerror=alert(1)>", now=server.app.services.now())
    dave = make_token("dave", "Dave")
    account = api.me(dave)["id"]
    there = _post_elsewhere(api, dave, "trap", "A perfectly ordinary remark.")
    sanction_for(api, account, "warn", "Tone.", there["id"])
    widget = open_demo(page, server, dave)
    notice = widget.get_by_role("region", name=WARNED)
    expect(notice).to_contain_text("This was for your comment of")
    expect(notice).to_contain_text("on “<img src=x onerror=alert(1)>”:")
    expect(notice.get_by_role("link")).to_have_count(0)
    expect(notice.locator("img")).to_have_count(0)
    assert page.title() != "pwned"
