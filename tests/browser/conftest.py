"""Browser-test fixtures: the real app on a loopback port (SQLite only) driven by Debian's Chromium through
Playwright's sync API. Chromium missing: skipped for a developer, a failure under CI (``unavailable``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import unavailable
from tests.fixtures_app import AppFactory, LiveServer, make_token
from townhall.app import Townhall

CHROMIUM = os.environ.get("TOWNHALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
THREAD = "russia-syria-drawdown"  # the demo article's thread


def check_axe(page: Any) -> None:
    """axe-core (vendored: ``AXE``, added to the page by the caller) over the page's document for WCAG 2.1 A and
    AA: no serious or critical violation, and the colour-contrast check ran (it did read the text)."""
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
      return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})),
              passes: r.passes.map(p => p.id)};
    }""")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)
    assert "color-contrast" in result["passes"]


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        unavailable(f"the playwright package is not installed: {exc}")
        raise
    with sync_playwright() as pw:
        try:
            chromium = launch_chromium(pw)
        except Exception as exc:  # noqa: BLE001 - any launch failure means the capability is missing
            unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
            raise
        yield chromium
        chromium.close()


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Browser tests run on SQLite only (the API tests cover PostgreSQL)."""
    return sqlite_url


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    # TOWNHALL_TEST_POLICY lets a developer run the suite against another policy file; the default is the
    # packaged house rules, the ones a newcomer gets.
    return make_app(db_url, demo=True, policy=os.environ.get("TOWNHALL_TEST_POLICY", ""))


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server


@pytest.fixture
def context(browser: Any, server: LiveServer) -> Iterator[Any]:
    # Depends on the server so that it closes first: an open live stream would hold the server's shutdown.
    ctx = browser.new_context(viewport={"width": 1000, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(8000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # The demo page's CSP is script-src 'self': an inline script or handler would show up here.
    pg.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


class Api:
    """The reader and moderator API, as tests use it to arrange and to check what the widget did."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def post(self, token: str, text: str, parent_id: int | None = None) -> dict[str, Any]:
        r = self.http.post(f"/api/v1/threads/{THREAD}/comments", json={"text": text, "parent_id": parent_id},
                           headers=self.headers(token))
        assert r.status_code == 201, r.text
        return r.json()["comment"]  # type: ignore[no-any-return]

    def thread(self, token: str | None = None, **params: Any) -> dict[str, Any]:
        """The thread as ``token``'s reader sees it; by default as a signed-in reader who never posts, which
        is the public view, read afresh (signed-out page loads may be up to a second old: page_cache_seconds)."""
        r = self.http.get(f"/api/v1/threads/{THREAD}/comments", params=params,
                          headers=self.headers(token or make_token("observer")))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def me(self, token: str) -> dict[str, Any]:
        r = self.http.get("/api/v1/me", headers=self.headers(token))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def sanction(self, account_id: int, sanction: str, reason: str, hours: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"sanction": sanction, "reason": reason}
        if hours is not None:
            body["hours"] = hours
        r = self.http.post(f"/api/v1/mod/accounts/{account_id}/sanctions", json=body,
                           headers=self.headers(make_token("mod", role="moderator")))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def api(server: LiveServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()
