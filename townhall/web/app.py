"""The ASGI application: routers, error envelope, middleware, health, demo page and widget assets."""

from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, AsyncIterator, Literal

import anyio.to_thread
import jwt
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from townhall import __version__
from townhall.service.core import Services
from townhall.web import api, dashboard, errors, live, mod_api, ops_api, widget_bundle
from townhall.web.middleware import BodyLimit, Cors, InternalErrors, SecurityHeaders, Utf8Path


def _templates() -> Environment:
    return Environment(loader=PackageLoader("townhall.web", "templates"), autoescape=select_autoescape(["html"]))


def _asset(name: str) -> bytes | None:
    path = resources.files("townhall.web") / "static" / name
    return path.read_bytes() if path.is_file() else None


def _widget() -> bytes | None:
    """The reader's widget, concatenated from its parts (townhall/web/widget_bundle.py); None without them."""
    try:
        return widget_bundle.bundle()
    except FileNotFoundError:
        return None


def _script(body: bytes | None) -> Response:
    """A script that publishers' pages load from Townhall (the widget, the counts), as their pages load it."""
    if body is None:
        return Response("/* widget not built */", media_type="application/javascript", status_code=404)
    # charset: a publisher's page may be ISO-8859-1, and the browser would read the widget's text that way
    return Response(body, media_type="application/javascript; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


def create_asgi(svc: Services) -> FastAPI:
    """The web application over ``svc``. Its policies are loaded first: a wrong policy file raises
    :class:`~townhall.policy.PolicyError` here (after releasing what ``svc`` started), so no server runs on it."""
    try:
        svc.load_policies()
    except Exception:
        _release(svc)
        raise

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if svc.settings.worker_threads > 0:  # fewer threads contend less for the GIL and the writer lock
            anyio.to_thread.current_default_thread_limiter().total_tokens = svc.settings.worker_threads
        if svc.trolls is not None:  # reads the detector's horizon back in the background, and the schedule
            svc.trolls.start(svc.settings.troll_interval_seconds)
        yield
        if svc.trolls is not None:
            svc.trolls.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Townhall",
        version=__version__,
        description="Comments under your articles, with house rules enforced automatically, evenly and in the open.",
        # No Swagger UI or ReDoc pages: both load scripts from a CDN, which neither an offline installation nor
        # the Content-Security-Policy (script-src 'self') allows. The schema itself is at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    app.state.templates = _templates()
    app.state.live_streams = live.LiveStreams(svc.settings.live_streams_per_client)
    errors.install(app)
    app.include_router(api.router)
    app.include_router(live.router)
    app.include_router(mod_api.router)
    app.include_router(dashboard.router)
    app.include_router(ops_api.router)

    @app.get("/healthz", summary="Liveness and database check",
             responses={503: {"description": "The database is down: `{\"status\": \"unavailable\", \"database\": \"down\"}` "
                                             "(not the error envelope: what uptime monitors read)"}})
    def healthz() -> JSONResponse:
        try:
            svc.db.ping()
        except Exception:  # noqa: BLE001 - health must answer, not raise
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__, "database": svc.db.dialect})

    # HEAD too (outside the schema: one operation per path there): uptime monitors (UptimeRobot's default) and
    # link checkers ask with HEAD, and read a 405 as "down"
    app.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)

    widget = _widget()  # its parts read and joined once, for this application
    counts = _asset("count.js")  # read once too

    @app.api_route("/embed.js", methods=["GET", "HEAD"], include_in_schema=False)
    def embed_js() -> Response:
        return _script(widget)

    @app.api_route("/count.js", methods=["GET", "HEAD"], include_in_schema=False)
    def count_js() -> Response:  # comment counts for a publisher's listing pages (docs/widget.md)
        return _script(counts)

    # Browsers ask every page's origin for an icon; Townhall has none, and a 404 is logged as an error in the
    # console of every dashboard and demo page. 204: there is nothing, and that is fine.
    @app.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(packages=[("townhall.web", "static")]), name="static")

    if svc.settings.demo:
        @app.get("/demo", response_class=HTMLResponse, include_in_schema=False)
        def demo(request: Request) -> HTMLResponse:
            return HTMLResponse(_render_demo(request, svc))

        @app.get("/demo/token", include_in_schema=False)
        def demo_token(name: str = Query("Demo reader", min_length=1, max_length=80),
                       role: Literal["reader"] = "reader", supporter: bool = False) -> JSONResponse:
            """Plays the publisher's part on the demo page: signs a reader JWT with the default site's secret.
            Never a moderator token: anyone can call this, and it signs for the default site."""
            return JSONResponse({"token": demo_jwt(svc, name, role, supporter)})

        @app.get("/", include_in_schema=False)
        def root() -> Response:
            return Response(status_code=307, headers={"Location": "/demo"})

    # The last added is the outermost: security headers and CORS also wrap BodyLimit's own 413/408 answers, and
    # InternalErrors' 500 envelope (an unhandled exception would otherwise be answered outside them all).
    app.add_middleware(InternalErrors)
    app.add_middleware(Utf8Path)  # inside CORS and the security headers: its refusal carries them
    app.add_middleware(BodyLimit, max_bytes=svc.settings.max_body_bytes, timeout=svc.settings.body_timeout_seconds)
    app.add_middleware(Cors, allow_origins=["*"], allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                       allow_headers=["authorization", "content-type", "x-townhall-site"], max_age=600)
    app.add_middleware(SecurityHeaders)
    return app


def _release(svc: Services) -> None:
    """Stop what building the services started (job queue, notification relay, troll watch) and close the
    database, for an application that will not be built."""
    if svc.operations is not None:
        svc.operations.stop()
    if svc.trolls is not None:
        svc.trolls.stop()
    svc.db.dispose()


def demo_jwt(svc: Services, name: str, role: str, supporter: bool) -> str:
    site = svc.site(svc.settings.default_site)
    assert site is not None
    now = int(svc.now().timestamp())
    subject = "demo-" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:12]
    claims = {"sub": subject, "name": name.strip(), "role": role, "supporter": supporter, "iat": now, "exp": now + 86400}
    return jwt.encode(claims, site["sso_secret"], algorithm="HS256")


def _render_demo(request: Request, svc: Services) -> str:
    text = (resources.files("townhall.web") / "templates" / "demo_article.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    paragraphs = [p for p in lines if p]
    banner, title, standfirst, body = paragraphs[0], paragraphs[1], paragraphs[2], paragraphs[3:]
    template = request.app.state.templates.get_template("demo.html")
    context: dict[str, Any] = {
        "site": svc.settings.default_site, "site_name": svc.settings.site_name, "banner": banner, "title": title,
        "standfirst": standfirst, "paragraphs": body, "thread_id": "russia-syria-drawdown",
    }
    return str(template.render(**context))
