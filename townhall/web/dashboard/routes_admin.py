"""Dashboard routes: the house rules with a "try it" box, the numbers page (SVG and CSV), the audit log
browser (JSON Lines export), and the admin's moderator and site management."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from townhall.service import audit as svc_audit
from townhall.service import dashboard as dash
from townhall.service import moderators
from townhall.service import stats as svc_stats
from townhall.service.errors import Invalid
from townhall.web.dashboard.common import action, done, error_response, page, render, services, session_of
from townhall.web.inputs import MAX_ID, FilterId, FormText, Id, SafeStr, SiteQuery

router = APIRouter(prefix="/admin", include_in_schema=False)


def _site(request: Request, site: str | None) -> str:
    return site or services(request).settings.default_site


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _attachment(name: str) -> dict[str, str]:
    """The ``Content-Disposition`` of a download named ``name``. The name holds the ``?site=`` of the link, which an
    installation admin's session takes for any text: every character outside ``A-Z a-z 0-9 . _ -`` becomes ``_``,
    so that neither a line break (a header the server cannot send: no answer) nor a quote (parameters of the
    link's choosing: ``filename*=``) reaches the header."""
    return {"Content-Disposition": f'attachment; filename="{_UNSAFE_IN_NAME.sub("_", name)}"'}


# --- policy --------------------------------------------------------------------------------------------
@router.get("/policy")
@page
def policy(request: Request, site: SiteQuery = None) -> Response:
    site_id = _site(request, site)
    data = dash.policy_view(services(request), session_of(request).actor, site_id)
    return render(request, "admin/policy.html", **data)


@router.post("/policy/try")
@action
def try_it(request: Request, text: Annotated[SafeStr, Form(max_length=20000)] = "",
           site: Annotated[SafeStr | None, Form(max_length=64)] = None, csrf_token: FormText = "") -> Response:
    site_id = _site(request, site)
    result = dash.try_policy(services(request), session_of(request).actor, site_id, text)
    if request.headers.get("hx-request") == "true":
        return render(request, "admin/_tryit.html", site=site_id, result=result)
    return render(request, "admin/policy.html", result=result, text=text,
                  **dash.policy_view(services(request), session_of(request).actor, site_id))


# --- numbers -------------------------------------------------------------------------------------------
@router.get("/numbers")
@page
def numbers(request: Request, site: SiteQuery = None, days: int = Query(30, ge=1, le=365)) -> Response:
    data = svc_stats.numbers(services(request), session_of(request).actor, _site(request, site), days)
    return render(request, "admin/numbers.html", data=data, days=days, site=data["site"])


@router.get("/numbers.csv")
@page
def numbers_csv(request: Request, site: SiteQuery = None, days: int = Query(30, ge=1, le=365)) -> Response:
    data = svc_stats.numbers(services(request), session_of(request).actor, _site(request, site), days)
    name = f"townhall-{data['site']}-numbers-{svc_stats.timestamp(data['now'])}.csv"
    return Response(svc_stats.to_csv(data), media_type="text/csv; charset=utf-8", headers=_attachment(name))


# --- audit log -----------------------------------------------------------------------------------------
@router.get("/audit")
@page
def audit(request: Request, site: SiteQuery = None, actor: SafeStr | None = Query(None, max_length=300),
          account: FilterId = None, action: SafeStr | None = Query(None, max_length=64),
          rule: SafeStr | None = Query(None, max_length=100), since: SafeStr | None = Query(None, max_length=10),
          until: SafeStr | None = Query(None, max_length=10), before: int | None = Query(None, ge=1, le=MAX_ID)) -> Response:
    svc = services(request)
    who = session_of(request).actor
    site_id = _site(request, site)
    filters = svc_audit.AuditFilter.parse(actor, account, action, rule, since, until)
    rows, next_before = svc_audit.browse(svc, who, site_id, filters, before_id=before)
    return render(request, "admin/audit.html", site=site_id, rows=rows, actors=svc_audit.actors(svc, who, site_id),
                  filters=filters, query=urlencode(filters.query()), next_before=next_before)


@router.get("/audit.jsonl")
@page
def audit_export(request: Request, site: SiteQuery = None, actor: SafeStr | None = Query(None, max_length=300),
                 account: FilterId = None, action: SafeStr | None = Query(None, max_length=64),
                 rule: SafeStr | None = Query(None, max_length=100), since: SafeStr | None = Query(None, max_length=10),
                 until: SafeStr | None = Query(None, max_length=10)) -> Response:
    site_id = _site(request, site)
    filters = svc_audit.AuditFilter.parse(actor, account, action, rule, since, until)
    body = svc_audit.export_jsonl(services(request), session_of(request).actor, site_id, filters)
    return Response(body, media_type="application/x-ndjson", headers=_attachment(f"townhall-{site_id}-audit.jsonl"))


# --- moderators and sites (installation admins) ----------------------------------------------------------
def _moderators_page(request: Request, status: int = 200, **context: object) -> Response:
    """The Moderators and sites page; ``context``: what a form just did (``created_secret``; ``saved``: the id of
    the site just saved) or why a site's form was refused (``site_error``: ``site``, the site whose form it was or
    None for the new-site form, ``form``, the values sent, and ``origins``, what to say beside that field)."""
    svc = services(request)
    actor = session_of(request).actor
    return render(request, "admin/moderators.html", status=status, moderators=moderators.list_moderators(svc, actor),
                  all_sites=moderators.visible_sites(svc, actor), **{"created_secret": None, **context})


def _site_refused(request: Request, exc: Invalid, site_id: str | None, sent: dict[str, str]) -> Response:
    """A site form's refused allowed origins: the page again (422) with the error beside that form's field and the
    values as sent, so the admin corrects the entry named; the dashboard's script (and any other refusal): the
    error as elsewhere."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    if field != "origins" or request.headers.get("x-requested-with") == "fetch":
        return error_response(request, exc)
    return _moderators_page(request, 422, site_error={"site": site_id, "form": sent, "origins": exc.message})


@router.get("/moderators")
@page
def moderators_page(request: Request, saved: SafeStr | None = Query(None, max_length=64)) -> Response:
    """``?saved=SITE``: where a site's form sends the admin back; its row says "Saved."."""
    return _moderators_page(request, saved=saved)


@router.post("/moderators")
@action
def moderator_add(request: Request, email: Annotated[SafeStr, Form(max_length=300)] = "",
                  password: str = Form("", max_length=1000), role: FormText = "moderator",
                  sites: Annotated[list[SafeStr], Form()] = [], csrf_token: FormText = "") -> Response:
    moderators.add_moderator(services(request), email, password, admin=role == "admin", sites=sites, by=session_of(request).actor)
    return done(request, {}, "/admin/moderators")


@router.post("/moderators/{moderator_id}")
@action
def moderator_update(request: Request, moderator_id: Id, role: FormText = "moderator",
                     sites: Annotated[list[SafeStr], Form()] = [], csrf_token: FormText = "") -> Response:
    moderators.update_moderator(services(request), session_of(request).actor, moderator_id, role=role, sites=sites)
    return done(request, {}, "/admin/moderators")


@router.post("/moderators/{moderator_id}/remove")
@action
def moderator_remove(request: Request, moderator_id: Id, confirm: FormText = "", csrf_token: FormText = "") -> Response:
    """Remove a moderator (their sessions end), once confirmed: the list's "Remove" button opens a page that
    asks first (no script needed); only that page's form, with ``confirm=yes``, removes."""
    svc = services(request)
    actor = session_of(request).actor
    if confirm != "yes":
        target = moderators.get_moderator(svc, actor, moderator_id)
        if request.headers.get("x-requested-with") == "fetch":
            raise Invalid("Confirm the removal (confirm=yes).", {"field": "confirm"})
        return render(request, "admin/confirm_remove.html", moderator=target)
    moderators.remove_moderator(svc, actor, moderator_id)
    return done(request, {}, "/admin/moderators")


@router.post("/sites")
@action
def site_add(request: Request, site_id: Annotated[SafeStr, Form(max_length=64)] = "",
             name: Annotated[SafeStr, Form(max_length=200)] = "", allow_guests: FormText = "",
             origins: Annotated[SafeStr, Form(max_length=2000)] = "", csrf_token: FormText = "") -> Response:
    try:
        secret = moderators.add_site(services(request), session_of(request).actor, site_id, name,
                                     allow_guests=allow_guests == "yes", origins=origins.split())
    except Invalid as exc:
        sent = {"site_id": site_id, "name": name, "allow_guests": allow_guests, "origins": origins}
        return _site_refused(request, exc, None, sent)
    return _moderators_page(request, created_secret={"site": site_id.strip().lower(), "secret": secret})


@router.post("/sites/{site_id}")
@action
def site_update(request: Request, site_id: SafeStr, name: Annotated[SafeStr, Form(max_length=200)] = "",
                allow_guests: FormText = "", origins: Annotated[SafeStr, Form(max_length=2000)] = "",
                threads: Annotated[Literal["open", "registered", ""], Form()] = "", csrf_token: FormText = "") -> Response:
    """Save a site's settings; a plain form goes back to the page, where the site's row says "Saved.".
    ``threads``: ``open`` (a first comment creates an article's thread) or ``registered`` (only articles the
    publisher registered take comments); left out, as it is."""
    try:
        moderators.update_site(services(request), session_of(request).actor, site_id, name=name,
                               allow_guests=allow_guests == "yes", origins=origins.split(),
                               auto_create_threads={"open": True, "registered": False}.get(threads))
    except Invalid as exc:
        return _site_refused(request, exc, site_id, {"name": name, "allow_guests": allow_guests, "origins": origins,
                                                     "threads": threads})
    return done(request, {}, f"/admin/moderators?{urlencode({'saved': site_id})}#site-{quote(site_id, safe='')}")


@router.get("/sites")
@page
def sites_page(request: Request) -> Response:
    return RedirectResponse("/admin/moderators", status_code=303)
