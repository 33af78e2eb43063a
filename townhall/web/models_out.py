"""What the comment and moderation answers hold, for ``/openapi.json``: a thread's comments (``CommentsPage``), a
posted or edited comment (``CommentAnswer``), a reaction and a report, the moderators' queues (``QueueOut``) and their
decisions. The use cases build these answers as dicts (townhall.service.comments ``serialize``, threads, featured,
moderation); the routes name these models with ``responses=`` only (documentation), or as the ``response_model`` of a
route that answers with a ready ``Response`` (never filtered either), so that a model can never drop or change a
field of an answer. tests/api/test_openapi_answers.py holds real answers to them, strictly: a field the service adds
and a model leaves out, or a wrong type, fails it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from townhall.web.models import ThreadOut


def documented(model: type[BaseModel], status: int = 200, description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` naming ``model`` as the answer of ``status``, with ``response_model=None`` on the route: the schema
    shows its fields while the route's dict is answered as the service built it (a ``response_model`` would filter
    it to the model's fields, and add the ones it leaves out as null)."""
    answer: dict[str, Any] = {"model": model}
    if description is not None:
        answer["description"] = description
    return {status: answer}


class AuthorOut(BaseModel):
    """Who wrote a comment, as readers see it."""

    id: int = Field(description="The author's account id (what `PUT /api/v1/me/ignored/{account_id}` takes).")
    name: str = Field(description="Their display name.")
    supporter: bool = Field(description="A paying supporter of the publisher (the widget shows a badge).")
    guest: bool = Field(description="A guest account (no sign-in; a name only).")
    moderator: bool = Field(description="A moderator or administrator of the site.")


class HitOut(BaseModel):
    """A house rule that fired on a comment, with the evidence the reader can check."""

    rule: str = Field(description="The rule's name (as `GET /api/v1/site` lists it).")
    description: str = Field(description="What the rule says, for people.")
    action: str = Field(description="What the rule does when it fires: reject, hold or flag.")
    span: list[int] | None = Field(description="`[start, end)`: the characters of the text it fired on, or null.")
    evidence: str | None = Field(description="The reader's own words it fired on, or the features that drove a score.")
    score: float | None = Field(description="A classifier's score (0 to 1), for a rule that has one.")
    strike: bool = Field(description="Whether it counts toward the enforcement ladder (a strike).")
    reasons: list[str] = Field(description="What contributed most to a classifier's score, if any.")


class CommentOut(BaseModel):
    """A comment as a reader is shown it (townhall.service.comments.serialize)."""

    id: int
    parent_id: int | None = Field(description="The comment it replies to, or null for a top-level comment.")
    status: str = Field(description="published; held (awaiting a moderator: only its author sees it); rejected or "
                                    "deleted (a tombstone kept for its replies: no text, no author).")
    html: str = Field(description="The comment as server-made HTML (p, br, a href, blockquote); empty for a tombstone.")
    author: AuthorOut | None = Field(description="Who wrote it; null for a tombstone (deleted, removed) or a placeholder "
                                                 "of an ignored author.")
    created_at: str = Field(description="When it was written (ISO 8601, UTC).")
    edited_at: str | None = Field(description="When it was last edited (ISO 8601, UTC), or null.")
    reactions: int = Field(description="How many readers liked it.")
    own: bool = Field(description="Written by the signed-in reader.")
    featured: bool = Field(description="A moderators' pick (also in the thread's featured list).")
    text: str | None = Field(default=None, description="The reader's own text as written, for editing: only on "
                                                       "the signed-in reader's own comments (absent otherwise).")
    my_reaction: str | None = Field(default=None, description="The signed-in reader's reaction to it ('like') or null; "
                                                              "absent for signed-out readers and tombstones.")


class ListedCommentOut(CommentOut):
    """A comment of a thread's listing, with its replies nested under it."""

    replies: list[ListedCommentOut] = Field(description="Its replies, oldest first, nested the same way (a top-level "
                                                        "comment's first 50; empty in a flat page and in the "
                                                        "featured list).")
    more_replies: bool | None = Field(default=None, description="On a top-level comment of a nested page: whether "
                                                                "it has more replies than `replies` holds.")
    replies_cursor: str | None = Field(default=None, description="Where `more_replies`: send it as `cursor` with "
                                                                 "`root` = this comment's id for the rest.")
    ignored: bool | None = Field(default=None, description="true on a placeholder of a comment by an author the reader "
                                                           "ignores (no text, no author); absent otherwise.")


class CommentsPage(BaseModel):
    """``GET /api/v1/threads/{thread}/comments``: the thread and a page of its comments."""

    thread: ThreadOut
    comments: list[ListedCommentOut] = Field(description="Top-level comments with their replies nested; with "
                                                         "`root`: that comment's further replies, flat, oldest first.")
    next_cursor: str | None = Field(description="Send it back as `cursor` for the next page; null on the last page.")
    flat: bool | None = Field(default=None, description="true on a page of further replies (`root`); absent otherwise.")


class FeaturedPage(BaseModel):
    """``GET /api/v1/threads/{thread}/featured``."""

    comments: list[ListedCommentOut] = Field(description="The thread's published featured comments, most recently "
                                                         "featured first, flat (`replies` empty).")


class JudgedCommentOut(CommentOut):
    """The reader's comment as the house rules just judged it (posted or edited)."""

    verdict: str = Field(description="The comment's status after judgement: published or held.")
    hits: list[HitOut] = Field(description="The rules that decided it (why it is held); empty when published.")


class CommentAnswer(BaseModel):
    """``POST /api/v1/threads/{thread}/comments`` and ``PATCH /api/v1/comments/{id}``: the comment as judged."""

    comment: JudgedCommentOut
    verdict: str = Field(description="published, or held (a moderator decides; only the reader sees it meanwhile). "
                                     "A comment the house rules refuse is answered 422 `rejected_by_house_rules`.")
    guest_token: str | None = Field(default=None, description="A guest's first comment only: the token that signs the "
                                                               "guest in, to edit it or post again.")


class ReactionAnswer(BaseModel):
    comment_id: int
    reactions: int = Field(description="The comment's likes, this one counted.")
    my_reaction: str | None = Field(description="The reader's reaction now ('like'), or null once taken back.")


class ReportAnswer(BaseModel):
    comment_id: int
    reported: bool = Field(description="Always true: the moderators have the report.")
    duplicate: bool = Field(description="The reader had already reported this comment (nothing new was recorded).")


class QueueAuthorOut(BaseModel):
    id: int
    name: str
    state: str = Field(description="The account's standing: active, warned, suspended, banned or premoderated.")
    created_at: str | None = Field(description="When the account was made (ISO 8601, UTC).")


class QueueDecisionOut(BaseModel):
    """The comment's latest decision: the house rules' or a moderator's."""

    verdict: str = Field(description="publish, hold or reject.")
    hits: list[dict[str, Any]] | None = Field(description="The rules that fired (as `HitOut`; older versions' may differ).")
    scores: dict[str, float] | None = Field(description="The classifiers' scores, by name.")
    policy_version: str | None = Field(description="The house rules' version that judged it; '-' for a moderator.")
    source: str = Field(description="pipeline (the house rules), moderator, or another source.")
    reason: str | None = Field(description="The moderator's reason, if any.")


class ReportEntryOut(BaseModel):
    account_id: int = Field(description="The reporting reader's account.")
    reason: str = Field(description="abusive, obscene, f_word, spam, paid_troll, off_topic or other.")
    note: str | None
    weight: float = Field(description="How much it counts (a new account's report counts less).")


class QueueCommentOut(BaseModel):
    """An item of the held, rejected and reported queues."""

    id: int
    thread: str | None = Field(description="The thread's id (the publisher's article id).")
    thread_title: str | None
    parent_id: int | None
    text: str = Field(description="The comment as written (plain text).")
    html: str
    status: str
    created_at: str | None
    featured: bool
    author: QueueAuthorOut | None
    decision: QueueDecisionOut | None
    report_weight: float | None = Field(default=None, description="reported queue: its open reports' total weight.")
    reporters: int | None = Field(default=None, description="reported queue: how many readers reported it.")
    reports: list[ReportEntryOut] | None = Field(default=None, description="reported queue: its open reports.")


class QueueAppealOut(BaseModel):
    """An item of the appeals queue: an open appeal, with the action it is against."""

    id: int
    action_id: int
    account_id: int
    text: str = Field(description="The reader's appeal.")
    state: str
    response: str | None
    decided_by: str | None
    created_at: str | None
    decided_at: str | None
    display_name: str = Field(description="The appealing reader's name.")
    action_kind: str = Field(description="strike, warn, suspend, ban or premoderate.")
    action_reason: str
    own_action: bool = Field(description="The asking moderator took the action: another moderator answers it.")


class QueueFlagOut(BaseModel):
    """An item of the flags queue: ban evasion or a coordination cluster."""

    id: int
    site_id: str
    kind: str
    state: str
    score: float
    accounts: Any = Field(description="The accounts involved (their ids).")
    evidence: Any = Field(description="What the detector saw.")
    key: str | None
    created_at: str | None
    decided_at: str | None
    decided_by: str | None


class QueueOut(BaseModel):
    """``GET /api/v1/mod/queues/{name}``."""

    queue: str = Field(description="held, reported, rejected, appeals or flags.")
    items: list[QueueCommentOut | QueueAppealOut | QueueFlagOut] = Field(
        description="Comments (held, reported, rejected), appeals, or flags, by queue.")
    next_before: int | None = Field(description="held and rejected: send it as `before` for the next page; null on "
                                                "the last page, and for the queues that are not paged.")


class CommentDecisionAnswer(BaseModel):
    comment_id: int
    status: str = Field(description="The comment's status now: published or rejected.")
    notice: str | None = Field(default=None, description="Set when nothing changed (an approval of a published "
                                                         "comment with no open report).")


class FeaturedAnswer(BaseModel):
    comment_id: int
    featured: bool


class SanctionAnswer(BaseModel):
    action_id: int
    account_id: int
    sanction: str


class RestoreAnswer(BaseModel):
    action_id: int | None = Field(description="The restore's action; null when there was nothing to lift.")
    account_id: int
    revoked: list[int] = Field(description="The sanctions lifted (action ids).")
    cleared_strikes: list[int] = Field(description="The strikes revoked (with `clear_strikes`).")
    notice: str | None = Field(default=None, description="Why nothing was recorded, when nothing was.")


class AppealDecisionAnswer(BaseModel):
    appeal_id: int
    state: str = Field(description="upheld, reversed, or moot (the action had been lifted meanwhile).")
    restored_comments: list[int] = Field(description="Comments published again by a reversal.")
    notice: str | None = Field(default=None)


class ThreadStateAnswer(BaseModel):
    thread: str
    state: str = Field(description="open or closed.")
    closed_reason: str | None = Field(description="moderator, age, or null while open.")
    closes_at: str | None
    kept_open: bool = Field(description="Opened past the site's age limit: it stays open until a moderator closes it.")
