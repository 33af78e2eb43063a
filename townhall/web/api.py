"""The reader API under /api/v1."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from townhall.service import accounts as acct
from townhall.service import announcements as svc_announcements
from townhall.service import comments as svc_comments
from townhall.service import counts as svc_counts
from townhall.service import featured as svc_featured
from townhall.service import threads as svc_threads
from townhall.service.appeals import appeal as make_appeal
from townhall.service.comments import MAX_THREAD_ID, check_thread_id
from townhall.service.core import Services
from townhall.service.errors import Invalid, ServiceError, Unauthenticated
from townhall.service.identity import Identity
from townhall.web.auth import check_origin, guest_token, optional_reader, require_reader, site_id_of
from townhall.web.inputs import MAX_ID, ArticleUrl, Id, SafeStr, StrictBody
from townhall.web.models import AnnouncementAnswer, MeOut, refusals
from townhall.web.models_out import (CommentAnswer, CommentsPage, FeaturedPage, ReactionAnswer, ReportAnswer,
                                     documented)

__all__ = ["MAX_ID", "Id", "router", "services", "rate_limit"]

# Every answer of the API may be a refusal in the one error envelope: 422 (a value, or the site id, not valid) and 503
# (the database busy or down) for any route; each route names the others it gives.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(check_origin)], responses=refusals(422, 503))
NO_SITE = {404: "`not_found`: no such site"}
WRITE = (401, 403, 404, 413, 429)  # a reader's write: signed in, from an allowed page, not sanctioned; the thing exists


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def client_signals(request: Request, device: str | None) -> svc_comments.ClientSignals:
    ip = request.client.host if request.client else None
    return svc_comments.ClientSignals(ip=ip, user_agent=request.headers.get("user-agent"), device=device)


def limit_account(svc: Services, ident: Identity) -> None:
    svc.limiter.hit(f"account:{ident.site_id}:{ident.account_id}", svc.now())


def limit_network(request: Request, svc: Services) -> None:
    now = svc.now()
    prefix = svc.hasher.ip_prefix(request.client.host if request.client else None, now)
    if prefix:
        svc.limiter.hit(f"ip:{prefix}", now)


def rate_limit(request: Request, svc: Services, ident: Identity | None) -> None:
    if ident is not None:
        limit_account(svc, ident)
    limit_network(request, svc)


# Comment text stays a plain ``str``: the comments service removes NUL characters from it and refuses lone
# surrogates (townhall.service.comments._comment_text), before any classifier reads it.
class NewComment(StrictBody):
    text: str = Field(description="The comment as written (plain text; links and paragraphs are rendered).")
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Id of the comment this replies to.")
    guest_name: str | None = Field(default=None, max_length=200, description="Display name, for guest commenting where the site allows it.")
    device: SafeStr | None = Field(default=None, max_length=200, description="The widget's hashed device id (ban-evasion evidence only).")
    url: ArticleUrl | None = Field(default=None, max_length=2000, description=(
        "Article URL, used when the thread is created: an absolute http(s) URL with a host, or a path on the site "
        "starting with '/', without spaces or control characters (else 422). Where the site names its pages' "
        "origins, an absolute URL on another origin is not kept (the comment is)."))
    title: SafeStr | None = Field(default=None, max_length=500, description="Article title, used when the thread is created.")


class EditComment(StrictBody):
    text: str


class Reaction(StrictBody):
    kind: Literal["like"] | None = Field(default="like", description="'like', or null to take the reaction back.")


class Report(StrictBody):
    reason: Literal["abusive", "obscene", "f_word", "spam", "paid_troll", "off_topic", "other"]
    note: SafeStr | None = Field(default=None, max_length=1000)


class AppealIn(StrictBody):
    text: SafeStr = Field(min_length=1, max_length=2000)


@router.get("/site", summary="The site's house rules and limits (guests allowed, length, edit window)",
            responses=refusals(404, said=NO_SITE))
def site(request: Request) -> dict[str, Any]:
    svc = services(request)
    return svc_threads.site_info(svc, site_id_of(request, svc))


@router.get("/announcement", summary="The site's announcement, shown above the comments of every article",
            response_model=AnnouncementAnswer, responses=refusals(404, said=NO_SITE))
def announcement(request: Request) -> dict[str, Any]:
    """The announcement the site's moderators show above the comments of every article, while it is in force (one
    whose ``until`` has passed is null); each thread of the comments listing carries it too (``announcement``)."""
    svc = services(request)
    found = svc_announcements.current(svc, site_id_of(request, svc))
    return {"announcement": found.public() if found is not None else None}


@router.get("/threads/{thread_id:path}/comments", summary="Published comments of a thread, nested, one page at a time",
            response_model=CommentsPage, responses=refusals(401, 404))
def list_comments(
    request: Request,
    thread_id: str,
    sort: Literal["newest", "oldest", "top"] = "newest",
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=200),
    root: int | None = Query(None, ge=1, le=MAX_ID, description="List further replies of this top-level comment (flat, oldest first)."),
    since: int | None = Query(None, ge=1, le=MAX_ID, description="A comment the reader knows exists (e.g. from the live stream): the page is not older than it."),
) -> Response:
    svc = services(request)
    viewer = optional_reader(request, svc)
    page = svc_threads.list_page(
        svc, site_id_of(request, svc), thread_id, sort=sort, limit=limit, cursor=cursor,
        viewer_id=viewer.account_id if viewer else None, root=root, since=since,
    )
    return Response(page.json, media_type="application/json")  # encoded once for every reader of a cached page


@router.get("/threads/{thread_id:path}/featured", summary="A thread's featured comments (moderators' picks), most recently "
            "featured first", response_model=FeaturedPage,
            response_description="`{\"comments\": [...]}`: the thread's published featured comments, each as the comments "
            "list shows it (with `\"featured\": true`), flat (`replies` empty); none for a thread without any.",
            responses=refusals(401, 404, said=NO_SITE))
def list_featured(
    request: Request,
    thread_id: str,
    limit: int = Query(svc_featured.DEFAULT_LIMIT, ge=1, le=svc_featured.MAX_LIMIT),
) -> Response:
    svc = services(request)
    viewer = optional_reader(request, svc)
    page = svc_featured.featured_page(svc, site_id_of(request, svc), thread_id, limit=limit,
                                      viewer_id=viewer.account_id if viewer else None)
    return Response(page.json, media_type="application/json")  # signed-out readers': cached with the thread's pages


ThreadIdValue = Annotated[str, Field(min_length=1, max_length=MAX_THREAD_ID)]


class CountsOut(StrictBody):
    counts: dict[str, int] = Field(description="Each thread asked for (once), with its count; 0 for one that does not exist.")


@router.get("/counts", summary="Comment counts of several threads, for listing pages (count.js)", response_model=CountsOut,
            responses=refusals(404, said=NO_SITE))
def counts(
    request: Request,
    thread: list[ThreadIdValue] = Query(min_length=1, max_length=svc_counts.MAX_THREADS, description=(
        f"A thread id; repeat it for more threads, {svc_counts.MAX_THREADS} at most (an id named twice is answered once).")),
) -> Response:
    """The number of comments signed-out readers see in each thread: its published comments, replies included,
    as the thread's listing counts them (``thread.count``). Served from the same short page cache as that
    listing. A thread that does not exist counts 0 (it is not created)."""
    svc = services(request)
    found = svc_counts.counts(svc, site_id_of(request, svc), thread)
    return Response(CountsOut(counts=found).model_dump_json(), media_type="application/json")


@router.post("/threads/{thread_id:path}/comments", status_code=201, summary="Post a comment; the house rules judge it at once",
             response_model=None, responses={**refusals(*WRITE), **documented(CommentAnswer, 201)})
def post_comment(request: Request, response: Response, thread_id: str, body: NewComment) -> dict[str, Any]:
    svc = services(request)
    ident = optional_reader(request, svc)
    extra: dict[str, Any] = {}
    if ident is None:
        if body.guest_name is None:
            raise Unauthenticated("Sign in to comment.")
        # Everything that can refuse the request comes before the guest's account is made: a refused
        # request writes nothing.
        check_thread_id(thread_id)
        limit_network(request, svc)
        ident = acct.sign_in_guest(svc, site_id_of(request, svc), body.guest_name, None)
        extra["guest_token"] = guest_token(svc, ident)
        limit_account(svc, ident)  # a new account: counts this post, never refuses it
    else:
        rate_limit(request, svc, ident)
    try:
        posted = svc_comments.post(svc, ident, thread_id, body.text, body.parent_id, client_signals(request, body.device),
                                   url=body.url, title=body.title)
    except ServiceError as exc:  # a guest keeps the account made for them, to edit and resend (never an orphan)
        if "guest_token" in extra and isinstance(exc.details, dict):
            exc.details["guest_token"] = extra["guest_token"]
        elif "guest_token" in extra and exc.details is None:
            exc.details = dict(extra)
        raise
    response.headers["Location"] = f"/api/v1/comments/{posted.comment['id']}"
    return {"comment": posted.comment, "verdict": posted.comment["status"], **extra}


@router.patch("/comments/{comment_id}", summary="Edit your own comment within the edit window (moderated again)",
              response_model=None, responses={**refusals(*WRITE), **documented(CommentAnswer)})
def edit_comment(request: Request, comment_id: Id, body: EditComment) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    posted = svc_comments.edit(svc, ident, comment_id, body.text)
    return {"comment": posted.comment, "verdict": posted.comment["status"]}


@router.delete("/comments/{comment_id}", status_code=204, summary="Delete your own comment",
               responses=refusals(*WRITE))
def delete_comment(request: Request, comment_id: Id) -> Response:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    svc_comments.delete(svc, ident, comment_id)
    return Response(status_code=204)


@router.put("/comments/{comment_id}/reaction", summary="React to a comment (one reaction per account)",
            response_model=None, responses={**refusals(*WRITE, 409), **documented(ReactionAnswer)})
def react(request: Request, comment_id: Id, body: Reaction) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    return svc_comments.react(svc, ident, comment_id, body.kind)


@router.post("/comments/{comment_id}/reports", status_code=201, summary="Report a comment to the moderators",
             response_model=None, responses={**refusals(*WRITE, 409), **documented(ReportAnswer, 201)})
def report(request: Request, comment_id: Id, body: Report) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    return svc_comments.report(svc, ident, comment_id, body.reason, body.note)


@router.get("/me", summary="The signed-in reader: state, sanctions with reasons, warning, premoderation, strikes",
            response_model=MeOut, responses=refusals(401))
def me(request: Request) -> dict[str, Any]:
    svc = services(request)
    return acct.me(svc, require_reader(request, svc))


@router.post("/me/actions/{action_id}/appeal", status_code=201, summary="Appeal a sanction (once per action)",
             responses=refusals(*WRITE, 409))
def appeal(request: Request, action_id: Id, body: AppealIn) -> dict[str, Any]:
    svc = services(request)
    ident = require_reader(request, svc)
    rate_limit(request, svc, ident)
    if not body.text.strip():
        raise Invalid("Say why the decision should be reversed.", {"field": "text"})
    return make_appeal(svc, ident, action_id, body.text)
