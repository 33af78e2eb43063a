"""Response models of the reader API, the thread the publisher's API answers with (``ThreadOut``) and the site's
announcement (``AnnouncementAnswer``): what ``/openapi.json`` tells clients (the widget, a publisher's app) that an
answer holds, and the one error envelope (``ErrorOut``) every refusal is answered with. The use cases build the answers
(townhall/service); these models describe and check them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

# Values read from the database (an action's kind, an appeal's state) are described, not enforced: a row that
# another version wrote (an imported site archive) must not turn a reader's GET /me into an error.
AccountStateName = Literal["active", "warned", "suspended", "banned", "premoderated"]  # computed: always one of these


class AppealOut(BaseModel):
    state: str = Field(description="open: a moderator will answer; upheld or reversed: answered; moot: closed "
                                   "without an answer, as the action was lifted meanwhile.")
    response: str | None = Field(description="The moderator's answer, once there is one.")


class ActionCommentOut(BaseModel):
    """The reader's own comment an action was taken for."""

    id: int
    thread: str = Field(description="The external id of the comment's thread (the publisher's article id), to link it.")
    url: str | None = Field(description="The address of the comment's article, to link the comment on another page "
                                        "(`url#comment-{id}`): an absolute http(s) address or a path on the publisher's "
                                        "site, as the thread's first comment was sent with; null when the thread has "
                                        "none, or one that is neither (or, where the site names its pages' origins, "
                                        "on none of them).")
    title: str | None = Field(description="The article's title, as the thread's first comment was sent with, on one "
                                          "line, without control or bidirectional-control characters; null when "
                                          "the thread has none. Plain text.")
    created_at: str = Field(description="When the reader wrote it (ISO 8601, UTC).")
    status: str = Field(description="published, held, rejected (refused by the house rules or removed by a moderator) "
                                    "or deleted (by its author, or when the account was erased).")
    excerpt: str | None = Field(description="The start of the reader's text (at most 200 characters, whitespace "
                                            "collapsed, … where cut); null when the comment was deleted: its text "
                                            "is no longer shown.")


class SanctionOut(BaseModel):
    """An action in force on the reader, with how to appeal it."""

    action_id: int
    sanction: Literal["warn", "suspend", "ban", "premoderate"]
    reason: str = Field(description="Why, in the words of the moderator or the house rules.")
    rule: str | None = Field(description="The house rule it was taken under, if any.")
    until: str | None = Field(description="When it ends (ISO 8601, UTC); null: until lifted.")
    appeal: AppealOut | None = Field(description="The reader's appeal against it, if they made one.")
    can_appeal: bool = Field(description="Whether the reader may appeal it now (once per action).")
    appeal_url: str = Field(description="Where to send the appeal: POST {\"text\": …}.")
    comment: ActionCommentOut | None = Field(default=None, description="The comment it was taken for, as its entry "
                                             "of `actions` names it; null for one taken on the account as a whole.")


class PremoderationOut(BaseModel):
    """The reader's comments are held for a moderator before they appear (they can still post)."""

    source: Literal["sanction", "new_account", "recent_history"] = Field(
        description="sanction: a premoderation taken on the account (appealable); new_account: the site holds "
                    "a new account's comments until one of them has been published (not a sanction); "
                    "recent_history: the site holds the comments of a reader most of whose recent comments were "
                    "rejected ([history] in the policy file; not a sanction; `reason` gives the counts).")
    action_id: int | None = Field(description="The premoderation's action (source sanction), else null.")
    reason: str
    rule: str | None
    until: str | None = Field(description="Always null: a premoderation lasts until it is lifted.")
    appeal: AppealOut | None
    can_appeal: bool
    appeal_url: str | None
    comment: ActionCommentOut | None = Field(default=None, description="The comment the premoderation was taken for "
                                             "(source sanction), as its entry of `actions` names it; else null.")


class ActionOut(BaseModel):
    """One entry of the reader's record: a strike, a sanction or a restore, in force or not."""

    id: int
    kind: str = Field(description="strike, warn, suspend, ban, premoderate, or restore (sanctions lifted).")
    reason: str
    rule: str | None
    created_at: str
    ends_at: str | None = Field(description="When it runs out (strikes, warnings, suspensions); null: never.")
    revoked: bool = Field(description="Lifted by a moderator (or on appeal).")
    can_appeal: bool = Field(description="Whether the reader may appeal it now: not lifted, not appealed yet, and "
                                         "still bearing on the account (one that ran out and no longer counts "
                                         "toward anything is refused with 409 appeal_moot).")
    appeal: AppealOut | None = Field(default=None, description="The reader's appeal against it and the moderator's "
                                     "answer (state open, upheld, reversed or moot); null if not appealed.")
    comment: ActionCommentOut | None = Field(default=None, description="The comment it was taken for (a strike's, or "
                                             "the sanction's a strike or a moderator tied to one); null for an action "
                                             "taken on the account as a whole (a carried ban, a restore).")


class RemovedCommentOut(BaseModel):
    id: int
    text: str
    reason: str | None = Field(description="The moderator's reason.")
    at: str


class MeOut(BaseModel):
    """The signed-in reader and everything that applies to them."""

    id: int
    name: str
    supporter: bool
    role: str
    guest: bool
    state: AccountStateName = Field(description="The account's standing, decided by the strongest sanction in "
                                                "force (ban, suspension, premoderation, warning).")
    sanction: SanctionOut | None = Field(
        description="The ban or suspension in force, which keeps the reader from posting, reacting and "
                    "reporting; null when none is. Warnings and premoderation are in `warning` and `premoderation`.")
    warning: SanctionOut | None = Field(
        description="The warning on record (not lifted and not run out), also while a stronger sanction decides; "
                    "the reader can still take part.")
    premoderation: PremoderationOut | None = Field(
        description="Set when the reader's comments are held for a moderator before they appear; null otherwise.")
    active_strikes: int = Field(description="Strikes that still count toward the enforcement ladder.")
    actions: list[ActionOut] = Field(description="Every action on the account, oldest first.")
    removed_comments: list[RemovedCommentOut] = Field(
        description="The reader's latest comments that a moderator removed, with the reason given.")


class ThreadAnnouncementOut(BaseModel):
    """The site's announcement as a thread carries it."""

    text: str = Field(description="Plain text, at most 1,000 characters; paragraphs separated by an empty line.")
    until: str | None = Field(description="When it disappears by itself (ISO 8601, UTC), or null: until cleared.")


class AnnouncementOut(ThreadAnnouncementOut):
    """The site's announcement in force."""

    since: str | None = Field(description="When it was set (ISO 8601, UTC).")


class AnnouncementAnswer(BaseModel):
    """``GET /api/v1/announcement`` and ``PUT /api/v1/mod/announcement``."""

    announcement: AnnouncementOut | None = Field(description="The site's announcement in force (an expired one is not "
                                                             "shown), or null.")


class ThreadOut(BaseModel):
    """The thread as ``GET /api/v1/threads/{thread}/comments`` shows it (its ``thread``)."""

    id: str = Field(description="The thread's id (the publisher's article id).")
    title: str | None
    url: str | None = Field(description="The article's address where a page of the site may link it, else null.")
    state: str = Field(description="open or closed (by a moderator, or by the site's age limit).")
    closed_reason: str | None = Field(description="moderator, age, or null while open.")
    closes_at: str | None = Field(description="When the age limit closes (or closed) the thread (ISO 8601, UTC), or null.")
    published_at: str | None = Field(description="The article's publication date (ISO 8601, UTC), or null.")
    premoderated: bool = Field(description="Whether every new comment of a reader waits for a moderator.")
    message: str | None = Field(description="The message a moderator or the publisher shows above the comments (plain "
                                            "text; paragraphs separated by an empty line), or null.")
    count: int = Field(description="The comments signed-out readers are shown (published, replies included).")
    announcement: ThreadAnnouncementOut | None = Field(description="The site's announcement in force, shown above the "
                                                                   "comments of every article of the site, or null.")


class MyCommentThreadOut(BaseModel):
    """The article a reader's own comment was written on."""

    id: str = Field(description="The thread's id (the publisher's article id).")
    title: str | None = Field(description="The article's title, on one line, plain text; null when the thread has none.")
    url: str | None = Field(description="The article's address where a page of the site may link it (an absolute "
                                        "http(s) address or a path on the publisher's site), else null.")


class MyCommentOut(BaseModel):
    """One of the signed-in reader's own comments."""

    id: int
    text: str = Field(description="The comment as the reader wrote it (plain text).")
    html: str = Field(description="The comment as a thread shows it: server-made HTML (p, br, a href, blockquote).")
    status: str = Field(description="published; held (awaiting a moderator); rejected (refused by the house rules); "
                                    "removed (rejected by a moderator, whose reason is in `reason`). Comments the "
                                    "reader deleted are not listed.")
    reason: str | None = Field(description="A moderator's reason for a removed comment, else null.")
    created_at: str = Field(description="When it was written (ISO 8601, UTC).")
    edited_at: str | None = Field(description="When it was last edited (ISO 8601, UTC), or null.")
    parent_id: int | None = Field(description="The comment it answers, or null for a top-level comment.")
    thread: MyCommentThreadOut
    permalink: str | None = Field(description="The comment on its article (`url#comment-{id}`) for a published "
                                              "comment whose thread has an address, else null.")


class MyCommentsOut(BaseModel):
    """``GET /api/v1/me/comments``: a page of the reader's own comments, newest first."""

    comments: list[MyCommentOut]
    next: str | None = Field(description="Send it back as `before` for the next (older) page; null on the last page.")


class ErrorBody(BaseModel):
    code: str = Field(description="For machines: invalid, unauthenticated, token_expired, forbidden, "
                                  "origin_not_allowed, account_sanctioned, not_found, conflict, already_decided, "
                                  "rejected_by_house_rules, rate_limited, busy, unavailable, …")
    message: str = Field(description="For people: what went wrong and what to do, in plain English.")
    details: Any = Field(description="More for both (the field at fault, the rule hits, the retry delay, …), or null.")


class ErrorOut(BaseModel):
    """The one error envelope: every refusal of the API is answered with it (townhall/web/errors.py)."""

    error: ErrorBody


_REFUSALS: dict[int, str] = {
    400: "`bad_request`: a malformed request (an invalid Content-Length header)",
    401: "`unauthenticated` (not signed in, or a sign-in token that is not valid) or `token_expired`",
    403: "`forbidden`, `origin_not_allowed` (a write from a page the site does not name) or `account_sanctioned`",
    404: "`not_found`: no such site, or no such thing (the details name it)",
    409: "A conflict with the thing's state (`conflict`, `already_decided`, …; the message says which)",
    413: "`payload_too_large`: the request body is larger than the server takes",
    422: "`invalid`: a field is not valid (the details name it), or `rejected_by_house_rules`",
    429: "`rate_limited`: too many requests; send it again after `Retry-After` seconds",
    503: "`busy` or `unavailable`: the database could not answer; nothing was saved; send it again after "
         "`Retry-After` seconds",
}


def refusals(*statuses: int, said: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route or a router: each of ``statuses`` answered with :class:`ErrorOut`, described as
    ``said`` has it, else as usual (``_REFUSALS``)."""
    said = said or {}
    return {status: {"model": ErrorOut, "description": said.get(status, _REFUSALS[status])} for status in statuses}
