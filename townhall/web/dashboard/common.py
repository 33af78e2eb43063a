"""Shared plumbing of the dashboard's routes: templates, the session guard for pages and actions
(CSRF checked on every state change), and error pages."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any, Callable, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from townhall.service import moderators
from townhall.service.core import Services, as_utc
from townhall.service.dashboard import utc
from townhall.service.errors import Forbidden, ServiceError
from townhall.web.dashboard import charts
from townhall.web.dashboard.session import CSRF_FIELD, Session, csrf_ok, read

F = TypeVar("F", bound=Callable[..., Any])


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _ago(value: Any, now: datetime) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    seconds = (now - utc(value)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"


def _when(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC"


def environment(request: Request) -> Environment:
    """The dashboard's Jinja environment, built once per application."""
    env = getattr(request.app.state, "dashboard_templates", None)
    if env is None:
        env = Environment(loader=PackageLoader("townhall.web", "templates"), autoescape=select_autoescape(["html"]))
        env.filters["when"] = _when
        env.filters["pathpart"] = lambda v: quote(str(v), safe="")  # a thread id as one path segment (its "/" too)
        env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, default=str, ensure_ascii=False)
        env.globals["charts"] = charts
        for name in env.list_templates(filter_func=lambda n: n.startswith("admin/")):
            env.get_template(name)  # compile every dashboard page once, not on a moderator's first visit
        request.app.state.dashboard_templates = env
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    svc = services(request)
    session: Session | None = getattr(request.state, "dash_session", None)
    now = svc.now()
    sites = moderators.visible_sites(svc, session.actor) if session else []
    site = context.pop("site", None) or request.query_params.get("site") or (sites[0]["id"] if sites else svc.settings.default_site)
    # the site's name for headings ("House rules for Tagesblatt"), its id where the moderator sees no such site
    site_name = next((str(s["name"]) for s in sites if s["id"] == site and s["name"]), site)
    base = {"session": session, "csrf": session.csrf if session else "", "sites": sites, "site": site, "now": now,
            "site_name": site_name,
            "ago": lambda v: _ago(v, now), "request": request,
            "is_admin": bool(session and session.actor.sites is None)}
    html = environment(request).get_template(name).render(**base, **context)
    return HTMLResponse(html, status_code=status)


def wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" or request.headers.get("x-requested-with") == "fetch"


def error_response(request: Request, exc: ServiceError) -> Response:
    if request.headers.get("x-requested-with") == "fetch" or request.url.path.endswith((".jsonl", ".csv")):
        return JSONResponse({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}, status_code=exc.status)
    if request.headers.get("hx-request") == "true":
        return HTMLResponse(Markup('<p class="error" role="alert">{}</p>').format(exc.message), status_code=exc.status)
    return render(request, "admin/error.html", status=exc.status, message=exc.message, code=exc.code)


def _request_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request:
    request = kwargs.get("request") or next((a for a in args if isinstance(a, Request)), None)
    assert isinstance(request, Request), "dashboard routes take the request"
    return request


def _guarded(fn: F, refuse: Callable[[Request, Session | None, dict[str, Any]], Response | None]) -> F:
    """Run a dashboard route for a signed-in moderator, unless ``refuse`` answers instead; service errors
    become an error page (or fragment)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        request = _request_of(args, kwargs)
        session = read(request, services(request))
        refused = refuse(request, session, kwargs)
        if refused is not None:
            return refused
        assert session is not None
        request.state.moderator = session.actor
        request.state.dash_session = session
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            return error_response(request, exc)

    return wrapper  # type: ignore[return-value]


def _to_sign_in(request: Request, session: Session | None, _kwargs: dict[str, Any]) -> Response | None:
    if session is not None:
        return None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": "/admin/login"})
    return RedirectResponse(f"/admin/login?next={_quote(target)}", status_code=303)


def _refuse_action(request: Request, session: Session | None, kwargs: dict[str, Any]) -> Response | None:
    if session is None:
        return error_response(request, _Unauth())
    if not csrf_ok(request, session, kwargs.get(CSRF_FIELD)):
        request.state.dash_session = session
        return error_response(request, Forbidden("The form has expired or did not come from this dashboard; reload the page.",
                                                 code="csrf_failed"))
    return None


def page(fn: F) -> F:
    """A page: needs a session (else to the sign-in page); service errors become an error page."""
    return _guarded(fn, _to_sign_in)


def action(fn: F) -> F:
    """A state change: needs a session and the CSRF token (form field or X-CSRF-Token header)."""
    return _guarded(fn, _refuse_action)


class _Unauth(ServiceError):
    status = 401
    code = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("Your session has ended; sign in again.")


def _quote(text: str) -> str:
    return quote(text, safe="")


def session_of(request: Request) -> Session:
    session: Session = request.state.dash_session
    return session


def done(request: Request, payload: dict[str, Any], back: str) -> Response:
    """Answer an action: JSON for the dashboard's script, a redirect for a plain form post."""
    if request.headers.get("x-requested-with") == "fetch":
        return JSONResponse({"ok": True, **payload})
    return RedirectResponse(back, status_code=303)


def safe_next(target: str | None) -> str:
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"
