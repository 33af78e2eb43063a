"""Security headers: nosniff on every response, a Content-Security-Policy with frame-ancestors on HTML
(the demo page may be framed by its own origin only; the moderators' dashboard by nobody)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from townhall.web.middleware import SecurityHeaders
from tests.fixtures_app import auth


def csp_directives(response: Any) -> dict[str, str]:
    csp = response.headers.get("content-security-policy")
    assert csp, f"{response.request.url}: HTML without a Content-Security-Policy"
    out = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            out[name] = value.strip()
    return out


def test_demo_page_has_csp_with_frame_ancestors(sec_client: TestClient) -> None:
    r = sec_client.get("/demo")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = csp_directives(r)
    assert csp["frame-ancestors"] == "'self'"
    assert "'unsafe-inline'" not in csp.get("script-src", "") and "*" not in csp.get("script-src", "")
    assert csp["object-src"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/login"])
def test_admin_html_if_served_may_not_be_framed(sec_client: TestClient, path: str) -> None:
    r = sec_client.get(path, follow_redirects=True)
    assert r.headers.get("x-content-type-options") == "nosniff"
    if r.headers.get("content-type", "").startswith("text/html"):
        assert csp_directives(r)["frame-ancestors"] == "'none'"
        assert r.headers.get("x-frame-options") == "DENY"


def test_middleware_sets_frame_ancestors_by_path() -> None:
    """The rule itself, independent of which HTML pages exist today."""
    async def page(_: Any) -> HTMLResponse:
        return HTMLResponse("<p>hi</p>")

    async def data(_: Any) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/admin/queue", page), Route("/demo", page), Route("/other", page), Route("/api", data)])
    c = TestClient(SecurityHeaders(app))
    assert csp_directives(c.get("/admin/queue"))["frame-ancestors"] == "'none'"
    assert csp_directives(c.get("/demo"))["frame-ancestors"] == "'self'"
    assert csp_directives(c.get("/other"))["frame-ancestors"] == "'self'"
    api = c.get("/api")
    assert "content-security-policy" not in api.headers and api.headers["x-content-type-options"] == "nosniff"


REQUESTS = [
    ("GET", "/healthz", {}),
    ("GET", "/api/v1/threads/h-thread/comments", {}),
    ("GET", "/api/v1/threads/h-thread/comments?limit=100000", {}),  # 422
    ("GET", "/api/v1/nowhere", {}),  # 404
    ("GET", "/api/v1/me", {}),  # 401
    ("DELETE", "/healthz", {}),  # 405
    ("GET", "/embed.js", {}),
    ("GET", "/openapi.json", {}),
    ("GET", "/demo/token", {}),
    ("OPTIONS", "/api/v1/threads/h-thread/comments",
     {"Origin": "https://news.example", "Access-Control-Request-Method": "POST"}),  # CORS preflight
    ("POST", "/api/v1/threads/h-thread/comments", {"content-type": "application/json", "content-length": "99999999"}),  # 413
]


@pytest.mark.parametrize("method,path,headers", REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_nosniff_everywhere(sec_client: TestClient, method: str, path: str, headers: dict[str, str]) -> None:
    r = sec_client.request(method, path, headers=headers, content=b"{}" if method == "POST" else None)
    assert r.headers.get("x-content-type-options") == "nosniff", (r.status_code, dict(r.headers))
    assert r.headers.get("referrer-policy") == "strict-origin-when-cross-origin"


def test_errors_from_the_widget_origin_are_readable(sec_client: TestClient) -> None:
    """A 413 or 401 sent to the widget on a publisher's page carries CORS headers, so the widget can show
    the message instead of a network error."""
    origin = {"Origin": "https://news.example"}
    r = sec_client.post("/api/v1/threads/h/comments", content=b"{}",
                        headers={**origin, "content-type": "application/json", "content-length": "99999999"})
    assert r.status_code == 413 and r.headers.get("access-control-allow-origin") in ("*", "https://news.example")
    r = sec_client.get("/api/v1/me", headers={**origin, **auth("x", secret="wrong-secret-long-enough-for-hs256-0000")})
    assert r.status_code == 401 and r.headers.get("access-control-allow-origin") in ("*", "https://news.example")
