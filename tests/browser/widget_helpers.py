"""What the widget's browser tests share: opening the demo article, signing in, clicking through to the API."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.fixtures_app import LiveServer

DEEP_ACTIVE = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  if (!a) return null;
  const root = a.getRootNode();
  const label = a.id && root.querySelector ? root.querySelector('label[for="' + a.id + '"]') : null;
  return {tag: a.tagName.toLowerCase(), text: (a.textContent || '').trim().slice(0, 60),
          label: label ? label.textContent : (a.getAttribute('aria-label') || ''), inWidget: root !== document};
}"""


def open_demo(page: Any, server: LiveServer, token: str | None = None, suffix: str = "") -> Any:
    page.goto(server.url + "/demo" + suffix)
    page.wait_for_function("() => !!window.Townhall")
    widget = page.locator("#townhall")
    expect(widget.get_by_role("heading", name=re.compile("^Comments"))).to_be_visible()
    if token is not None:
        login(page, token)
        expect(widget.get_by_text("Signed in as")).to_be_visible()
        expect(widget.get_by_label("Add a comment")).to_be_visible()
    return widget


def login(page: Any, token: str) -> None:
    """Townhall.login, then wait until the widget has reloaded the thread as that reader."""
    page.evaluate("""t => new Promise(done => {
      document.getElementById('townhall').addEventListener('townhall:loaded', () => done(), {once: true});
      Townhall.login(t);
    })""", token)


def submit(page: Any, button: Any, method: str = "POST") -> dict[str, Any]:
    """Click a widget button and return the JSON of the API call it makes."""
    with page.expect_response(lambda r: r.request.method == method and "/api/v1/" in r.url) as info:
        button.click()
    return info.value.json()  # type: ignore[no-any-return]


def article(widget: Any, comment_id: int) -> Any:
    return widget.locator(f"#comment-{comment_id} > article")
