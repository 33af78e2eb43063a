"""Readers' own data and e-mail: notification settings, the unsubscribe link, data export and erasure."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from townhall.service import mail, privacy
from townhall.service.errors import Invalid
from townhall.web.api import rate_limit, services
from townhall.web.auth import check_origin, require_reader
from townhall.web.inputs import StrictBody

router = APIRouter()


class Notifications(StrictBody):
    replies: bool = Field(description="E-mail me when someone replies to my comments.")


@router.get("/api/v1/me/notifications", summary="Your e-mail notification settings")
def get_notifications(request: Request) -> dict[str, Any]:
    svc = services(request)
    return mail.notification_settings(svc, require_reader(request, svc))


@router.put("/api/v1/me/notifications", summary="Opt in to (or out of) e-mail about replies to your comments",
            dependencies=[Depends(check_origin)])
def put_notifications(request: Request, body: Notifications) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    return mail.set_reply_notifications(svc, ident, body.replies)


def _page(title: str, text: str, status: int = 200) -> HTMLResponse:
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{escape(title)}</title><body style='font-family:system-ui;max-width:36rem;margin:3rem auto'>"
            f"<h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>")
    return HTMLResponse(body, status_code=status)


@router.get("/unsubscribe", response_class=HTMLResponse, summary="Stop reply e-mails (signed link from an e-mail; no sign-in)")
def unsubscribe_page(request: Request, token: str = Query(..., max_length=2000)) -> HTMLResponse:
    try:
        mail.unsubscribe(services(request), token)
    except Invalid as exc:
        return _page("This link does not work", exc.message, 400)
    return _page("Unsubscribed", "You will no longer get e-mails about replies to your comments.")


@router.post("/unsubscribe", include_in_schema=False)
def unsubscribe_one_click(request: Request, token: str = Query(..., max_length=2000)) -> Response:
    mail.unsubscribe(services(request), token)  # RFC 8058 one-click from the List-Unsubscribe header
    return Response(status_code=204)


@router.get("/api/v1/me/export", summary="Everything this site holds about you, as JSON")
def export_me(request: Request) -> dict[str, Any]:
    svc = services(request)
    return privacy.export_account(svc, require_reader(request, svc).account_id)


@router.delete("/api/v1/me", summary="Erase your account: personal data removed, comments removed or anonymised per site policy",
               dependencies=[Depends(check_origin)])
def erase_me(request: Request) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    return privacy.erase_account(svc, ident.account_id, actor=f"account:{ident.account_id}")
