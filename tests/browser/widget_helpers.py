"""What the widget's browser tests share: opening the demo article, signing in, clicking through to the API."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from playwright.sync_api import expect

from tests.browser.conftest import AXE, check_axe
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
        # the signed-out first load done first: its townhall:loaded, arriving while the sign-in reads /me, was taken
        # for the reload as the reader, whose own event then came after the caller's listeners (seen under load)
        expect(widget.locator("[aria-busy=true]")).to_have_count(0)
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


@contextmanager
def axe_page(browser: Any, locale: str = "en-GB") -> Iterator[tuple[Any, list[str]]]:
    """A page of its own for an axe-core check, ``(page, errors)``: its CSP bypassed (axe is a script the test adds
    to the page), 1000x900, in ``locale``, with the page's uncaught errors collected in ``errors``."""
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1000, "height": 900}, locale=locale)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
    finally:
        ctx.close()


def render_demo(page: Any, server: LiveServer, token: str | None = None, lang: str = "de") -> Any:
    """The demo article with its widget drawn again through the JS API (``Townhall.render``) in ``lang``, signed in
    with ``token`` where given; the widget's host element."""
    page.goto(server.url + "/demo")
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("([t, lang]) => Townhall.render(document.getElementById('townhall'), t ? {token: t, lang} : {lang})",
                  [token, lang])
    return page.locator("#townhall")


def axe_light_and_dark(page: Any) -> None:
    """axe-core (:func:`tests.browser.conftest.check_axe`) over the page in the light and the dark colour scheme."""
    page.add_script_tag(path=str(AXE))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        check_axe(page)
