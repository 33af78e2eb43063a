"""The widget on a publisher's page whose Content-Security-Policy keeps styles to ``style-src 'self'`` (no
``'unsafe-inline'``), as strict newsroom pages do. The widget's stylesheet was a ``<style>`` element in its shadow
root, which such a page refuses like any inline style: the widget came out unstyled (browser-default grey buttons,
no spacing, no dark mode), with a CSP violation in the console — found in a newsroom developer's walkthrough
(2026-11-28). A constructed stylesheet (``adoptedStyleSheets``) is not an inline style, so the widget is drawn
as on any page."""

from __future__ import annotations

import http.server
import re
import threading
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import THREAD, Api
from tests.fixtures_app import LiveServer, make_token

pytestmark = pytest.mark.browser


def test_the_widget_is_styled_under_a_strict_style_src(page: Any, server: LiveServer, api: Api) -> None:
    csp = (f"default-src 'self'; script-src 'self' {server.url}; connect-src 'self' {server.url}; "
           "style-src 'self'; img-src 'self'")
    article_html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict page</title></head>
      <body><h1>A publisher's article</h1>
      <div id="townhall" data-thread="{THREAD}" data-url="/news/strict"></div>
      <script src="{server.url}/embed.js" async></script></body></html>""".encode()

    class Publisher(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(200 if self.path == "/news/strict" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(article_html if self.path == "/news/strict" else b"")

        def log_message(self, *args: Any) -> None:
            pass

    publisher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Publisher)
    threading.Thread(target=publisher.serve_forever, daemon=True).start()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.emulate_media(color_scheme="light")
        api.post(make_token("bob", "Bob"), "A comment to draw.")
        response = page.goto(f"http://127.0.0.1:{publisher.server_address[1]}/news/strict")
        assert response.headers["content-security-policy"] == csp  # the page fixture fails on any violation of it
        widget = page.locator("#townhall")
        expect(widget.get_by_text("A comment to draw.")).to_be_visible()
        # the widget's own rules apply: its text colour, and a button's rounded corners (browser default: none)
        assert widget.locator("section.th").evaluate("el => getComputedStyle(el).color") == "rgb(27, 27, 27)"
        sign_in = widget.get_by_role("button", name="Sign in")
        assert sign_in.evaluate("el => getComputedStyle(el).borderRadius") == "6px"
        # the reader's dark preference still takes the dark palette (the sheet's media query)
        page.emulate_media(color_scheme="dark")
        assert widget.locator("section.th").evaluate("el => getComputedStyle(el).color") == "rgb(236, 238, 240)"
        assert not [m for m in refused if "style-src" in m], refused
    finally:
        publisher.shutdown()
        publisher.server_close()


def test_a_browser_without_constructed_sheets_gets_the_style_element(page: Any, server: LiveServer) -> None:
    """Safari before 16.4 has no ``adoptedStyleSheets``: the widget falls back to its ``<style>`` element (the demo
    page allows inline styles), drawn as before."""
    page.add_init_script("delete ShadowRoot.prototype.adoptedStyleSheets; delete Document.prototype.adoptedStyleSheets")
    page.emulate_media(color_scheme="light")
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    assert page.evaluate("() => document.getElementById('townhall').shadowRoot.querySelectorAll('style').length") == 1
    assert widget.locator("section.th").evaluate("el => getComputedStyle(el).color") == "rgb(27, 27, 27)"
