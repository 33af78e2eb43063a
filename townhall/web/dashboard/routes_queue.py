"""Dashboard routes: sign-in and sign-out (local and SSO), the queues, actions on items, the account
page and the troll-cluster page."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from townhall.service import accounts as acct
from townhall.service import appeals as svc_appeals
from townhall.service import clusters, enforcement, moderators
from townhall.service import dashboard as dash
from townhall.service import featured as svc_featured
from townhall.service import moderation as svc_mod
from townhall.service.comments import MAX_THREAD_ID
from townhall.service.errors import Conflict, Forbidden, Invalid, RateLimited, ServiceError, Unauthenticated
from townhall.web.auth import decode_reader_token
from townhall.web.dashboard import session as sess
from townhall.web.dashboard.common import action, done, error_response, page, render, safe_next, services, session_of
from townhall.web.inputs import MAX_ID, FormReason, FormText, Id, IdValue, SafeStr, SiteQuery

router = APIRouter(prefix="/admin", include_in_schema=False)

Queue = Literal["held", "reported", "clusters", "appeals", "rejected"]


def _back(request: Request, fallback: str = "/admin") -> str:
    ref = request.headers.get("referer") or ""
    parts = urlsplit(ref)
    if parts.netloc == request.url.netloc and parts.path.startswith("/admin"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


# --- signing in and out ------------------------------------------------------------------------------
def _with_login_cookie(request: Request, render_page: Callable[[str], HTMLResponse]) -> HTMLResponse:
    """A page holding a sign-in form, with the pre-session cookie its form token is bound to."""
    holder = Response()
    response = render_page(sess.login_nonce(request, holder, services(request)))
    for key, value in holder.raw_headers:
        if key == b"set-cookie":
            response.raw_headers.append((key, value))
    return response


def _login_page(request: Request, next_url: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    return _with_login_cookie(request, lambda login_token: render(
        request, "admin/login.html", status=status, login_token=login_token, next=safe_next(next_url), error=error))


@router.get("/login")
def login_form(request: Request, next: SafeStr = Query("/admin", max_length=500)) -> Response:
    if sess.read(request, services(request)) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, email: Annotated[SafeStr, Form(max_length=300)] = "",
          password: str = Form("", max_length=1000), login_token: Annotated[SafeStr, Form(max_length=200)] = "",
          next: Annotated[SafeStr, Form(max_length=500)] = "/admin") -> Response:
    svc = services(request)
    prefix = svc.hasher.ip_prefix(request.client.host if request.client else None, svc.now())
    # sign-in attempts count against a per-network limit, like readers' posts (where the client has an IP address),
    # and always against the address tried: guesses at one moderator's password from many networks (a botnet,
    # free IPv6 /48s) are bounded by that account's budget, not by the number of networks the guesser holds
    keys = ([f"admin-login:{prefix}"] if prefix else []) + [f"admin-login-as:{sess.address_key(svc, email)}"]
    try:
        for key in keys:
            svc.limiter.hit(key, svc.now())
    except RateLimited as exc:
        return _login_page(request, next, exc.message, status=429)
    if not sess.login_token_ok(request, svc, login_token):
        return _login_page(request, next, "The sign-in form expired; please try again.", status=403)
    try:
        row = moderators.authenticate(svc, email, password)
    except Unauthenticated as exc:
        return _login_page(request, next, exc.message, status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    sess.issue(request, response, svc, {"k": "local", "m": int(row["id"]), "pw": sess.password_mark(svc, str(row["password_hash"]))})
    return response


def _sso_claims(request: Request, site_id: str, token: str) -> dict[str, Any]:
    claims = decode_reader_token(services(request), site_id, token)
    if claims.get("_guest") or claims.get("role") not in ("moderator", "admin"):
        raise Forbidden("This sign-in token is not a moderator's.")
    acct.check_claims(claims)
    return claims


@router.get("/sso")
def sso_confirm(request: Request, token: SafeStr = Query(..., max_length=8192), site: SiteQuery = None) -> Response:
    """A publisher's sign-in link (a JWT whose role claim is moderator or admin; moderates that site only)
    opens a page that names who it signs in as; only its button signs in. A link alone never does: another
    site could otherwise sign a visitor in as its own moderator (login CSRF)."""
    svc = services(request)
    site_id = site or svc.settings.default_site
    if sess.read(request, svc) is not None:  # a link never swaps a signed-in moderator's session
        return RedirectResponse("/admin", status_code=303)
    try:
        claims = _sso_claims(request, site_id, token)
    except ServiceError as exc:
        return error_response(request, exc)
    return _with_login_cookie(request, lambda login_token: render(
        request, "admin/sso.html", site=site_id, token=token, login_token=login_token,
        who=str(claims.get("name") or claims["sub"])[:100], role=str(claims["role"])))


@router.post("/sso")
def sso(request: Request, token: Annotated[SafeStr, Form(max_length=8192)] = "",
        login_token: Annotated[SafeStr, Form(max_length=200)] = "",
        site: Annotated[SafeStr, Form(max_length=64)] = "") -> Response:
    """Sign in with the token that the confirmation page showed, from that page's form only."""
    svc = services(request)
    site_id = site or svc.settings.default_site
    if sess.read(request, svc) is not None:
        return RedirectResponse("/admin", status_code=303)
    if not sess.login_token_ok(request, svc, login_token):
        return error_response(request, Forbidden("The sign-in form expired; open the sign-in link again."))
    try:
        claims = _sso_claims(request, site_id, token)
        # the token's role goes on the account, as a widget sign-in would put it: the session reads it from there
        # at every request, so that the publisher's next token saying reader ends it (session.read)
        acct.sign_in_sso(svc, site_id, claims)
    except ServiceError as exc:
        return error_response(request, exc)
    response = RedirectResponse(f"/admin/queue/held?site={site_id}", status_code=303)
    sess.issue(request, response, svc, {"k": "sso", "site": site_id, "sub": str(claims["sub"])[:300],
                                        "role": claims["role"], "name": str(claims.get("name") or "")[:100],
                                        "sm": sess.sso_mark(svc, site_id)})
    actor = moderators.sso_actor(site_id, str(claims["sub"])[:300], str(claims["role"]))
    assert actor is not None
    moderators.record_sso_sign_in(svc, actor, site_id)
    return response


@router.post("/logout")
@action
def logout(request: Request, csrf_token: FormText = "") -> Response:
    response = RedirectResponse("/admin/login", status_code=303)
    session = session_of(request)
    moderators.end_session(services(request), session.nonce, session.expires, session.actor)
    sess.clear(request, response, services(request))
    return response


# --- queues --------------------------------------------------------------------------------------------
@router.get("")
@page
def home(request: Request) -> Response:
    sites = moderators.visible_sites(services(request), session_of(request).actor)
    if not sites:
        raise Forbidden("You do not moderate any site yet; ask an admin.")
    return RedirectResponse(f"/admin/queue/held?site={sites[0]['id']}", status_code=303)


ArticleQuery = Annotated[SafeStr | None, Query(max_length=MAX_THREAD_ID, description="A thread id: one article's queues.")]


def _thread_qs(data: dict[str, Any]) -> str:
    """What the page's own links add to keep the article filter: ``&thread=…``, the id percent-encoded."""
    article = data.get("article")
    return f"&thread={quote(article['thread'], safe='')}" if article else ""


@router.get("/queue/{name}")
@page
def queue(request: Request, name: Queue, site: SiteQuery = None,
          before: int | None = Query(None, ge=1, le=MAX_ID), thread: ArticleQuery = None,
          weight: float | None = Query(None, ge=0, le=1e9)) -> Response:
    """A queue; with ``thread``, the held, reported and rejected comments of that article only (clusters and
    appeals are the site's)."""
    svc = services(request)
    site_id = site or svc.settings.default_site
    data = dash.queue_view(svc, session_of(request).actor, site_id, name, before_id=before, thread=thread,
                           before_weight=weight)
    if before is not None and request.headers.get("hx-request") == "true":
        return render(request, "admin/_items.html", site=site_id, thread_qs=_thread_qs(data), **data)
    return render(request, "admin/queue.html", site=site_id, tab=name, thread_qs=_thread_qs(data), **data)


@router.get("/queue-sizes")
@page
def queue_sizes(request: Request, site: SiteQuery = None, thread: ArticleQuery = None,
                held_after: int | None = Query(None, ge=0, le=MAX_ID)) -> Response:
    """The size of every queue, as JSON: the queue page polls it to show new arrivals. With ``thread``, the
    comment queues' sizes are that article's; with ``held_after``, ``held_new`` counts the held comments newer."""
    svc = services(request)
    return JSONResponse(dash.queue_sizes(svc, session_of(request).actor, site or svc.settings.default_site, thread,
                                         held_after),
                        headers={"Cache-Control": "no-store"})


def _blank(value: str | None) -> str | None:
    return value or None


@router.post("/comments/{comment_id}/decision")
@action
def decide(request: Request, comment_id: Id, decision: Literal["approve", "reject"] = Form(...),
           reason: FormReason = "", expect_status: Annotated[SafeStr | None, Form(max_length=16)] = None,
           csrf_token: FormText = "") -> Response:
    """Approve or reject one comment, if it is still as the page showed it (``expect_status``). The dashboard
    offers a decision on a published comment only in the reported queue: that one is also stale once another
    moderator settled its reports (a "Keep")."""
    svc = services(request)
    out = svc_mod.decide_comment(svc, session_of(request).actor, comment_id, approve=decision == "approve", reason=reason,
                                 expect_status=_blank(expect_status), reported=expect_status == "published")
    return done(request, out, _back(request))


@router.post("/comments/{comment_id}/featured")
@action
def feature(request: Request, comment_id: Id, featured: Literal["yes", "no"] = Form(...),
            csrf_token: FormText = "") -> Response:
    """Feature a published comment (readers see it marked and listed first), or unfeature it. htmx gets the
    mark and button for the new state, to swap in place; the dashboard's script JSON; a plain form the page."""
    out = svc_featured.set_featured(services(request), session_of(request).actor, comment_id, featured == "yes")
    if request.headers.get("hx-request") == "true":
        return render(request, "admin/_featured.html", comment_id=comment_id, featured=out["featured"])
    return done(request, out, _back(request))


@router.post("/bulk")
@action
def bulk(request: Request, ids: Annotated[list[IdValue], Form()],
         decision: Literal["approve", "reject"] = Form(...),
         expect_status: Annotated[list[Literal["published", "held", "rejected"]] | None, Form()] = None,
         reason: FormReason = "", csrf_token: FormText = "") -> Response:
    """Decide several comments; ``expect_status`` (one per id, in order) is the status the page showed for
    each, as in the single-item form. Each item is answered on its own: ``done`` lists those decided,
    ``conflicts`` those another moderator decided meanwhile, ``failed`` every refused one with why."""
    svc = services(request)
    if len(ids) > 200:
        raise Invalid("At most 200 comments at once.")
    if expect_status is None or len(expect_status) != len(ids):  # never decide blind: the page may be stale
        raise Invalid("Send the status each comment had on the page (one expect_status per id).", {"field": "expect_status"})
    actor = session_of(request).actor
    results: dict[str, str] = {}
    decided: list[int] = []
    conflicts: list[int] = []
    failed: dict[str, str] = {}
    for i, cid in enumerate(ids):
        seen = expect_status[i]
        try:
            results[str(cid)] = svc_mod.decide_comment(svc, actor, cid, approve=decision == "approve", reason=reason,
                                                       expect_status=seen, reported=seen == "published")["status"]
            decided.append(cid)
        except ServiceError as exc:
            results[str(cid)] = f"error: {exc.message}"
            failed[str(cid)] = exc.message
            if isinstance(exc, Conflict):
                conflicts.append(cid)
    return done(request, {"ok": not failed, "results": results, "done": decided, "conflicts": conflicts, "failed": failed},
                _back(request))


@router.post("/accounts/{account_id}/sanction")
@action
def sanction(request: Request, account_id: Id, sanction: Literal["warn", "suspend", "ban", "premoderate"] = Form(...),
             reason: FormReason = "", hours: float | None = Form(None, gt=0, le=24 * 3650),
             also_reject: int | None = Form(None, ge=1, le=MAX_ID),
             expect_status: Annotated[SafeStr | None, Form(max_length=16)] = None, csrf_token: FormText = "") -> Response:
    """Sanction an account; from a queue item, optionally reject that comment too (same reason), if it is
    still in the status the page showed (``expect_status``). A sanction already in force is not taken twice."""
    if also_reject is not None and not expect_status:  # never reject blind: the page may be stale
        raise Invalid("Send the status the comment had on the page (expect_status).", {"field": "expect_status"})
    svc = services(request)
    actor = session_of(request).actor
    notices: list[str] = []
    try:
        action_id: int | None = enforcement.moderator_sanction(
            svc, actor, account_id, sanction, reason, hours if sanction == "suspend" else None, also_reject)
    except Conflict as exc:
        if also_reject is None or exc.code not in (enforcement.ALREADY_IN_FORCE, enforcement.ALREADY_TAKEN):
            raise
        action_id = None  # the comment can still go
        notices.append(exc.message)
    rejected = None
    if also_reject is not None:
        try:
            rejected = svc_mod.decide_comment(svc, actor, also_reject, approve=False, reason=reason,
                                              expect_status=expect_status, reported=expect_status == "published")["comment_id"]
        except Conflict as exc:
            notices.append(f"The comment was not rejected: {exc.message}")
    payload: dict[str, Any] = {"action_id": action_id, "sanction": sanction, "rejected": rejected}
    if notices:
        payload["notice"] = " ".join(notices)
    return done(request, payload, _back(request))


@router.post("/accounts/{account_id}/reject-all")
@action
def reject_all(request: Request, account_id: Id, reason: FormReason = "",
               csrf_token: FormText = "") -> Response:
    if not reason.strip():
        raise Invalid("Give a reason; the reader will see it.", {"field": "reason"})
    ids = enforcement.reject_all(services(request), session_of(request).actor, account_id, reason.strip())
    return done(request, {"rejected": ids}, _back(request))


@router.post("/accounts/{account_id}/restore")
@action
def restore(request: Request, account_id: Id, reason: FormReason = "",
            clear_strikes: Annotated[Literal["yes"] | None, Form()] = None, csrf_token: FormText = "") -> Response:
    """Lift the account's sanctions; with the box ticked, clear its strikes in force too."""
    out = enforcement.moderator_restore(services(request), session_of(request).actor, account_id, reason.strip(),
                                        clear_strikes=clear_strikes == "yes")
    payload: dict[str, Any] = {"action_id": out.action_id, "cleared_strikes": out.cleared_strikes}
    if out.notice:
        payload["notice"] = out.notice
    return done(request, payload, _back(request))


@router.post("/accounts/{account_id}/notes")
@action
def note(request: Request, account_id: Id, text: Annotated[SafeStr, Form(max_length=5000)] = "",
         csrf_token: FormText = "") -> Response:
    note_id, added = svc_mod.add_note_once(services(request), session_of(request).actor, account_id, text)
    payload: dict[str, Any] = {"note_id": note_id}
    if not added:
        payload["notice"] = "You have already added this note."
    return done(request, payload, _back(request, f"/admin/accounts/{account_id}"))


@router.post("/appeals/{appeal_id}/decision")
@action
def appeal(request: Request, appeal_id: Id, outcome: Literal["uphold", "reverse"] = Form(...),
           response: FormReason = "", csrf_token: FormText = "") -> Response:
    out = svc_appeals.decide(services(request), session_of(request).actor, appeal_id, reverse=outcome == "reverse",
                             response=response)
    return done(request, out, _back(request))


# --- account and cluster pages -------------------------------------------------------------------------
@router.get("/accounts/{account_id}")
@page
def account(request: Request, account_id: Id) -> Response:
    data = dash.account_view(services(request), session_of(request).actor, account_id)
    return render(request, "admin/account.html", site=data["account"]["site"], **data)


@router.get("/clusters/{flag_id}")
@page
def cluster(request: Request, flag_id: Id) -> Response:
    data = clusters.cluster_view(services(request), session_of(request).actor, flag_id)
    return render(request, "admin/cluster.html", site=data["flag"]["site"], **data)


@router.post("/clusters/{flag_id}/confirm")
@action
def confirm(request: Request, flag_id: Id, confirm: FormText = "", reason: FormReason = "",
            csrf_token: FormText = "") -> Response:
    if confirm != "yes":
        raise Invalid("Tick the box to confirm that you checked the evidence.", {"field": "confirm"})
    out = clusters.confirm_cluster(services(request), session_of(request).actor, flag_id, reason)
    return done(request, {**out, "actions": {str(k): v for k, v in out["actions"].items()}}, f"/admin/clusters/{flag_id}")


@router.post("/clusters/{flag_id}/dismiss")
@action
def dismiss(request: Request, flag_id: Id, reason: FormReason = "", csrf_token: FormText = "") -> Response:
    out = clusters.dismiss_flag(services(request), session_of(request).actor, flag_id, reason)
    return done(request, out, f"/admin/clusters/{flag_id}")
