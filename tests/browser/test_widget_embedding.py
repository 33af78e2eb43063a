"""The widget as publishers embed it: accessibility (axe-core, light and dark), its size, themes and tokens,
another origin, and a closed thread."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, Api, THREAD, check_axe
from tests.browser.widget_helpers import article, login, open_demo, submit
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(browser: Any, server: LiveServer, api: Api, scheme: str) -> None:
    bob = make_token("bob", "Bob", supporter=True)
    first = api.post(bob, "The Russian aviation group stays, so this is a drawdown. https://example.org/source")
    api.post(make_token("ann", "Ann"), "Agreed, the TASS quote says as much.", first["id"])
    ctx = browser.new_context(color_scheme=scheme, bypass_csp=True, viewport={"width": 1000, "height": 900})
    try:
        page = ctx.new_page()
        widget = open_demo(page, server, make_token("alice", "Alice", supporter=True))
        widget.get_by_label("Add a comment").fill("what the fuck")
        # A rejection makes the widget re-read the reader's standing (GET /me) a moment later; let that
        # finish before the ban below, or a late answer would show the ban before the test posts.
        with page.expect_response(lambda r: "/api/v1/me?" in r.url and r.request.method == "GET"):
            widget.get_by_role("button", name="Post comment").click()
        expect(widget.locator(".th-rejected mark")).to_have_text("fuck")
        article(widget, first["id"]).get_by_role("button", name="Report").click()
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        page.add_script_tag(path=str(AXE))
        check_axe(page)  # thread, badges, rejection panel with <mark>, report form

        api.sanction(api.me(make_token("alice", "Alice"))["id"], "ban", "Repeated insults.")
        widget.get_by_label("Add a comment").fill("Still here?")
        widget.get_by_role("button", name="Post comment").click()
        expect(widget.get_by_label("Appeal: explain why the decision should be reversed")).to_be_visible()
        check_axe(page)  # the ban notice and the appeal form
    finally:
        ctx.close()




def test_embed_js_is_small_and_self_contained(server: LiveServer, api: Api) -> None:
    import gzip

    r = api.http.get("/embed.js")
    # charset: on a publisher's ISO-8859-1 page the browser would otherwise read the widget's text as Latin-1
    assert r.status_code == 200 and r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert len(gzip.compress(r.content, 9)) <= 40 * 1024
    body = r.text
    # No absolute URL to any other host is built into the widget.
    assert not re.search(r"https?://(?!HOST/)[a-z0-9.-]+", body.split("*/", 1)[1])
    assert THREAD not in body


def test_theme_override_custom_properties_data_token_and_logout(page: Any, server: LiveServer, api: Api) -> None:
    page.emulate_media(color_scheme="light")
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    expect(widget.get_by_text("No comments yet")).to_be_visible()
    section = widget.locator("section.th")
    assert section.evaluate("el => getComputedStyle(el).color") == "rgb(27, 27, 27)"
    # data-theme="dark" overrides the reader's light preference; a CSS custom property restyles the accent.
    page.evaluate("""t => { const el = document.getElementById('townhall');
      el.setAttribute('data-theme', 'dark'); el.setAttribute('data-token', t);
      el.style.setProperty('--th-accent-dark', 'rgb(200, 30, 30)'); Townhall.render(el); }""", make_token("dora", "Dora"))
    expect(widget.locator(".th-account")).to_contain_text("Signed in as Dora")  # data-token signs in
    assert section.evaluate("el => getComputedStyle(el).color") == "rgb(236, 238, 240)"
    post = widget.get_by_role("button", name="Post comment")
    assert post.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(200, 30, 30)"
    page.evaluate("Townhall.logout()")
    expect(widget.get_by_text("Sign in to join the conversation.")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)


def test_embedded_on_another_origin(page: Any, server: LiveServer, api: Api) -> None:
    """A publisher's page on another origin (its own loopback server): the base URL comes from the script's src,
    CORS lets it read, write and listen, and the only hosts contacted are the publisher's and Townhall's."""
    import http.server
    import threading

    article_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title></head>
      <body><h1>A publisher's article</h1>
      <div id="townhall" data-thread="{THREAD}" data-url="/news/1" data-title="Elsewhere"
           data-token="{make_token('olga', 'Olga')}"></div>
      <script src="{server.url}/embed.js" async></script></body></html>""".encode()

    class Publisher(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/news/1" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(article_html if self.path == "/news/1" else b"")

        def log_message(self, *args: Any) -> None:
            pass

    publisher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    threading.Thread(target=publisher.serve_forever, daemon=True).start()
    try:
        origin = f"127.0.0.1:{publisher.server_address[1]}"
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(urlsplit(req.url).netloc))
        api.post(make_token("bob", "Bob"), "Hello from the Townhall side.")
        page.goto(f"http://{origin}/news/1")
        widget = page.locator("#townhall")
        expect(widget.locator(".th-account")).to_contain_text("Signed in as Olga")
        expect(widget.get_by_text("Hello from the Townhall side.")).to_be_visible()
        widget.get_by_label("Add a comment").fill("Posted from the publisher's own domain.")
        answer = submit(page, widget.get_by_role("button", name="Post comment"))
        assert answer["verdict"] == "published"
        mine = article(widget, answer["comment"]["id"])
        expect(mine).to_contain_text("Posted from the publisher's own domain.")
        expect(mine.locator(".th-meta a")).to_have_attribute("href", f"/news/1#comment-{answer['comment']['id']}")
        page.wait_for_function("() => document.getElementById('townhall').dataset.liveState === 'sse'")
        page.wait_for_timeout(300)
        api.post(make_token("bob", "Bob"), "And a live one.")
        expect(widget.get_by_role("button", name="1 new comment — show")).to_be_visible()
        assert hosts == {origin, urlsplit(server.url).netloc}
    finally:
        publisher.shutdown()
        publisher.server_close()


def test_closed_thread_offers_no_comment_box(page: Any, server: LiveServer, api: Api) -> None:
    first = api.post(make_token("bob", "Bob"), "Said before the thread was closed.")
    r = api.http.put(f"/api/v1/mod/threads/{THREAD}/state", json={"state": "closed"},
                     headers=api.headers(make_token("mod", role="moderator")))
    assert r.status_code == 200, r.text
    widget = open_demo(page, server)
    login(page, make_token("alice", "Alice"))
    expect(widget.get_by_text("Comments on this article are closed.")).to_be_visible()
    expect(widget.get_by_label("Add a comment")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Reply")).to_have_count(0)
    expect(article(widget, first["id"]).get_by_role("button", name="Like")).to_be_visible()


@pytest.mark.parametrize("data_url", ["/demo", "javascript:alert(1)", "file:///home/reader/article.html",
                                      "https://news.example@elsewhere.example/x"])
def test_the_article_address_is_sent_as_a_web_address_or_not_at_all(page: Any, server: LiveServer, api: Api,
                                                                     data_url: str) -> None:
    """The server refuses a comment whose ``url`` is no web address (422); the widget sends its page's address
    made absolute, or none, so a reader on such a page still posts."""
    def rewrite(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('data-url="/demo"', f'data-url="{data_url}"'))

    page.route(server.url + "/demo", rewrite)
    widget = open_demo(page, server, make_token("ursula", "Ursula"))
    widget.get_by_label("Add a comment").fill("A comment from a page with an odd address.")
    answer = submit(page, widget.get_by_role("button", name="Post comment"))
    assert answer["comment"]["status"] == "published", answer
    assert api.thread()["thread"]["url"] == (server.url + "/demo" if data_url == "/demo" else None)


def test_a_page_with_a_very_long_address_and_title_still_posts(page: Any, server: LiveServer, api: Api) -> None:
    """The API refuses a url over 2,000 characters and a title over 500 (422): the widget leaves such an address
    out and cuts the title (by characters, an emoji is not split), so the reader's comment is posted."""
    long_url = "/demo?" + "q=%C3%A9" * 300  # about 2,400 characters once made absolute
    long_title = "Über " + "😀" * 600

    def rewrite(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace('data-url="/demo"', f'data-url="{long_url}"')
        body = re.sub(r'data-title="[^"]*"', f'data-title="{long_title}"', body)
        route.fulfill(response=response, body=body)

    page.route(server.url + "/demo", rewrite)
    widget = open_demo(page, server, make_token("vera", "Vera"))
    widget.get_by_label("Add a comment").fill("A comment from a page with a long address.")
    answer = submit(page, widget.get_by_role("button", name="Post comment"))
    assert answer["comment"]["status"] == "published", answer
    thread = api.thread()["thread"]
    assert thread["url"] is None
    assert thread["title"] == long_title[:500] and len(thread["title"]) == 500
