"""The moderator API under /api/v1/mod: queues, decisions, sanctions, appeals, history, audit log, threads."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field

from townhall.service import announcements as svc_announcements
from townhall.service import appeals as svc_appeals
from townhall.service import enforcement
from townhall.service import moderation as svc_mod
from townhall.service import clusters as svc_clusters
from townhall.service import featured as svc_featured
from townhall.service import thread_metadata as svc_thread_meta
from townhall.service.comments import check_thread_id
from townhall.service.errors import Invalid
from townhall.web.api import services
from townhall.web.auth import check_origin, require_moderator, site_id_of
from townhall.web.inputs import MAX_ID, ArticleUrl, Id, IdValue, SafeStr, StrictBody
from townhall.web.models import AnnouncementAnswer, ThreadOut, refusals
from townhall.web.models_out import (AppealDecisionAnswer, CommentDecisionAnswer, FeaturedAnswer, QueueOut,
                                     RestoreAnswer, SanctionAnswer, ThreadStateAnswer, documented)

PAGED_QUEUES = ("held", "rejected")  # by id, newest first: ``before`` continues after a page

# Every route needs a moderator of the site (401, 403) and names a site, and most a thing, that may not exist (404);
# any may be refused a body too large (413), a value not valid (422), or the database (503).
router = APIRouter(prefix="/api/v1/mod", tags=["moderation"], dependencies=[Depends(check_origin)],
                   responses=refusals(401, 403, 404, 413, 422, 503))


class CommentDecision(StrictBody):
    action: Literal["approve", "reject"]
    reason: SafeStr = Field(default="", max_length=2000)
    expect_status: Literal["published", "held", "rejected", "deleted"] | None = Field(
        default=None, description="Act only if the comment is still in this state (safe concurrent moderation).")


class SanctionIn(StrictBody):
    sanction: Literal["warn", "suspend", "ban", "premoderate"]
    reason: SafeStr = Field(min_length=1, max_length=2000)
    hours: float | None = Field(default=None, gt=0, le=24 * 3650)
    comment_id: IdValue | None = Field(default=None, description="The account's comment that brought the sanction "
                                       "(a reversed appeal publishes it again, if it was rejected)")


class ReasonIn(StrictBody):
    reason: SafeStr = Field(default="", max_length=2000)


class RestoreIn(ReasonIn):
    clear_strikes: bool = Field(default=False, description="Also revoke the account's strikes in force, so that its "
                                "next violation counts as a first strike again (default: the strikes stand)")


class NoteIn(StrictBody):
    text: SafeStr = Field(min_length=1, max_length=5000)


class AppealDecision(StrictBody):
    outcome: Literal["uphold", "reverse"]
    response: SafeStr = Field(min_length=1, max_length=2000)
    restore_comments: bool = True


@router.get("/queues/{name}", summary="A moderation queue: held, reported, rejected, appeals or flags",
            response_model=None, responses=documented(QueueOut))
def queue(request: Request, name: Literal["held", "reported", "rejected", "appeals", "flags"],
          limit: int = Query(50, ge=1, le=200), before: int | None = Query(None, ge=1, le=MAX_ID)) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    if before is not None and name not in PAGED_QUEUES:  # it would answer the first page again
        raise Invalid("Only the held and rejected queues are paged; ask for a larger limit (up to 200).",
                      {"field": "before", "paged": list(PAGED_QUEUES)})
    out = svc_mod.queue(svc, actor, site_id_of(request, svc), name, limit=limit, before_id=before)
    if name not in PAGED_QUEUES:
        out["next_before"] = None
    return out


@router.post("/comments/{comment_id}/decision", summary="Approve or reject a comment",
             response_model=None, responses={**refusals(409), **documented(CommentDecisionAnswer)})
def decide_comment(request: Request, comment_id: Id, body: CommentDecision) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    return svc_mod.decide_comment(svc, actor, comment_id, approve=body.action == "approve", reason=body.reason,
                                  expect_status=body.expect_status)


class FeaturedIn(StrictBody):
    featured: bool = Field(description="true: feature the comment (it must be published); false: unfeature it.")


@router.put("/comments/{comment_id}/featured", summary="Feature a published comment (a moderators' pick), or unfeature it",
            response_model=None,
            responses={**refusals(403, 404, 409, said={403: "Not a moderator of the comment's site", 404: "No such comment",
                                                       409: "Only a published comment can be featured (code `not_published`)"}),
                       **documented(FeaturedAnswer)})
def feature_comment(request: Request, comment_id: Id, body: FeaturedIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    return svc_featured.set_featured(svc, actor, comment_id, body.featured)


@router.post("/accounts/{account_id}/sanctions", status_code=201, summary="Warn, suspend, ban or premoderate an account",
             response_model=None, responses={**refusals(409), **documented(SanctionAnswer, 201)})
def sanction(request: Request, account_id: Id, body: SanctionIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    action_id = enforcement.moderator_sanction(svc, actor, account_id, body.sanction, body.reason, body.hours,
                                               body.comment_id)
    return {"action_id": action_id, "account_id": account_id, "sanction": body.sanction}


@router.post("/accounts/{account_id}/restore", summary="Lift an account's sanctions (unban, unsuspend), and "
             "optionally clear its strikes",
             description="With nothing to lift (no sanction in force; with `clear_strikes`, no strike in force "
                         "either) nothing is recorded: the answer has `action_id` null and a `notice`.",
             response_model=None, responses=documented(RestoreAnswer))
def restore(request: Request, account_id: Id, body: RestoreIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    done = enforcement.moderator_restore(svc, actor, account_id, body.reason, clear_strikes=body.clear_strikes)
    return {"action_id": done.action_id, "account_id": account_id, "revoked": done.revoked,
            "cleared_strikes": done.cleared_strikes, **({"notice": done.notice} if done.notice else {})}


@router.post("/accounts/{account_id}/reject-all", summary="Reject every published or held comment of an account")
def reject_all(request: Request, account_id: Id, body: ReasonIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    return {"rejected": enforcement.reject_all(svc, actor, account_id, body.reason)}


@router.post("/accounts/{account_id}/notes", status_code=201, summary="Add a moderators' note to an account")
def note(request: Request, account_id: Id, body: NoteIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    note_id, added = svc_mod.add_note_once(svc, actor, account_id, body.text)
    return {"note_id": note_id, **({} if added else {"notice": "You have already added this note."})}


@router.get("/accounts/{account_id}", summary="An account's full history: comments, decisions, actions, appeals, notes")
def history(request: Request, account_id: Id) -> dict[str, Any]:
    svc = services(request)
    return svc_mod.account_history(svc, require_moderator(request, svc), account_id)


@router.post("/appeals/{appeal_id}/decision", summary="Uphold or reverse an appeal",
             response_model=None, responses={**refusals(409), **documented(AppealDecisionAnswer)})
def decide_appeal(request: Request, appeal_id: Id, body: AppealDecision) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    return svc_appeals.decide(svc, actor, appeal_id, reverse=body.outcome == "reverse", response=body.response,
                              restore_comments=body.restore_comments)


@router.get("/audit", summary="The audit log as JSON Lines, oldest first", response_class=StreamingResponse,
            responses={200: {"description": "One JSON object per line (application/x-ndjson), oldest first.",
                             "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}})
def audit(request: Request, actor: SafeStr | None = Query(None, max_length=300), action: SafeStr | None = Query(None, max_length=64),
          subject_type: SafeStr | None = Query(None, max_length=32), subject_id: SafeStr | None = Query(None, max_length=300),
          after_id: int = Query(0, ge=0, le=MAX_ID), limit: int = Query(1000, ge=1, le=10000)) -> StreamingResponse:
    svc = services(request)
    who = require_moderator(request, svc)
    rows = svc_mod.audit_export(svc, who, site_id_of(request, svc), actor=actor, action=action, subject_type=subject_type,
                                subject_id=subject_id, after_id=after_id, limit=limit)
    body = "".join(json.dumps(r, default=str) + "\n" for r in rows)
    return StreamingResponse(iter([body]), media_type="application/x-ndjson")


class FlagDecision(StrictBody):
    outcome: Literal["confirm", "dismiss"]
    reason: SafeStr = Field(default="", max_length=2000)


@router.post("/trolls/analyse", summary="Run coordination clustering now; flagged clusters enter the flags queue")
def analyse_trolls(request: Request) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    site = site_id_of(request, svc)
    actor.require_site(site)
    report = svc.trolls.analyse(site)
    return {"generated_at": report.generated_at.isoformat(), "threshold": report.threshold,
            "clusters": [c.to_dict() for c in report.clusters if c.flagged], "stats": dict(report.stats)}


@router.post("/flags/{flag_id}/decision", summary="Confirm a troll cluster (bans every account in it) or dismiss a flag",
             responses=refusals(409))
def decide_flag(request: Request, flag_id: Id, body: FlagDecision) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    if body.outcome == "confirm":
        return svc_clusters.confirm_cluster(svc, actor, flag_id, body.reason)
    return svc_clusters.dismiss_flag(svc, actor, flag_id, body.reason)


class ThreadStateIn(StrictBody):
    state: Literal["open", "closed"]


@router.put("/threads/{thread_id:path}/state", summary="Close a thread to new comments, or open it again",
            response_model=None, responses=documented(ThreadStateAnswer))
def thread_state(request: Request, thread_id: str, body: ThreadStateIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    check_thread_id(thread_id)
    return svc_mod.set_thread_state(svc, actor, site_id_of(request, svc), thread_id, body.state)


# The body's bound on a message as sent: the service counts 1,000 characters after trimming and normalising the line
# breaks (\r\n is one), and says so naming the field; this only bounds what is read.
MESSAGE_INPUT = 4000


def _thread_in_schema(schema: dict[str, Any]) -> None:
    """``{}`` is refused; a field left out is kept as it is, not set to its Python default: no default is named."""
    schema["minProperties"] = 1
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class ThreadIn(StrictBody):
    """The article's data, as the publisher knows it, whether it is premoderated, and the message shown above its
    comments; a field left out stays as it is, null clears it (``premoderated`` is true or false). At least one
    field must be given."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_thread_in_schema)

    title: SafeStr | None = Field(default=None, max_length=500, description="The article's title: one line, at most 500 "
                                  "characters (what notices and e-mails name the article by).")
    url: ArticleUrl | None = Field(default=None, max_length=2000, description=(
        "The article's address: an absolute http(s) URL with a host, or a path on the site starting with '/', without "
        "spaces or control characters; where the site names its pages' origins, an absolute URL must be on one of them."))
    published_at: SafeStr | None = Field(default=None, max_length=64, json_schema_extra={"format": "date-time"},
                                         description=(
        "When the article was published: an ISO 8601 date and time with its time zone (2026-11-27T08:00:00Z), from "
        "1990 on and at most a day ahead of the server's clock; null: not known. The site's close_after_days counts "
        "from it (else from the thread's start)."))
    premoderated: bool = Field(default=False, description=(
        "true: every new comment, reply or edit of a reader waits for a moderator (a sensitive article); comments the "
        "house rules refuse are still refused, and moderators' own are not held. false: comments are decided as on "
        "any article again (those held meanwhile stay held)."))
    message: SafeStr | None = Field(default=None, max_length=MESSAGE_INPUT, description=(
        "A short message shown above the article's comments (Coral's \"Message box\": \"Please keep to the topic\", "
        "or a question the newsroom asks its readers): plain text, 1 to 1,000 characters after trimming, line breaks "
        "allowed (an empty line starts a paragraph), no other control characters and no bidirectional controls; "
        "null or \"\" clears it."))


@router.patch("/threads/{thread_id:path}", summary="Set a thread's article data (title, URL, publication date) or "
              "premoderate it; creates the thread if need be", response_model=ThreadOut,
              responses=refusals(403, 404, 422, said={403: "Not a moderator of the site", 404: "No such site",
                                                      422: "A field is not valid (the error names it), or none was given"}))
def update_thread(request: Request, thread_id: str, body: ThreadIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    check_thread_id(thread_id)
    given = {name: getattr(body, name) for name in body.model_fields_set}
    if given.get("published_at") is not None:
        given["published_at"] = svc_thread_meta.parse_published_at(given["published_at"])
    site_id = site_id_of(request, svc)
    shown = svc_thread_meta.update_thread(svc, actor, site_id, thread_id, svc_thread_meta.ThreadChanges(**given))
    return {**shown, "announcement": svc_announcements.on_thread(svc, site_id)}  # as the comments listing shows it


class AnnouncementIn(StrictBody):
    """The site's announcement, shown above the comments of every article of the site."""

    text: SafeStr = Field(max_length=MESSAGE_INPUT, description=(
        "The announcement (\"Comments on election coverage close at 22:00 tonight.\"): plain text, 1 to 1,000 "
        "characters after trimming, line breaks allowed (an empty line starts a paragraph), no other control "
        "characters and no bidirectional controls. It replaces the one in force."))
    until: SafeStr | None = Field(default=None, max_length=svc_announcements.MAX_UNTIL_TEXT, description=(
        "When it disappears by itself: an ISO 8601 date and time with a time zone (2026-11-27T22:00:00Z), in the "
        "future and at most 366 days ahead; left out or null: until it is cleared."))


_ANNOUNCEMENT_REFUSALS = refusals(401, 403, 404, said={401: "Not signed in", 403: "Not a moderator of the site",
                                                       404: "No such site"})


@router.put("/announcement", summary="Set the site's announcement, shown above the comments of every article",
            response_model=AnnouncementAnswer,
            responses={**_ANNOUNCEMENT_REFUSALS,
                       **refusals(422, said={422: "The text or the time is not valid (the error names the field)"})})
def put_announcement(request: Request, body: AnnouncementIn) -> dict[str, Any]:
    svc = services(request)
    actor = require_moderator(request, svc)
    until = svc_announcements.parse_until(body.until) if body.until is not None else None
    found = svc_announcements.put(svc, actor, site_id_of(request, svc), body.text, until)
    return {"announcement": found.public()}


@router.delete("/announcement", status_code=204, summary="Remove the site's announcement (none: nothing happens)",
               response_class=Response, responses=_ANNOUNCEMENT_REFUSALS)
def delete_announcement(request: Request) -> Response:
    svc = services(request)
    actor = require_moderator(request, svc)
    svc_announcements.clear(svc, actor, site_id_of(request, svc))
    return Response(status_code=204)
