"""Moderators' use cases: queues, approving and rejecting comments, notes, an account's full history."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Connection

from townhall.service.core import Services, as_utc
from townhall.service.enforcement import REPEAT_WINDOW, apply_strike, bans_carried, moderated_account, reverse
from townhall.service.errors import Conflict, Invalid, NotFound, no_such_site
from townhall.service.identity import Actor
from townhall.service.moderators import other_deciders, own_appeal, takers
from townhall.store import content, moderation, people
from townhall.store import dashboard as store_dashboard
from townhall.store.schema import AccountState, ActionKind, AppealState, CommentStatus, DecisionSource, FlagState, is_featured

QUEUES = ("held", "reported", "rejected", "appeals", "flags")
_VERDICT = {CommentStatus.PUBLISHED: "publish", CommentStatus.REJECTED: "reject", CommentStatus.HELD: "hold"}


def _comment_site(conn: Connection, row: Mapping[str, Any]) -> str:
    thread = content.get_thread_by_id(conn, row["thread_id"])
    assert thread is not None
    return str(thread["site_id"])


def set_comment_status(conn: Connection, svc: Services, row: Mapping[str, Any], status: CommentStatus, actor: Actor,
                       reason: str, audited: Mapping[str, Any] | None = None) -> None:
    """A moderator's decision on a comment: its new status, the decision row (with ``reason``) and the audit entry
    (``audited`` adds to or replaces its details: an appeal's id, a longer reason)."""
    content.update_comment(conn, row["id"], status=status.value)
    verdict = _VERDICT.get(status, status.value)
    moderation.insert_decision(conn, comment_id=row["id"], source=DecisionSource.MODERATOR.value, verdict=verdict, hits=[],
                               scores={}, policy_version="-", moderator=actor.id, reason=reason, created_at=svc.now())
    if status is not CommentStatus.HELD:
        content.resolve_reports(conn, row["id"])
    site_id = _comment_site(conn, row)
    svc.audit(conn, action="comment.approved" if status is CommentStatus.PUBLISHED else f"comment.moderated_{status.value}",
              subject_type="comment", subject_id=row["id"], actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
              details={"before": row["status"], "after": status.value, "reason": reason, **(audited or {})})


def _strike_confirmed_hold(conn: Connection, svc: Services, row: Mapping[str, Any], site_id: str) -> None:
    """A moderator who rejects a comment the house rules held for a strike-bearing rule (abusive, obscene)
    confirms the rule: the author gets the strike the rule would have given on an automatic rejection."""
    pipeline = [d for d in moderation.decisions_for(conn, [row["id"]]) if d["source"] == DecisionSource.PIPELINE.value]
    if not pipeline:
        return
    policy = svc.policies.for_site(content.get_site(conn, site_id))
    for hit in pipeline[-1]["hits"] or []:
        if hit.get("action") != "hold":
            continue
        try:
            rule = policy.rule(hit.get("rule"))
        except KeyError:
            continue
        if getattr(rule, "strike", False):
            account = people.get_account(conn, row["account_id"])
            if account is not None:
                apply_strike(conn, svc, account=account, policy=policy, rule=str(hit["rule"]), comment_id=int(row["id"]),
                             reason=str(hit.get("description") or hit["rule"]))
            return


def _lift_strikes_for(conn: Connection, svc: Services, actor: Actor, row: Mapping[str, Any]) -> None:
    """A moderator who publishes a comment the house rules rejected says the rules were wrong: the strike it
    cost its author goes, with what the ladder did because of it (as when an appeal is granted)."""
    account = people.get_account(conn, int(row["account_id"]), for_update=True)  # held already (lock_comment)
    strikes = [a for a in moderation.actions_for(conn, int(row["account_id"]))
               if a["kind"] == ActionKind.STRIKE.value and a["comment_id"] == row["id"] and a["revoked_at"] is None]
    if strikes and account is not None:
        reverse(conn, svc, account=account, action=strikes[0], actor=actor,
                reason=f"Comment {row['id']} approved by a moderator")


def _stale(conn: Connection, row: Mapping[str, Any], expect_status: str | None, reported: bool) -> bool:
    """Whether the comment changed since the moderator's page showed it in ``expect_status``. A "Keep" on a
    reported comment leaves it published but settles its reports: for a comment shown as reported, reports
    no longer open mean that another moderator decided it meanwhile."""
    if expect_status is None:
        return False
    if row["status"] != expect_status:
        return True
    return reported and not content.open_reports(conn, int(row["id"]))


def _conflict(conn: Connection, svc: Services, actor: Actor, row: Mapping[str, Any], target: CommentStatus,
              site_id: str, latest: Mapping[str, Any] | None) -> Conflict:
    """The answer to a decision on a comment decided meanwhile (``latest``: its latest decision): the moderator's
    own repeat (a double submission) is told so, and so is a page left open on a comment this moderator decided
    otherwise since (another tab, an undo); someone else's decision is a conflict, audited."""
    verb = "approved" if target is CommentStatus.PUBLISHED else "rejected"
    mine = latest is not None and latest["moderator"] == actor.id
    if mine and row["status"] == target.value and latest is not None and latest["verdict"] == _VERDICT[target]:
        return Conflict(f"You have already {verb} this comment.", {"status": row["status"]}, code="already_decided")
    if mine:
        return Conflict(f"You decided this comment since your page showed it: it is {row['status']} now. Reload to "
                        "see it as it is.", {"status": row["status"]})
    svc.audit(conn, action="comment.moderation_conflict", subject_type="comment", subject_id=row["id"],
              actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
              details={"wanted": target.value, "found": row["status"]})
    return Conflict("Another moderator has already decided this comment.", {"status": row["status"]})


def _changes_nothing(conn: Connection, row: Mapping[str, Any], target: CommentStatus,
                     latest: Mapping[str, Any] | None) -> bool:
    """Whether deciding ``target`` for the comment ``row`` would change nothing: approving a published comment
    with no open report (a "Keep" settles its reports: that is a decision), or rejecting a comment a moderator
    has already rejected. A moderator's rejection of a comment the house rules rejected is not nothing: it
    confirms the rules, and the reader then reads the moderator's reason (``GET /api/v1/me``,
    ``removed_comments``)."""
    if row["status"] != target.value:
        return False
    if target is CommentStatus.PUBLISHED:
        return not content.open_reports(conn, int(row["id"]))
    return _by_a_moderator(latest, target)


def _by_a_moderator(latest: Mapping[str, Any] | None, target: CommentStatus) -> bool:
    """Whether the comment's latest decision is a moderator's, the one ``target`` would be."""
    return (latest is not None and latest["source"] == DecisionSource.MODERATOR.value
            and latest["verdict"] == _VERDICT[target])


ALREADY_PUBLISHED = "This comment is already published and has no open report; nothing changed."


def _lock_person_if_reached(conn: Connection, svc: Services, comment_id: int) -> None:
    """Lock the comment's author with their accounts on the installation's other sites, in id order
    (:func:`townhall.store.people.lock_person`), where the decision may change those: a strike that climbs the
    ladder to a ban carries it there (the site's ``ban_scope = "installation"``), and approving a banned author's
    comment may lift the ban, with its copies. Otherwise the author alone is locked, by ``lock_comment``: finding
    the other accounts scans every account (no index serves the subject or the address across sites), which every
    decision on a site-scoped installation paid for nothing (tests/dashboard/test_dashboard_decision_queries.py).
    The state is read before any lock: a site-scoped ban taken meanwhile has no copies for an approval to lift."""
    comment = content.get_comment(conn, comment_id)
    author = people.get_account(conn, int(comment["account_id"])) if comment is not None else None
    if author is None:
        return
    if bans_carried(svc, str(author["site_id"])) or author["state"] == AccountState.BANNED.value:
        people.lock_person(conn, int(author["id"]))


def decide_comment(svc: Services, actor: Actor, comment_id: int, *, approve: bool, reason: str = "",
                   expect_status: str | None = None, reported: bool = False) -> dict[str, Any]:
    """Approve or reject a comment. Two moderators acting at once: the first wins, the second gets 409
    (and both attempts are audited). ``expect_status``: the status the moderator's page showed; a comment
    that changed since is not touched, nor, with ``reported`` (the page showed it with open reports), one
    whose reports were settled since (a "Keep").

    A decision that would change nothing (:func:`_changes_nothing`) records nothing, with or without
    ``expect_status``: where a moderator's decision made the comment so, it is answered as a decision found
    made (409: "You have already …" to that moderator, another moderator's decision to anyone else); an
    approval of a comment published without one is answered with the comment as it is and a ``notice``."""
    if not approve and not reason.strip():
        raise Invalid("Give a reason; the reader will see it.", {"field": "reason"})
    target = CommentStatus.PUBLISHED if approve else CommentStatus.REJECTED
    with svc.db.write() as conn:
        # The author's account is locked before the comment (the lock order, townhall.store.people.get_account):
        # approving lifts a strike, rejecting a held comment may count one, and the author's edit of the comment,
        # or an appeal's decision, locks the account first too; in the other order the two deadlocked. With the
        # author's accounts on other sites, in id order (lock_person), where the decision may change them
        # (:func:`_lock_person_if_reached`).
        _lock_person_if_reached(conn, svc, comment_id)
        row = content.lock_comment(conn, comment_id)
        if row is None:
            raise NotFound("No such comment.")
        site_id = _comment_site(conn, row)
        actor.require_site(site_id)
        if row["status"] == CommentStatus.DELETED.value:
            raise Conflict("Its author deleted this comment; it cannot be published again." if approve
                           else "Its author deleted this comment; there is nothing left to reject.", {"status": row["status"]})
        notice = None
        latest = moderation.latest_decisions(conn, [int(row["id"])]).get(int(row["id"]))
        if _stale(conn, row, expect_status, reported):
            conflict: Conflict | None = _conflict(conn, svc, actor, row, target, site_id, latest)
        elif _changes_nothing(conn, row, target, latest):
            conflict = _conflict(conn, svc, actor, row, target, site_id, latest) if _by_a_moderator(latest, target) else None
            notice = ALREADY_PUBLISHED if conflict is None else None
        else:
            conflict = None
            set_comment_status(conn, svc, row, target, actor, reason.strip() or "Approved by a moderator")
            if not approve and row["status"] == CommentStatus.HELD.value:
                _strike_confirmed_hold(conn, svc, row, site_id)
            if approve and row["status"] == CommentStatus.REJECTED.value:  # the text the rules (or a moderator) refused
                _lift_strikes_for(conn, svc, actor, row)  # not a mend of it, published or held since: that says nothing
            if row["status"] != target.value:  # a "Keep" on a published comment, a rejection confirmed: nothing changes for readers
                svc.announce_on(conn, row["thread_id"], svc.published_event(row) if approve else
                                {"type": "comment.removed", "id": comment_id, "parent_id": row["parent_id"]})
    if conflict is not None:
        raise conflict
    return {"comment_id": comment_id, "status": target.value, **({"notice": notice} if notice else {})}


def add_note(svc: Services, actor: Actor, account_id: int, text: str) -> int:
    return add_note_once(svc, actor, account_id, text)[0]


def add_note_once(svc: Services, actor: Actor, account_id: int, text: str) -> tuple[int, bool]:
    """Add a moderators' note, unless it repeats the account's latest note, by the same moderator within
    ``REPEAT_WINDOW`` (a double click, a form sent again): then that note stands. Returns (note id, added)."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid("A note needs text.", {"field": "text"})
    text = text.strip()[:5000]
    with svc.db.write() as conn:
        account = moderated_account(conn, actor, account_id)  # locked: a repeat sent meanwhile waits, then sees this
        notes = moderation.notes_for(conn, account_id)
        last = notes[-1] if notes else None
        if (last is not None and last["author"] == actor.id and last["text"] == text
                and as_utc(last["created_at"]) >= svc.now() - REPEAT_WINDOW):
            return int(last["id"]), False
        note_id = moderation.insert_note(conn, account_id=account_id, author=actor.id, text=text, created_at=svc.now())
        svc.audit(conn, action="account.note", subject_type="account", subject_id=account_id, actor_kind=actor.kind.value,
                  actor=actor.id, site_id=account["site_id"], details={"note_id": note_id})
        return note_id, True


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def comment_item(conn: Connection, row: Mapping[str, Any], decisions: dict[int, Any], authors: dict[int, Any]) -> dict[str, Any]:
    dec = decisions.get(row["id"])
    author = authors.get(row["account_id"])
    return {
        "id": row["id"], "thread": row.get("thread_external_id"), "thread_title": row.get("thread_title"),
        "parent_id": row["parent_id"], "text": row["body"], "html": row["html"], "status": row["status"],
        "created_at": _iso(row["created_at"]), "featured": is_featured(row),
        "author": {"id": author["id"], "name": author["display_name"], "state": author["state"],
                   "created_at": _iso(author["created_at"])} if author else None,
        "decision": {"verdict": dec["verdict"], "hits": dec["hits"], "scores": dec["scores"],
                     "policy_version": dec["policy_version"], "source": dec["source"], "reason": dec["reason"]} if dec else None,
        **({"report_weight": row["weight"], "reporters": row["reporters"]} if "weight" in row else {}),
    }


_INTERNAL = ("action_actor", "action_comment_id")  # read for own_action, not shown


def appeal_takers(conn: Connection, rows: list[Any]) -> dict[int, set[str]]:
    """Who took the action each appeal of ``rows`` (:func:`townhall.store.moderation.list_appeals`) is against, by
    action id (townhall.service.moderators.takers): one read of the comments' decisions."""
    actions = [{"id": r["action_id"], "actor": r["action_actor"], "comment_id": r["action_comment_id"]} for r in rows]
    cids = sorted({int(a["comment_id"]) for a in actions if a["comment_id"] is not None})
    return takers(actions, moderation.latest_decisions(conn, cids))


def queue(svc: Services, actor: Actor, site_id: str, name: str, *, limit: int = 50, before_id: int | None = None) -> dict[str, Any]:
    actor.require_site(site_id)
    if name not in QUEUES:
        raise Invalid("Unknown queue.", {"allowed": list(QUEUES)})
    with svc.db.read() as conn:
        if name == "appeals":
            rows = moderation.list_appeals(conn, site_id, state=AppealState.OPEN, limit=limit)
            others = other_deciders(conn, site_id, actor.id)
            took = appeal_takers(conn, rows)
            return {"queue": name, "items": [
                {**{k: (_iso(v) if k.endswith("_at") else v) for k, v in r.items() if k not in _INTERNAL},
                 "own_action": own_appeal(actor, took[int(r["action_id"])], others)} for r in rows]}
        if name == "flags":
            rows = moderation.list_flags(conn, site_id, state=FlagState.OPEN, limit=limit)
            return {"queue": name, "items": [{k: (_iso(v) if k.endswith("_at") else v) for k, v in r.items()} for r in rows]}
        if name == "reported":
            cfg = svc.policies.for_site(content.get_site(conn, site_id)).settings.reports
            rows = store_dashboard.reported_comments(conn, site_id, min_weight=cfg.threshold, limit=limit)
        else:
            status = CommentStatus.HELD if name == "held" else CommentStatus.REJECTED
            rows = content.list_by_status(conn, site_id, status, limit=limit, before_id=before_id)
        ids = [r["id"] for r in rows]
        decisions = moderation.latest_decisions(conn, ids)
        authors = people.get_accounts(conn, sorted({r["account_id"] for r in rows}))
        items = [comment_item(conn, r, decisions, authors) for r in rows]
        if name == "reported":
            for item in items:
                item["reports"] = [{"account_id": r["account_id"], "reason": r["reason"], "note": r["note"], "weight": r["weight"]}
                                   for r in content.open_reports(conn, item["id"])]
        return {"queue": name, "items": items, "next_before": ids[-1] if len(ids) == limit else None}


def account_history(svc: Services, actor: Actor, account_id: int) -> dict[str, Any]:
    with svc.db.read() as conn:
        account = moderated_account(conn, actor, account_id)
        rows = content.list_account_comments(conn, account_id, limit=500)
        decisions = moderation.decisions_for(conn, [r["id"] for r in rows])
        by_comment: dict[int, list[Any]] = {}
        for d in decisions:
            by_comment.setdefault(d["comment_id"], []).append(
                {"verdict": d["verdict"], "source": d["source"], "hits": d["hits"], "scores": d["scores"],
                 "reason": d["reason"], "moderator": d["moderator"], "at": _iso(d["created_at"])})
        return {
            "account": {"id": account["id"], "site": account["site_id"], "name": account["display_name"],
                        "subject": account["subject"], "state": account["state"], "until": _iso(account["state_until"]),
                        "supporter": bool(account["supporter"]), "guest": bool(account["guest"]),
                        "created_at": _iso(account["created_at"])},
            "comments": [{"id": r["id"], "text": r["body"], "status": r["status"], "created_at": _iso(r["created_at"]),
                          "featured": is_featured(r), "decisions": by_comment.get(r["id"], [])} for r in rows],
            "actions": [{"id": a["id"], "kind": a["kind"], "actor": a["actor"], "actor_kind": a["actor_kind"], "rule": a["rule"],
                         "reason": a["reason"], "comment_id": a["comment_id"], "created_at": _iso(a["created_at"]),
                         "ends_at": _iso(a["ends_at"]), "revoked_at": _iso(a["revoked_at"])}
                        for a in moderation.actions_for(conn, account_id)],
            "appeals": [{"id": p["id"], "action_id": p["action_id"], "text": p["text"], "state": p["state"],
                         "response": p["response"], "created_at": _iso(p["created_at"])}
                        for p in moderation.appeals_for_account(conn, account_id)],
            "notes": [{"id": n["id"], "author": n["author"], "text": n["text"], "created_at": _iso(n["created_at"])}
                      for n in moderation.notes_for(conn, account_id)],
            "active_strikes": len(moderation.active_strikes(conn, account_id, svc.now())),
        }


def audit_export(svc: Services, who: Actor, site_id: str, **filters: Any) -> list[dict[str, Any]]:
    who.require_site(site_id)
    with svc.db.read() as conn:
        rows = moderation.audit_entries(conn, site_id=site_id, **filters)
    return [{**{k: v for k, v in r.items()}, "at": _iso(r["at"])} for r in rows]


def set_thread_state(svc: Services, actor: Actor, site_id: str, thread_external_id: str, state: str) -> dict[str, Any]:
    """Close a thread to new comments, or open it again. An "open" given once the thread is past the site's
    ``close_after_days`` keeps it open until a moderator closes it (townhall.service.closing). Readers' widgets
    are told when what they show changes: open or closed, or why closed (a moderator's closing of a thread the
    age limit had closed: ``thread.closed`` with ``closed_reason``). The answer carries the thread's effective
    state as the comments list does (``state``, ``closed_reason``, ``closes_at``). A state the thread already has
    (closing a closed thread, opening an open one) changes nothing and is not audited; the answer is the same."""
    from townhall.service import closing
    from townhall.store.schema import ThreadState

    actor.require_site(site_id)
    try:
        target = ThreadState(state)
    except ValueError as exc:
        raise Invalid("A thread is 'open' or 'closed'.", {"field": "state"}) from exc
    with svc.db.write() as conn:
        site = content.get_site(conn, site_id)
        if site is None:
            raise no_such_site(site_id)
        now = svc.now()
        policy = svc.policies.for_site(site)
        thread = content.get_thread(conn, site_id, thread_external_id)
        new_id = None
        if thread is None:
            new_id = content.insert_thread(conn, site_id=site_id, external_id=thread_external_id, url=None, title=None,
                                           now=now)
            if new_id is None:  # PostgreSQL: a first comment created it a moment ago: changed as one already there
                thread = content.get_thread(conn, site_id, thread_external_id)
        if thread is not None:  # locked: a publisher's change of its article data meanwhile is seen, not overwritten
            thread = content.lock_thread(conn, int(thread["id"]))
            assert thread is not None
        before = closing.closure(svc, policy, thread, now)  # a new thread's: not started
        thread_id = int(thread["id"]) if thread is not None else new_id
        assert thread_id is not None
        kept = closing.kept_open_at(policy, thread, target, now)
        if thread is not None and thread["state"] == target.value and as_utc(thread["kept_open_at"]) == kept:
            # a closing of a closed thread, an "open" of an open one: nothing changes, nothing is audited
            return {"thread": thread_external_id, **closing.described(before), "kept_open": kept is not None}
        content.set_thread_state(conn, thread_id, target, kept_open_at=kept)
        fresh = content.get_thread_by_id(conn, thread_id)
        after = closing.closure(svc, policy, fresh, now)
        if after.reason is not None and after.reason != before.reason:  # the widgets hide the form, or say why anew
            svc.announce(conn, site_id, thread_external_id, {"type": "thread.closed", "closed_reason": after.reason.value})
        elif after.reason is None and before.closed:  # they show it again
            svc.announce(conn, site_id, thread_external_id, {"type": "thread.opened"})
        days = policy.settings.comments.close_after_days
        svc.audit(conn, action=f"thread.{target.value}", subject_type="thread", subject_id=thread_external_id,
                  actor_kind=actor.kind.value, actor=actor.id, site_id=site_id,
                  details={"kept_open_past_days": days} if kept is not None else None)
    return {"thread": thread_external_id, **closing.described(after), "kept_open": kept is not None}
