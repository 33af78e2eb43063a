"""Dashboard routes: the house rules with a "try it" box, the numbers page (SVG and CSV), the audit log
browser (JSON Lines export), and the admin's moderator and site management."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from townhall.service import dashboard as dash
from townhall.service import moderators
from townhall.service import stats as svc_stats
from townhall.service.errors import Invalid
from townhall.store import dashboard as store_dash
from townhall.web.dashboard.common import action, done, page, render, services, session_of

router = APIRouter(prefix="/admin", include_in_schema=False)


def _site(request: Request, site: str | None) -> str:
    return site or services(request).settings.default_site


# --- policy --------------------------------------------------------------------------------------------
@router.get("/policy")
@page
def policy(request: Request, site: str | None = Query(None, max_length=64)) -> Response:
    site_id = _site(request, site)
    data = dash.policy_view(services(request), session_of(request).actor, site_id)
    return render(request, "admin/policy.html", **data)


@router.post("/policy/try")
@action
def try_it(request: Request, text: str = Form("", max_length=20000), site: str | None = Form(None, max_length=64),
           csrf_token: str = Form("")) -> Response:
    site_id = _site(request, site)
    result = dash.try_policy(services(request), session_of(request).actor, site_id, text)
    if request.headers.get("hx-request") == "true":
        return render(request, "admin/_tryit.html", site=site_id, result=result)
    return render(request, "admin/policy.html", result=result, text=text,
                  **dash.policy_view(services(request), session_of(request).actor, site_id))


# --- numbers -------------------------------------------------------------------------------------------
@router.get("/numbers")
@page
def numbers(request: Request, site: str | None = Query(None, max_length=64), days: int = Query(30, ge=1, le=365)) -> Response:
    data = svc_stats.numbers(services(request), session_of(request).actor, _site(request, site), days)
    return render(request, "admin/numbers.html", data=data, days=days, site=data["site"])


@router.get("/numbers.csv")
@page
def numbers_csv(request: Request, site: str | None = Query(None, max_length=64), days: int = Query(30, ge=1, le=365)) -> Response:
    data = svc_stats.numbers(services(request), session_of(request).actor, _site(request, site), days)
    name = f"townhall-{data['site']}-numbers-{svc_stats.timestamp(data['now'])}.csv"
    return Response(svc_stats.to_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- audit log -----------------------------------------------------------------------------------------
def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise Invalid("Dates are YYYY-MM-DD.", {"value": value}) from exc
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    return start + timedelta(days=1) if end else start


def _audit_rows(request: Request, site: str | None, actor: str | None, account: int | None, action_: str | None,
                since: str | None, until: str | None, before: int | None, limit: int) -> tuple[str, list[dict[str, object]]]:
    who = session_of(request).actor
    site_id = _site(request, site)
    who.require_site(site_id)
    with services(request).db.read() as conn:
        rows = store_dash.audit_page(conn, site_ids=[site_id], actor=actor or None, action_prefix=action_ or None,
                                     subject_type="account" if account else None,
                                     subject_id=str(account) if account else None, since=_day(since),
                                     until=_day(until, end=True), before_id=before, limit=limit)
    return site_id, [dict(r) for r in rows]


@router.get("/audit")
@page
def audit(request: Request, site: str | None = Query(None, max_length=64), actor: str | None = Query(None, max_length=300),
          account: int | None = Query(None, ge=1), action: str | None = Query(None, max_length=64),
          since: str | None = Query(None, max_length=10), until: str | None = Query(None, max_length=10),
          before: int | None = Query(None, ge=1)) -> Response:
    site_id, rows = _audit_rows(request, site, actor, account, action, since, until, before, 100)
    with services(request).db.read() as conn:
        actors = store_dash.audit_actors(conn, [site_id])
    filters = {"actor": actor or "", "account": account or "", "action": action or "", "since": since or "", "until": until or ""}
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "admin/audit.html", site=site_id, rows=rows, actors=actors, filters=filters, query=query,
                  next_before=rows[-1]["id"] if len(rows) == 100 else None)


@router.get("/audit.jsonl")
@page
def audit_export(request: Request, site: str | None = Query(None, max_length=64), actor: str | None = Query(None, max_length=300),
                 account: int | None = Query(None, ge=1), action: str | None = Query(None, max_length=64),
                 since: str | None = Query(None, max_length=10), until: str | None = Query(None, max_length=10)) -> Response:
    site_id, rows = _audit_rows(request, site, actor, account, action, since, until, None, 100_000)
    body = "".join(json.dumps({**r, "at": r["at"].isoformat() if hasattr(r["at"], "isoformat") else r["at"]},
                              default=str, ensure_ascii=False) + "\n" for r in reversed(rows))
    return Response(body, media_type="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="townhall-{site_id}-audit.jsonl"'})


# --- moderators and sites (installation admins) ----------------------------------------------------------
@router.get("/moderators")
@page
def moderators_page(request: Request) -> Response:
    svc = services(request)
    actor = session_of(request).actor
    return render(request, "admin/moderators.html", moderators=moderators.list_moderators(svc, actor),
                  all_sites=moderators.visible_sites(svc, actor), created_secret=None)


@router.post("/moderators")
@action
def moderator_add(request: Request, email: str = Form("", max_length=300), password: str = Form("", max_length=1000),
                  role: str = Form("moderator"), sites: list[str] = Form([]), csrf_token: str = Form("")) -> Response:
    actor = session_of(request).actor
    moderators.list_moderators(services(request), actor)  # admins only
    moderators.add_moderator(services(request), email, password, admin=role == "admin", sites=sites, by=actor)
    return done(request, {}, "/admin/moderators")


@router.post("/moderators/{moderator_id}")
@action
def moderator_update(request: Request, moderator_id: int, role: str = Form("moderator"), sites: list[str] = Form([]),
                     csrf_token: str = Form("")) -> Response:
    moderators.update_moderator(services(request), session_of(request).actor, moderator_id, role=role, sites=sites)
    return done(request, {}, "/admin/moderators")


@router.post("/moderators/{moderator_id}/remove")
@action
def moderator_remove(request: Request, moderator_id: int, csrf_token: str = Form("")) -> Response:
    moderators.remove_moderator(services(request), session_of(request).actor, moderator_id)
    return done(request, {}, "/admin/moderators")


@router.post("/sites")
@action
def site_add(request: Request, site_id: str = Form("", max_length=64), name: str = Form("", max_length=200),
             allow_guests: str = Form(""), origins: str = Form("", max_length=2000), csrf_token: str = Form("")) -> Response:
    svc = services(request)
    actor = session_of(request).actor
    secret = moderators.add_site(svc, actor, site_id, name, allow_guests=allow_guests == "yes", origins=origins.split())
    return render(request, "admin/moderators.html", moderators=moderators.list_moderators(svc, actor),
                  all_sites=moderators.visible_sites(svc, actor), created_secret={"site": site_id.strip().lower(), "secret": secret})


@router.post("/sites/{site_id}")
@action
def site_update(request: Request, site_id: str, name: str = Form("", max_length=200), allow_guests: str = Form(""),
                origins: str = Form("", max_length=2000), csrf_token: str = Form("")) -> Response:
    moderators.update_site(services(request), session_of(request).actor, site_id, name=name,
                           allow_guests=allow_guests == "yes", origins=origins.split())
    return done(request, {}, "/admin/moderators")


@router.get("/sites")
@page
def sites_page(request: Request) -> Response:
    return RedirectResponse("/admin/moderators", status_code=303)
