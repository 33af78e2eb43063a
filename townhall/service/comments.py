"""Readers' use cases: post, edit, delete, react, report. Every stored comment has a stored decision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Mapping

from sqlalchemy import Connection

from townhall.policy.links import LINKS_RULE
from townhall.policy.policyfile import ARTICLE_RULE, NEW_ACCOUNT_RULE
from townhall.policy.types import Action, Decision, Hit, Subject, Verdict
from townhall.service import accounts as acct
from townhall.service import evasion
from townhall.service.history import recent_history_hit
from townhall.service.article_urls import article_url, clean_title, site_origins
from townhall.service.closing import closure
from townhall.service.core import Services, as_utc, storable
from townhall.service.enforcement import apply_strike, bans_carried
from townhall.service.errors import Conflict, Forbidden, Invalid, NotFound, RuleRejected, no_such_site
from townhall.service.identity import Identity
from townhall.service.render import rendered
from townhall.store import content, moderation, people
from townhall.trolls.events import ReactionKind
from townhall.store.schema import MAX_ID, AccountState, ActorKind, CommentStatus, DecisionSource, Role, is_featured

MAX_THREAD_ID = 300
REPORT_REASONS = ("abusive", "obscene", "f_word", "spam", "paid_troll", "off_topic", "other")
REACTIONS = ("like",)
ARTICLE_HELD = "Comments on this article are reviewed by a moderator before they appear."
_STATUS = {Verdict.PUBLISH: CommentStatus.PUBLISHED, Verdict.HOLD: CommentStatus.HELD, Verdict.REJECT: CommentStatus.REJECTED}


@dataclass(frozen=True, slots=True)
class ClientSignals:
    ip: str | None = None
    user_agent: str | None = None
    device: str | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    comment: dict[str, Any]
    decision: Decision
    actions: list[int]


def check_thread_id(thread_id: str) -> str:
    if not thread_id or len(thread_id) > MAX_THREAD_ID or not thread_id.isprintable():
        raise Invalid(f"A thread id is 1 to {MAX_THREAD_ID} printable characters.", {"field": "thread_id"})
    return thread_id


def get_or_create_thread(conn: Connection, svc: Services, site: Mapping[str, Any], external_id: str,
                         url: str | None = None, title: str | None = None) -> Mapping[str, Any]:
    thread = content.get_thread(conn, site["id"], external_id)
    if thread is not None:
        return thread
    if not site["auto_create_threads"]:
        raise NotFound("No such thread, and this site does not create threads on first comment.", {"thread_id": external_id})
    # The article's address: the API takes only a web address (article_urls.web_address); one off the site's
    # origins is not kept (the comment is: the widget sends the publisher's data-url, which the reader cannot
    # change), so the thread is made without an address, as every output would show it anyway.
    address = article_url(_short(url, 2000), site_origins(site))
    # The title is the page's document.title: tabs, line breaks, other control characters and bidirectional
    # controls are dropped (whitespace made one space), not refused, for the same reason (article_urls.clean_title)
    thread_id = content.insert_thread(conn, site_id=site["id"], external_id=external_id, url=address,
                                      title=clean_title(title), now=svc.now())
    # None: a concurrent first comment (or a moderator, an import) created the thread a moment ago (PostgreSQL)
    row = (content.get_thread_by_id(conn, thread_id) if thread_id is not None
           else content.get_thread(conn, site["id"], external_id))
    assert row is not None
    return row


def _short(value: str | None, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _site(conn: Connection, site_id: str) -> Mapping[str, Any]:
    site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    return site


def judge(svc: Services, policy: Any, site_id: str, account_id: int, text: str) -> tuple[Subject, Decision]:
    """Run the house rules on ``text`` with what is known before any transaction is opened.

    This is the slow part of posting (the normaliser and the classifiers, a few milliseconds, longer where
    the encoder re-reads a comment), so it runs before the write lock is taken: SQLite has one writer, and
    work done while holding it makes every other writer wait. :func:`settle` finishes the decision with the
    facts read inside the transaction."""
    score, cluster = (None, None)
    if svc.trolls is not None:
        score, cluster = svc.trolls.account_score(site_id, account_id)
    subject = Subject(text=text, thread_closed=False, account_trusted=False, coordination_score=score,
                      coordination_cluster=cluster)
    return subject, policy.evaluate(subject)


def settle(svc: Services, conn: Connection, policy: Any, account: Mapping[str, Any], subject: Subject,
           decision: Decision, thread_closed: bool, premoderated: bool = False, comment_id: int | None = None) -> Decision:
    """The decision of :func:`judge`, corrected for the thread's state and the author's standing as the
    transaction ``conn`` sees them (each re-evaluation is rare: closed threads, holds of trusted readers).
    ``premoderated``: the thread's, a moderator's choice; a reader's comment the rules would publish is held there
    (with the account's own hold, if any, beside it: releasing that alone must not publish it); moderators' and
    administrators' are not. Like the account's holds, it is no sanction and counts no strike. The site's
    ``premoderate_links`` (a policy phase, so the dashboard's "try it" box and ``townhall moderate`` show it) spares
    the same authors: their comment is judged again as theirs; trusted readers are held as on such an article.
    The site's ``[history]`` holds a reader's comment while most of their recent comments were rejected
    (townhall.service.history; ``comment_id``: the comment being edited, left out of its own record), beside any
    hold of the account, so that lifting that one alone does not publish it; trusted readers are held too (their
    trust is an older record than the one that holds them)."""
    if account["role"] != Role.READER.value and any(h.rule == LINKS_RULE for h in decision.hits):
        subject = replace(subject, author_moderator=True)
        decision = policy.evaluate(subject)
    if thread_closed:
        subject = replace(subject, thread_closed=True)
        decision = policy.evaluate(subject)
    if decision.verdict is Verdict.HOLD and acct.trusted(conn, svc, account, policy):  # trust only matters for holds
        decision = policy.evaluate(replace(subject, account_trusted=True))
    publishable = decision.verdict is Verdict.PUBLISH  # by the house rules alone
    if publishable and account["state"] == AccountState.PREMODERATED.value:
        hit = Hit(acct.PREMODERATION_RULE, acct.PREMODERATED_HELD, Action.HOLD)
        decision = Decision(Verdict.HOLD, decision.hits + (hit,), decision.scores, decision.policy_version)
    elif publishable and acct.held_as_new(conn, account, policy):
        hit = Hit(NEW_ACCOUNT_RULE, acct.NEW_ACCOUNT_HELD, Action.HOLD)
        decision = Decision(Verdict.HOLD, decision.hits + (hit,), decision.scores, decision.policy_version)
    if publishable and (hit := recent_history_hit(conn, svc, account, policy, exclude=comment_id)) is not None:
        decision = Decision(Verdict.HOLD, decision.hits + (hit,), decision.scores, decision.policy_version)
    if publishable and premoderated and account["role"] == Role.READER.value:
        hit = Hit(ARTICLE_RULE, ARTICLE_HELD, Action.HOLD)
        decision = Decision(Verdict.HOLD, decision.hits + (hit,), decision.scores, decision.policy_version)
    return decision


def rejection(decision: Decision, comment_id: int | None, text: str) -> RuleRejected:
    hits = [h.to_dict() for h in decision.deciding_hits]
    message = " ".join(dict.fromkeys(h.description for h in decision.deciding_hits)) or "The house rules refused this comment."
    return RuleRejected(message, {"comment_id": comment_id, "hits": hits, "text": text, "policy_version": decision.policy_version})


def _lock_author(conn: Connection, svc: Services, ident: Identity, judged: Decision) -> Mapping[str, Any]:
    """The author's account, locked (:func:`townhall.service.accounts.require_can_post`). A comment judged to
    cost a strike may climb the ladder to a ban, carried to the same person's accounts on the installation's
    other sites (``ban_scope = "installation"``): those are locked first, all in id order
    (:func:`townhall.store.people.lock_person`), as a moderator's ban of one of them locks them; locking the author
    first, then the others as the ban reached them, deadlocked against it (tests/enforcement/test_lock_person.py).
    Under ``ban_scope = "site"`` no ban reaches them, and finding them scans every account: the author alone
    (tests/dashboard/test_dashboard_decision_queries.py)."""
    if judged.verdict is Verdict.REJECT and judged.strike and bans_carried(svc, ident.site_id):
        people.lock_person(conn, ident.account_id)
    return acct.require_can_post(conn, svc, ident.account_id, lock=True)


def _comment_text(text: Any) -> str:
    """The text as it will be judged and stored: a string, NUL characters dropped, otherwise storable."""
    if not isinstance(text, str):
        raise Invalid("'text' must be a string.", {"field": "text"})
    text = text.replace("\x00", "")
    if not storable(text):
        raise Invalid("The text contains characters that are not valid Unicode.", {"field": "text"})
    return text


def post(svc: Services, ident: Identity, thread_external_id: str, text: Any, parent_id: Any = None,
         signals: ClientSignals = ClientSignals(), url: str | None = None, title: str | None = None) -> Posted:
    check_thread_id(thread_external_id)
    text = _comment_text(text)
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool) or not 1 <= parent_id <= MAX_ID):
        raise Invalid("'parent_id' must be a comment id (a positive integer) or null.", {"field": "parent_id"})
    now = svc.now()
    site = svc.site(ident.site_id)
    if site is None:
        raise no_such_site(ident.site_id)
    acct.require_guests_allowed(site, ident)
    policy = svc.policies.for_site(site)
    ip_hash = svc.hasher.ip_prefix(signals.ip, now)
    device_hash = svc.hasher.device(signals.device)
    subject, first = judge(svc, policy, site["id"], ident.account_id, text)
    made = rendered(text)  # the HTML and the renderer version that made it
    with svc.db.write() as conn:  # one transaction: settled, stored and audited together
        account = _lock_author(conn, svc, ident, first)
        thread = get_or_create_thread(conn, svc, site, thread_external_id, url, title)
        parent = None
        if parent_id is not None:
            parent = content.get_comment(conn, parent_id)
            if parent is None or parent["thread_id"] != thread["id"] or parent["status"] != CommentStatus.PUBLISHED.value:
                # its own code: a reader meets it when the comment they answer was removed while they wrote, and a
                # widget in another language says it in its own words (the generic ``invalid`` keeps the server's)
                raise Invalid("You can only reply to a published comment of this thread.", {"field": "parent_id"},
                              code="parent_unavailable")
        if device_hash and account["device_hash"] is None:  # the account's first device, kept as evasion evidence
            people.update_account(conn, ident.account_id, device_hash=device_hash)
        # Ban evasion is checked before the comment is judged: under ``action = "premoderate"`` the comment that
        # shows the banned reader's device or network is held like the ones after it, not published.
        if evasion.check_in(conn, svc, site["id"], ident.account_id, ip_hash, device_hash, text) is not None:
            account = people.get_account(conn, ident.account_id) or account
        # closed by a moderator, or past the site's close_after_days: refused alike (the closed_thread phase)
        decision = settle(svc, conn, policy, account, subject, first, closure(svc, policy, thread, now).closed,
                          bool(thread["premoderated"]))
        status = _STATUS[decision.verdict]
        values: dict[str, Any] = dict(
            thread_id=thread["id"], account_id=ident.account_id, parent_id=parent_id,
            root_id=(parent["root_id"] or parent["id"]) if parent is not None else None,
            depth=(parent["depth"] + 1) if parent is not None else 0,
            body=text, **made, status=status.value, reactions=0, created_at=now, edited_at=None,
            ip_hash=ip_hash, ua_hash=svc.hasher.user_agent(signals.user_agent, now), device_hash=device_hash,
        )
        comment_id = content.insert_comment(conn, **values)
        row: Mapping[str, Any] = {"id": comment_id, **values}
        _store_decision(conn, svc, comment_id, decision)
        svc.audit(conn, action=f"comment.{status.value}", subject_type="comment", subject_id=comment_id,
                  actor_kind=ActorKind.POLICY.value, actor="policy", site_id=site["id"], policy_version=decision.policy_version,
                  details={"account_id": ident.account_id, "thread": thread_external_id, "verdict": decision.verdict.value,
                           "rules": [h.rule for h in decision.deciding_hits]})
        actions: list[int] = []
        if decision.verdict is Verdict.REJECT and decision.strike:
            hit = next(h for h in decision.deciding_hits if h.strike)
            actions = apply_strike(conn, svc, account=account, policy=policy, rule=hit.rule, comment_id=comment_id,
                                   reason=hit.description)
        out = serialize(row, account, viewer_id=ident.account_id, decision=decision)
    _after_write(svc, site["id"], thread_external_id, row, out, ident, account, ip_hash, device_hash)
    if decision.verdict is Verdict.REJECT:
        raise rejection(decision, comment_id, text)
    return Posted(out, decision, actions)


def _store_decision(conn: Connection, svc: Services, comment_id: int, decision: Decision,
                    source: DecisionSource = DecisionSource.PIPELINE) -> None:
    moderation.insert_decision(
        conn, comment_id=comment_id, source=source.value, verdict=decision.verdict.value,
        hits=[h.to_dict() for h in decision.hits], scores={k: float(v) for k, v in decision.scores.items()},
        policy_version=decision.policy_version, created_at=svc.now(),
    )


def _after_write(svc: Services, site_id: str, thread_external_id: str, row: Mapping[str, Any], out: dict[str, Any],
                 ident: Identity, account: Mapping[str, Any], ip_hash: str | None, device_hash: str | None) -> None:
    if row["status"] == CommentStatus.PUBLISHED.value:
        svc.events.publish(svc.events.channel(site_id, thread_external_id), svc.published_event(row))
    if svc.trolls is not None:
        svc.trolls.observe(site_id, thread_external_id, row, ip_hash, device_hash, account["created_at"])
    event = {"published": "comment.created", "held": "comment.held", "rejected": "comment.rejected"}.get(row["status"])
    if event:
        svc.emit(event, site_id, {"comment": out, "thread": thread_external_id, "account_id": ident.account_id})


def published_data(conn: Connection, comment_id: int, thread_external_id: str) -> dict[str, Any] | None:
    """The data of ``comment.published`` (a comment published after it was posted: webhooks, the reply e-mail) as
    ``comment.created``'s (:func:`_after_write`), so that a receiver treats both alike: the comment as its author
    sees it, as this publication made it (read in its transaction), its verdict (a publication has no deciding
    hits), the thread, and the author's account."""
    row = content.get_comment(conn, comment_id)
    if row is None:
        return None
    author_id = int(row["account_id"])
    out = serialize(row, people.get_account(conn, author_id), viewer_id=author_id)
    return {"comment": {**out, "verdict": row["status"], "hits": []}, "thread": thread_external_id, "account_id": author_id}


def serialize(row: Mapping[str, Any], author: Mapping[str, Any] | None, *, viewer_id: int | None,
              decision: Decision | None = None, my_reaction: str | None = None) -> dict[str, Any]:
    deleted = row["status"] == CommentStatus.DELETED.value
    own = viewer_id is not None and row["account_id"] == viewer_id
    out: dict[str, Any] = {
        "id": row["id"],
        "parent_id": row["parent_id"],
        "status": row["status"],
        "html": "" if deleted else row["html"],
        "author": None if deleted or author is None else {
            "id": author["id"], "name": author["display_name"], "supporter": bool(author["supporter"]),
            "guest": bool(author["guest"]), "moderator": author["role"] in ("moderator", "admin"),
        },
        "created_at": as_utc(row["created_at"]).isoformat(),
        "edited_at": as_utc(row["edited_at"]).isoformat() if row["edited_at"] else None,
        "reactions": row["reactions"],
        "own": own,
        "featured": is_featured(row),
    }
    if own and not deleted:
        out["text"] = row["body"]
    if viewer_id is not None and not deleted:
        out["my_reaction"] = my_reaction  # the signed-in reader's reaction, so the widget shows it pressed
    if decision is not None:
        out["verdict"] = row["status"]
        out["hits"] = [h.to_dict() for h in decision.deciding_hits]
    return out


def _own_comment(conn: Connection, ident: Identity, comment_id: int, *, lock: bool = False) -> Mapping[str, Any]:
    """``lock``: the comment's row stays locked until the transaction ends; the caller locked the reader's
    account before (the lock order: townhall.store.people.get_account)."""
    row = content.get_comment(conn, comment_id, for_update=lock)
    if row is None or row["status"] == CommentStatus.DELETED.value:
        raise NotFound("No such comment.", {"comment_id": comment_id})
    thread = content.get_thread_by_id(conn, row["thread_id"])
    if thread is None or thread["site_id"] != ident.site_id:
        raise NotFound("No such comment.", {"comment_id": comment_id})
    if row["account_id"] != ident.account_id:
        raise Forbidden("You can only change your own comments.")
    return row


def _editable(conn: Connection, ident: Identity, comment_id: int, *, lock: bool = False) -> Mapping[str, Any]:
    """The reader's own comment, unless a moderator removed it (editing must not publish it again; one the
    house rules refused can be mended and sent again). ``lock``: see :func:`_own_comment`."""
    row = _own_comment(conn, ident, comment_id, lock=lock)
    if row["status"] == CommentStatus.REJECTED.value:
        latest = moderation.latest_decisions(conn, [comment_id]).get(comment_id)
        if latest is not None and latest["source"] == DecisionSource.MODERATOR.value:
            raise Forbidden("A moderator removed this comment; it cannot be edited. You may appeal.",
                            code="removed_by_moderator")
    return row


def _open_thread_of(conn: Connection, svc: Services, policy: Any, row: Mapping[str, Any]) -> Mapping[str, Any]:
    """The thread of a comment about to be edited, unless it was closed (by a moderator, or by the site's
    close_after_days): an edit there is refused and changes nothing (judged as a new comment in a closed thread,
    it would take a published comment off the thread)."""
    thread = content.get_thread_by_id(conn, row["thread_id"])
    assert thread is not None
    if closure(svc, policy, thread).closed:
        raise Forbidden("Comments are closed on this article; its comments can no longer be edited.",
                        {"comment_id": row["id"]}, code="thread_closed")
    return thread


def edit(svc: Services, ident: Identity, comment_id: int, text: Any) -> Posted:
    text = _comment_text(text)
    with svc.db.read() as conn:
        row = _editable(conn, ident, comment_id)
        site = _site(conn, ident.site_id)
        acct.require_guests_allowed(site, ident)
        policy = svc.policies.for_site(site)
        account = acct.require_can_post(conn, svc, ident.account_id)
        window = svc.settings.edit_window_minutes
        if window < 0:
            window = policy.settings.comments.edit_window_minutes
        if svc.now() - as_utc(row["created_at"]) > timedelta(minutes=window):
            raise Forbidden(f"Comments can be edited for {window:g} minutes after posting.", {"minutes": window},
                            code="edit_window_closed")
        thread = _open_thread_of(conn, svc, policy, row)
        subject, first = judge(svc, policy, ident.site_id, ident.account_id, text)
        premoderated = bool(thread["premoderated"])
        decision = settle(svc, conn, policy, account, subject, first, thread_closed=False, premoderated=premoderated,
                          comment_id=comment_id)
    status = _STATUS[decision.verdict]
    made = rendered(text)  # the HTML and the renderer version that made it
    with svc.db.write() as conn:  # checked again: a moderator, a sanction or a closed thread may have come in between
        # The account, then the comment (the lock order, townhall.store.people.get_account): a moderator's
        # decision on the comment takes them in the same order. The comment's lock keeps what is checked here
        # (not deleted meanwhile, not removed by a moderator) true until the update.
        account = _lock_author(conn, svc, ident, decision)
        row = _editable(conn, ident, comment_id, lock=True)
        thread = _open_thread_of(conn, svc, policy, row)
        if bool(thread["premoderated"]) != premoderated:  # a moderator premoderated the article, or stopped, meanwhile
            decision = settle(svc, conn, policy, account, subject, first, False, not premoderated, comment_id)
            status = _STATUS[decision.verdict]
        content.update_comment(conn, comment_id, body=text, **made, status=status.value, edited_at=svc.now())
        _store_decision(conn, svc, comment_id, decision)
        svc.audit(conn, action="comment.edited", subject_type="comment", subject_id=comment_id,
                  actor_kind=ActorKind.READER.value, actor=f"account:{ident.account_id}", site_id=ident.site_id,
                  policy_version=decision.policy_version, details={"verdict": decision.verdict.value, "before": row["status"]})
        actions: list[int] = []
        if decision.verdict is Verdict.REJECT and decision.strike:
            account = people.get_account(conn, ident.account_id)
            assert account is not None
            hit = next(h for h in decision.deciding_hits if h.strike)
            actions = apply_strike(conn, svc, account=account, policy=policy, rule=hit.rule, comment_id=comment_id, reason=hit.description)
        fresh = content.get_comment(conn, comment_id)
        author = people.get_account(conn, ident.account_id)
        assert fresh is not None
        published = status is CommentStatus.PUBLISHED
        if published and row["status"] != CommentStatus.PUBLISHED.value:  # a mend published it: readers never saw it
            svc.announce(conn, ident.site_id, thread["external_id"], svc.published_event(row))  # and the reply e-mail
        out = serialize(fresh, author, viewer_id=ident.account_id, decision=decision)
    channel = svc.events.channel(ident.site_id, thread["external_id"])
    was_published = row["status"] == CommentStatus.PUBLISHED.value
    if published and was_published:
        svc.events.publish(channel, {"type": "comment.edited", "id": comment_id})
    elif was_published and not published:  # the edit is held or refused: readers stop seeing the old text
        svc.events.publish(channel, {"type": "comment.removed", "id": comment_id, "parent_id": row["parent_id"]})
    if decision.verdict is Verdict.REJECT:
        raise rejection(decision, comment_id, text)
    return Posted(out, decision, actions)


def delete(svc: Services, ident: Identity, comment_id: int) -> None:
    with svc.db.write() as conn:
        row = _own_comment(conn, ident, comment_id, lock=True)  # what it was (audited) stays so until it is gone
        content.update_comment(conn, comment_id, status=CommentStatus.DELETED.value)
        moderation.insert_decision(
            conn, comment_id=comment_id, source=DecisionSource.AUTHOR.value, verdict="deleted", hits=[], scores={},
            policy_version="-", moderator=f"account:{ident.account_id}", reason="Deleted by its author", created_at=svc.now(),
        )
        svc.audit(conn, action="comment.deleted", subject_type="comment", subject_id=comment_id,
                  actor_kind=ActorKind.READER.value, actor=f"account:{ident.account_id}", site_id=ident.site_id,
                  details={"before": row["status"]})
        thread = content.get_thread_by_id(conn, row["thread_id"])
    if thread is not None:
        svc.events.publish(svc.events.channel(ident.site_id, thread["external_id"]), {"type": "comment.deleted", "id": comment_id})


def _visible_comment(conn: Connection, ident: Identity, comment_id: int) -> Mapping[str, Any]:
    row = content.get_comment(conn, comment_id)
    thread = content.get_thread_by_id(conn, row["thread_id"]) if row is not None else None
    if row is None or thread is None or thread["site_id"] != ident.site_id or row["status"] != CommentStatus.PUBLISHED.value:
        raise NotFound("No such comment.", {"comment_id": comment_id})
    return row


def react(svc: Services, ident: Identity, comment_id: int, kind: Any) -> dict[str, Any]:
    if kind is not None and kind not in REACTIONS:
        raise Invalid("Unknown reaction.", {"allowed": list(REACTIONS)})
    with svc.db.write() as conn:
        acct.require_guests_allowed(_site(conn, ident.site_id), ident)
        acct.require_can_post(conn, svc, ident.account_id)
        row = _visible_comment(conn, ident, comment_id)
        if row["account_id"] == ident.account_id and kind is not None:
            raise Conflict("You cannot react to your own comment.")
        if kind is None:
            content.delete_reaction(conn, comment_id, ident.account_id)
        else:
            content.put_reaction(conn, comment_id, ident.account_id, kind, svc.now())
        fresh = content.get_comment(conn, comment_id)
        assert fresh is not None
    if svc.trolls is not None and kind is not None:
        svc.trolls.observe_reaction(ident.site_id, ident.account_id, comment_id, ReactionKind.LIKE)
    return {"comment_id": comment_id, "reactions": fresh["reactions"], "my_reaction": kind}


def report(svc: Services, ident: Identity, comment_id: int, reason: Any, note: Any = None) -> dict[str, Any]:
    if reason not in REPORT_REASONS:
        raise Invalid("Choose a reason for the report.", {"allowed": list(REPORT_REASONS), "field": "reason"})
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        raise Invalid("A report note is at most 1000 characters.", {"field": "note"})
    with svc.db.write() as conn:
        # The reader's standing first, in the order a reaction checks it: a banned or suspended reader is told so
        # (403 account_sanctioned, with the appeal link), whichever comment they name, their own included.
        site = _site(conn, ident.site_id)
        acct.require_guests_allowed(site, ident)
        # locked: an erasure of the reader meanwhile (which scrubs report notes) is seen, not outlived by the note
        acct.require_can_post(conn, svc, ident.account_id, lock=True)
        row = _visible_comment(conn, ident, comment_id)
        if row["account_id"] == ident.account_id:
            raise Conflict("You cannot report your own comment.")
        if content.get_report(conn, comment_id, ident.account_id) is not None:
            return {"comment_id": comment_id, "reported": True, "duplicate": True}
        cfg = svc.policies.for_site(site).settings.reports
        reporter = people.get_account(conn, ident.account_id)
        assert reporter is not None
        young = svc.now() - as_utc(reporter["created_at"]) < timedelta(days=cfg.new_account_days)
        weight = cfg.new_account_weight if young or reporter["guest"] else 1.0
        if content.insert_report_once(conn, comment_id=comment_id, account_id=ident.account_id, reason=reason, note=note,
                                      weight=weight, resolved=False, created_at=svc.now()) is None:
            return {"comment_id": comment_id, "reported": True, "duplicate": True}  # a double click, sent twice at once
        total = sum(r["weight"] for r in content.open_reports(conn, comment_id))
        queued = total >= cfg.threshold
        svc.audit(conn, action="comment.reported", subject_type="comment", subject_id=comment_id,
                  actor_kind=ActorKind.READER.value, actor=f"account:{ident.account_id}", site_id=ident.site_id,
                  details={"reason": reason, "weight": weight, "total_weight": total, "queued": queued})
    if svc.trolls is not None:
        svc.trolls.observe_reaction(ident.site_id, ident.account_id, comment_id, ReactionKind.REPORT)
    return {"comment_id": comment_id, "reported": True, "duplicate": False}
