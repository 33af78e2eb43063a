"""Featured comments (moderators' picks) in the widget: the Featured badge, the "Featured comments" section above
the thread (its links find a comment on a page not loaded yet), a moderator's Feature / Unfeature button, the
live ``comment.featured`` event, ``featured-limit`` (0: no section and no request), German, and axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.browser.widget_helpers import DEEP_ACTIVE, article, axe_light_and_dark, axe_page, open_demo, render_demo, submit
from tests.fixtures_app import Clock, LiveServer, make_token

pytestmark = pytest.mark.browser

MOD = make_token("mona", "Mona Moderator", role="moderator")
LONG = ("The drawdown is a rotation, not a retreat: the air base stays, the naval facility stays, and the "
        "contractors who replace the soldiers answer to the same ministry. Read the budget lines, not the "
        "press releases.")


def feature(api: Api, comment_id: int, on: bool = True) -> None:
    r = api.http.put(f"/api/v1/mod/comments/{comment_id}/featured", json={"featured": on}, headers=api.headers(MOD))
    assert r.status_code == 200, r.text
    assert r.json() == {"comment_id": comment_id, "featured": on}


def featured_ids(api: Api) -> list[int]:
    r = api.http.get(f"/api/v1/threads/{THREAD}/featured")
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"]]


def section(widget: Any, name: str = "Featured comments") -> Any:
    return widget.get_by_role("region", name=name)


def wait_live(page: Any) -> None:
    page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
    page.wait_for_timeout(300)  # the EventSource is subscribed


def test_featured_comments_are_marked_listed_and_found_on_a_later_page(page: Any, server: LiveServer, api: Api,
                                                                        clock: Clock) -> None:
    bob = make_token("bob", "Bob")
    old = api.post(bob, LONG.replace(": ", ":\n\n", 1))  # two paragraphs: the excerpt reads them as one text
    others = [api.post(make_token(f"reader{n}"), f"Another view, number {n}.") for n in range(24)]
    plain = others[-1]  # on the first page, not featured
    for c in (others[3], others[20], others[22]):
        feature(api, c["id"])
        clock.advance(seconds=1)  # the order of featuring, not of ids
    feature(api, old["id"])  # the most recently featured: listed first, though the thread shows it pages away
    featured_requests: list[str] = []
    page.on("request", lambda r: featured_requests.append(r.url) if "/featured" in r.url else None)
    widget = open_demo(page, server)

    picks = section(widget)
    expect(picks.get_by_role("heading", name="Featured comments")).to_be_visible()
    items = picks.get_by_role("listitem")
    expect(items).to_have_count(3)  # featured-limit's default, of the four
    assert len(featured_requests) == 1 and "limit=3" in featured_requests[0]
    first = items.nth(0)
    expect(first.locator(".th-name")).to_have_text("Bob")
    expect(first.locator("time")).to_have_attribute("datetime", old["created_at"])
    excerpt = first.locator("p").inner_text()
    assert excerpt.startswith("The drawdown is a rotation, not a retreat: the air base stays") and excerpt.endswith("…")
    assert len(excerpt) <= 141 and "\n" not in excerpt
    expect(items.nth(1)).to_contain_text("Another view, number 22.")
    expect(items.nth(2)).to_contain_text("Another view, number 20.")
    expect(picks).not_to_contain_text("Another view, number 3.")

    # The Featured badge, with the words a screen reader reads, on the featured comments of the first page only.
    badge = article(widget, others[22]["id"]).locator(".th-feat")
    expect(badge).to_have_text("★ Featured — picked by the moderators")
    expect(badge.locator("[aria-hidden=true]")).to_have_text("★ ")
    expect(article(widget, plain["id"]).locator(".th-feat")).to_have_count(0)
    expect(article(widget, plain["id"]).get_by_role("button", name="Feature")).to_have_count(0)  # a visitor: no button
    expect(widget.locator(f"#comment-{old['id']}")).to_have_count(0)  # on the second page

    # The link reads on until the comment is shown, marks and focuses it, like a permalink.
    link = first.get_by_role("link", name="Read it in the thread — Comment by Bob")
    expect(link).to_have_attribute("href", re.compile(rf"#comment-{old['id']}$"))
    link.click()
    target = article(widget, old["id"])
    expect(target).to_have_class(re.compile(r"\bth-highlight\b"))
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    expect(target.locator(".th-feat")).to_contain_text("Featured")
    assert page.evaluate("location.hash") == f"#comment-{old['id']}"


def test_a_moderator_features_and_unfeatures_a_comment_from_the_widget(page: Any, server: LiveServer, api: Api) -> None:
    alice = api.post(make_token("alice", "Alice"), "A careful, well-sourced comment.")
    other = api.post(make_token("bob", "Bob"), "A comment nobody features.")
    widget = open_demo(page, server, MOD)
    expect(section(widget)).to_be_hidden()  # none featured yet

    button = article(widget, alice["id"]).get_by_role("button", name="Feature", exact=True)
    assert submit(page, button, "PUT") == {"comment_id": alice["id"], "featured": True}
    expect(article(widget, alice["id"]).locator(".th-feat")).to_contain_text("Featured")
    unfeature = article(widget, alice["id"]).get_by_role("button", name="Unfeature")
    expect(unfeature).to_be_focused()  # the same button, its word changed
    expect(widget.locator("[role=status]")).to_have_text("The comment is now featured.")
    expect(section(widget).get_by_role("listitem")).to_have_count(1)
    expect(section(widget)).to_contain_text("A careful, well-sourced comment.")
    assert featured_ids(api) == [alice["id"]]
    assert next(c for c in api.thread()["comments"] if c["id"] == alice["id"])["featured"] is True
    expect(article(widget, other["id"]).locator(".th-feat")).to_have_count(0)
    expect(article(widget, other["id"]).get_by_role("button", name="Feature", exact=True)).to_be_visible()

    assert submit(page, unfeature, "PUT") == {"comment_id": alice["id"], "featured": False}
    expect(article(widget, alice["id"]).locator(".th-feat")).to_have_count(0)
    expect(article(widget, alice["id"]).get_by_role("button", name="Feature", exact=True)).to_be_focused()
    expect(widget.locator("[role=status]")).to_have_text("The comment is no longer featured.")
    expect(section(widget)).to_be_hidden()
    assert featured_ids(api) == []

    # A refusal (the comment left meanwhile: 409 not_published) is shown beside the buttons and announced.
    page.route(re.compile(r".*/api/v1/mod/comments/\d+/featured.*"), lambda route: route.fulfill(
        status=409, content_type="application/json",
        body='{"error": {"code": "not_published", "message": "Only a published comment can be featured."}}'))
    article(widget, other["id"]).get_by_role("button", name="Feature", exact=True).click()
    expect(article(widget, other["id"]).locator(".th-error")).to_have_text("Only a published comment can be featured.")
    expect(widget.locator("[role=alert]")).to_have_text("Only a published comment can be featured.")
    expect(article(widget, other["id"]).locator(".th-feat")).to_have_count(0)
    expect(article(widget, other["id"]).get_by_role("button", name="Feature", exact=True)).to_be_visible()


def test_readers_see_no_feature_button_and_a_moderator_token_on_render_gets_one(page: Any, server: LiveServer,
                                                                               api: Api) -> None:
    c = api.post(make_token("alice", "Alice"), "Worth featuring.")
    feature(api, c["id"])
    widget = open_demo(page, server, make_token("rita", "Rita Reader"))
    expect(article(widget, c["id"]).locator(".th-feat")).to_contain_text("Featured")
    expect(article(widget, c["id"]).get_by_role("button", name="Report")).to_be_visible()
    expect(widget.get_by_role("button", name=re.compile("^(Feature|Unfeature)$"))).to_have_count(0)

    # A moderator's token given to render: /me and the first page load side by side; here /me answers after the
    # comments are drawn, and the buttons follow it.
    page.evaluate("Townhall.logout()")
    expect(widget.get_by_text("Sign in to join the conversation.")).to_be_visible()
    held: list[Any] = []
    page.route(re.compile(r".*/api/v1/me(\?.*)?$"), lambda route: held.append(route))
    page.evaluate("t => Townhall.render(document.getElementById('townhall'), {token: t})", MOD)
    expect(article(widget, c["id"]).get_by_role("button", name="Report")).to_be_visible()
    assert len(held) == 1
    expect(article(widget, c["id"]).get_by_role("button", name="Unfeature")).to_have_count(0)
    held[0].continue_()
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Mona Moderator")
    expect(article(widget, c["id"]).get_by_role("button", name="Unfeature")).to_be_visible()
    page.unroute_all()
    page.evaluate("Townhall.logout()")
    expect(widget.get_by_text("Sign in to join the conversation.")).to_be_visible()
    expect(widget.get_by_role("button", name=re.compile("^(Feature|Unfeature)$"))).to_have_count(0)


def test_a_live_comment_featured_event_updates_an_open_page(page: Any, server: LiveServer, api: Api,
                                                           clock: Clock) -> None:
    c = api.post(make_token("alice", "Alice"), "Featured while you read.")
    reply = api.post(make_token("bob", "Bob"), "A reply, featured too.", parent_id=c["id"])
    widget = open_demo(page, server)
    expect(article(widget, c["id"])).to_be_visible()
    wait_live(page)
    expect(section(widget)).to_be_hidden()

    feature(api, c["id"])  # another client: a moderator's dashboard, say
    expect(article(widget, c["id"]).locator(".th-feat")).to_contain_text("Featured")
    expect(section(widget).get_by_role("listitem")).to_have_count(1)
    clock.advance(seconds=1)
    feature(api, reply["id"])
    expect(article(widget, reply["id"]).locator(".th-feat")).to_contain_text("Featured")
    expect(section(widget).get_by_role("listitem")).to_have_count(2)
    expect(section(widget).get_by_role("listitem").first).to_contain_text("A reply, featured too.")

    feature(api, c["id"], on=False)
    expect(article(widget, c["id"]).locator(".th-feat")).to_have_count(0)
    expect(section(widget).get_by_role("listitem")).to_have_count(1)
    # a featured comment that leaves the thread leaves the section
    r = api.http.post(f"/api/v1/mod/comments/{reply['id']}/decision", json={"action": "reject", "reason": "Off topic"},
                      headers=api.headers(MOD))
    assert r.status_code == 200, r.text
    expect(widget.get_by_text("This comment was removed by a moderator.")).to_be_visible()
    expect(section(widget)).to_be_hidden()


def test_featured_limit_zero_shows_no_section_and_asks_nothing(page: Any, server: LiveServer, api: Api) -> None:
    c = api.post(make_token("alice", "Alice"), "Featured, but this page lists none.")
    feature(api, c["id"])
    widget = open_demo(page, server)
    expect(section(widget)).to_be_visible()  # the default
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/featured" in r.url else None)
    page.evaluate("""() => new Promise(done => {
      const el = document.getElementById('townhall');
      el.addEventListener('townhall:loaded', () => done(), {once: true});
      el.dataset.featuredLimit = '0';
      Townhall.render(el);
    })""")
    expect(article(widget, c["id"]).locator(".th-feat")).to_contain_text("Featured")  # the badge stays
    page.wait_for_timeout(500)
    expect(widget.locator(".th-featured")).to_be_hidden()
    expect(section(widget)).to_have_count(0)
    assert asked == []
    page.evaluate("Townhall.render(document.getElementById('townhall'), {featuredLimit: 1})")
    expect(section(widget).get_by_role("listitem")).to_have_count(1)
    assert len(asked) == 1 and "limit=1" in asked[0]


def test_the_first_render_does_not_wait_for_the_featured_list(page: Any, server: LiveServer, api: Api) -> None:
    c = api.post(make_token("alice", "Alice"), "Shown before the picks arrive.")
    feature(api, c["id"])
    held: list[Any] = []
    page.route(re.compile(r".*/api/v1/threads/[^/]+/featured.*"), lambda route: held.append(route))
    widget = open_demo(page, server)
    expect(article(widget, c["id"])).to_be_visible()
    assert len(held) == 1  # asked, not answered yet: the comments are drawn anyway
    expect(widget.locator(".th-featured")).to_be_hidden()
    held[0].continue_()
    expect(section(widget).get_by_role("listitem")).to_have_count(1)


def test_featured_in_german(page: Any, server: LiveServer, api: Api) -> None:
    c = api.post(make_token("alice", "Alice"), "Ein guter Gedanke.")
    feature(api, c["id"])
    widget = render_demo(page, server, MOD)
    picks = section(widget, "Empfohlene Kommentare")
    expect(picks.get_by_role("link", name="In der Diskussion lesen — Kommentar von Alice")).to_be_visible()
    expect(article(widget, c["id"]).locator(".th-feat")).to_have_text("★ Empfohlen — von der Moderation ausgewählt")
    expect(article(widget, c["id"]).get_by_role("button", name="Nicht mehr empfehlen")).to_be_visible()


def test_the_featured_section_and_buttons_pass_axe(browser: Any, server: LiveServer, api: Api) -> None:
    a = api.post(make_token("alice", "Alice"), LONG)
    b = api.post(make_token("bob", "Bob", supporter=True), "Short and sweet.")
    feature(api, a["id"])
    feature(api, b["id"])
    with axe_page(browser) as (page, errors):
        widget = open_demo(page, server, MOD)
        expect(section(widget).get_by_role("listitem")).to_have_count(2)
        expect(widget.get_by_role("button", name="Unfeature")).to_have_count(2)
        axe_light_and_dark(page)
        # from the keyboard: Enter on the section's link takes the focus to the comment in the thread
        section(widget).get_by_role("link").first.focus()
        page.keyboard.press("Enter")
        focused = page.evaluate(DEEP_ACTIVE)
        assert focused["tag"] == "article" and focused["label"] == "Comment by Bob"
        assert not errors, errors


def test_a_featuring_told_while_the_thread_reloads_survives_the_older_answer(page: Any, server: LiveServer,
                                                                            api: Api) -> None:
    """A reload (here a sort change) whose page was read before a moderator featured a comment, and arrives
    after the live ``comment.featured``, does not take the badge away again."""
    c = api.post(make_token("alice", "Alice"), "Featured while the thread reloads.")
    widget = open_demo(page, server)
    expect(article(widget, c["id"])).to_be_visible()
    wait_live(page)
    held: list[Any] = []

    def hold(route: Any) -> None:
        if "sort=oldest" in route.request.url:
            held.append((route, route.fetch()))  # read now, before the featuring; answered later
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/threads/[^/]+/comments.*"), hold)
    widget.get_by_label("Sort by").select_option("oldest")
    for _ in range(50):  # the sort change's request (on a busy machine it may take more than 300 ms)
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    feature(api, c["id"])
    expect(article(widget, c["id"]).locator(".th-feat")).to_contain_text("Featured")
    route, response = held[0]
    route.fulfill(response=response)
    page.wait_for_timeout(300)
    expect(widget.get_by_label("Sort by")).to_have_value("oldest")
    expect(article(widget, c["id"]).locator(".th-feat")).to_contain_text("Featured")
