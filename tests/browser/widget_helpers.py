"""What the widget's browser tests share: opening the demo article, signing in, clicking through to the API."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator

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


def until_polling(page: Any) -> None:
    """Move the page's clock (``page.clock.install()`` before the page loaded) until the widget, its live stream
    refused, has fallen back to polling: three failed tries, retried after 1-2 s and 2-4 s of the page's time,
    each failing in real time."""
    polling = "() => document.getElementById('townhall').dataset.liveState === 'polling'"
    for _ in range(100):
        if page.evaluate(polling):
            return
        page.clock.run_for(500)
        page.wait_for_timeout(50)
    assert page.evaluate(polling), "the widget did not fall back to polling"


def polls_until(page: Any, holds: Callable[[float], None], polls: int = 3, seconds: float = 5) -> None:
    """Move the page's clock (``page.clock.install()`` before the page loaded) one poll of ``seconds`` at a time
    until ``holds(timeout_ms)`` (an ``expect``) passes, each poll given 2 s of real time to be answered and drawn, the
    last 8 s: a signed-out read may be up to page_cache_seconds (1 s) old, so a poll right after a change can miss it
    (as when the polls ran in real time, a few may be needed)."""
    for _ in range(polls - 1):
        page.clock.run_for(int(seconds * 1000))
        try:
            holds(2000)
            return
        except AssertionError:
            pass
    page.clock.run_for(int(seconds * 1000))
    holds(8000)


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
