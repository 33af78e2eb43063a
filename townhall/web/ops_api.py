"""Readers' own data and e-mail: notification settings, the ignore list, their own comments, the unsubscribe link,
data export and erasure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from townhall.service import ignores, mail, my_comments, privacy
from townhall.service.errors import Invalid
from townhall.service.mail import MailTopic
from townhall.web.api import rate_limit, services
from townhall.web.auth import check_origin, require_reader
from townhall.web.inputs import Id, StrictBody
from townhall.web.models import MyCommentsOut, refusals

# Any answer may be a refusal in the one error envelope: 422 (a value not valid) and 503 (the database busy or down).
router = APIRouter(responses=refusals(422, 503))


class Notifications(StrictBody):
    replies: bool = Field(description="E-mail me when someone replies to my comments.")


@router.get("/api/v1/me/notifications", summary="Your e-mail notification settings", responses=refusals(401))
def get_notifications(request: Request) -> dict[str, Any]:
    svc = services(request)
    return mail.notification_settings(svc, require_reader(request, svc))


@router.put("/api/v1/me/notifications", summary="Opt in to (or out of) e-mail about replies to your comments",
            dependencies=[Depends(check_origin)], responses=refusals(401, 403, 413, 429))
def put_notifications(request: Request, body: Notifications) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    return mail.set_reply_notifications(svc, ident, body.replies)


# --- the ignore list (townhall.service.ignores): private, never audited ----------------------------------------
_IGNORE_ERRORS = refusals(401, 403, 404, 422, 429, said={
    403: "`origin_not_allowed` (a page the site does not name); to add: `guests_not_allowed` (a guest, once the site "
         "takes no guests)",
    404: "No such reader on this site (also one who never had a comment published, or an erased one)",
    422: "`cannot_ignore_self`, `cannot_ignore_moderator`, or `ignore_list_full` (at most 1,000)",
})


class IgnoredReaderOut(BaseModel):
    id: int = Field(description="The reader's account id (a comment's `author.id`).")
    name: str = Field(description="Their display name.")
    since: str = Field(description="When you started ignoring them (ISO 8601, UTC).")


class IgnoredOut(BaseModel):
    ignored: list[IgnoredReaderOut] = Field(description="The readers you ignore, the latest first.")
    limit: int = Field(description="How many readers the list holds at most.")


class IgnoreOut(BaseModel):
    account_id: int
    name: str = Field(description="The reader's display name.")
    ignored: bool = Field(description="Always true: the reader is on your list.")


@router.get("/api/v1/me/ignored", summary="The readers whose comments you chose not to see (ids and names)",
            response_model=IgnoredOut, responses=refusals(401))
def get_ignored(request: Request) -> dict[str, Any]:
    svc = services(request)
    return ignores.list_ignored(svc, require_reader(request, svc))


@router.put("/api/v1/me/ignored/{account_id}", summary="Ignore a reader: their comments are no longer shown to you",
            dependencies=[Depends(check_origin)], responses=_IGNORE_ERRORS, response_model=IgnoreOut)
def put_ignored(request: Request, account_id: Id) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    return ignores.ignore(svc, ident, account_id)


@router.delete("/api/v1/me/ignored/{account_id}", status_code=204, summary="Stop ignoring a reader",
               dependencies=[Depends(check_origin)], responses={**refusals(401, 403, 429, said={403: "`origin_not_allowed` (a page the site does not name)"}),
                                                                  404: _IGNORE_ERRORS[404]})
def delete_ignored(request: Request, account_id: Id) -> Response:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    ignores.unignore(svc, ident, account_id)
    return Response(status_code=204)


# --- the reader's own comments (townhall.service.my_comments): private, read only ------------------------------
@router.get("/api/v1/me/comments", summary="Your own comments on this site, newest first (published, held, rejected, "
            "removed; not those you deleted)", response_model=MyCommentsOut,
            responses=refusals(401, 422, said={401: "Not signed in (`unauthenticated`, `token_expired`)",
                                               422: "`invalid`: `before` is not a cursor this server gave out, or "
                                                    "`limit` is out of range"}))
def get_my_comments(request: Request,
                    before: str | None = Query(None, max_length=200, description="The `next` of the previous page."),
                    limit: int = Query(my_comments.DEFAULT_LIMIT, ge=1, le=my_comments.MAX_LIMIT)) -> dict[str, Any]:
    svc = services(request)
    return my_comments.my_comments(svc, require_reader(request, svc), before=before, limit=limit)


# --- unsubscribe: the link in an e-mail, and RFC 8058 one-click -------------------------------------------
# Opening the link (GET) changes nothing: mail scanners (Outlook Safe Links, corporate gateways) fetch every link
# in a message, so it shows what would stop and a button; the button's POST, or a mail client's one-click POST
# (RFC 8058: the token in the query, ``List-Unsubscribe=One-Click`` in the body), stops it. Neither needs a
# sign-in or a cookie, and neither is subject to the site's allowed origins (``check_origin``): the unguessable
# token is the proof, and a webmail's one-click comes from the webmail's own origin. Neither is rate limited per
# network either: mail providers send one-click POSTs for many readers from a few addresses.
_WHAT = {MailTopic.REPLIES: "e-mails about replies to your comments"}
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # the token is in the URL
_TOKEN_MAX = 2000


def _enveloped(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """``responses`` as JSON on a route whose answers are pages (``response_class=HTMLResponse``), where FastAPI would
    describe a model's answer as HTML: the error envelope is JSON whatever the route (ErrorOut is in the schema's
    components, as the other routes name it)."""
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    return {status: {"description": answer["description"], "content": ref} for status, answer in responses.items()}


_LINK_REFUSED = {400: {"description": "The link does not work (a page that says why)", "content": {"text/html": {}}},
                 **_enveloped(refusals(422, 503))}


def _page(request: Request, title: str, text: str, *, token: str | None = None, status: int = 200) -> HTMLResponse:
    """A plain page (escaped by the template); with ``token``, a button that POSTs it to stop the e-mails."""
    html = request.app.state.templates.get_template("unsubscribe.html").render(title=title, text=text, token=token)
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


@router.get("/unsubscribe", response_class=HTMLResponse,
            summary="Ask to confirm stopping e-mails (signed link from an e-mail; no sign-in; changes nothing)",
            responses=_LINK_REFUSED)
def unsubscribe_page(request: Request, token: str = Query(..., max_length=_TOKEN_MAX)) -> HTMLResponse:
    try:
        found = mail.unsubscribe_preview(services(request), token)
    except Invalid as exc:
        return _page(request, "This link does not work", exc.message, status=400)
    if not found.receiving:
        return _page(request, "Already unsubscribed", f"{found.address or 'This address'} gets no {_WHAT[found.topic]} "
                     f"from {found.site_name}: there is nothing to stop.")
    to = f" to {found.address}" if found.address else ""
    return _page(request, "Unsubscribe?", f"Stop {_WHAT[found.topic]} from {found.site_name}{to}? Nothing changes until "
                 "you press the button.", token=token)


@router.post("/unsubscribe", response_class=HTMLResponse,
             summary="Stop e-mails: the confirmation page's button (form field token) or RFC 8058 one-click (token in the query)",
             responses={**_LINK_REFUSED, **_enveloped(refusals(422, said={422: "`invalid`: no token, or (one-click) a "
                                                                               "token that does not work"}))})
def unsubscribe(request: Request, form_token: str | None = Form(None, alias="token", max_length=_TOKEN_MAX),
                query_token: str | None = Query(None, alias="token", max_length=_TOKEN_MAX)) -> HTMLResponse:
    """Idempotent. A browser's form post gets a page either way; a bad token in the query (a mail client's
    one-click, which reads only the status) gets the error envelope."""
    token = form_token or query_token
    if not token:
        raise Invalid("Send the token from the unsubscribe link.", {"field": "token"})
    try:
        found = mail.unsubscribe(services(request), token)
    except Invalid as exc:
        if form_token:
            return _page(request, "This link does not work", exc.message, status=400)
        raise
    return _page(request, "Unsubscribed", f"You will no longer get {_WHAT[found.topic]} from {found.site_name}"
                 + (f" at {found.address}." if found.address else "."))


@router.get("/api/v1/me/export", summary="Everything this site holds about you, as JSON", responses=refusals(401))
def export_me(request: Request) -> dict[str, Any]:
    svc = services(request)
    return privacy.export_account(svc, require_reader(request, svc).account_id)


@router.delete("/api/v1/me", summary="Erase your account: personal data removed, comments removed or anonymised per site policy",
               dependencies=[Depends(check_origin)], responses=refusals(401, 403, 429))
def erase_me(request: Request) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)  # a write like any other: after an erasure the same token signs in afresh
    return privacy.erase_account(svc, ident.account_id, actor=f"account:{ident.account_id}")
