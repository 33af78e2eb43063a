"""Appeals: a sanctioned reader asks once per action; a moderator upholds or reverses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from townhall.policy.normalise import blank
from townhall.service.core import Services, as_utc
from townhall.service.enforcement import PAID_TROLL, SANCTIONS, appeal_would_matter, close_moot_appeals, lifted_with, sanction_in_force
from townhall.service.enforcement import reverse as reverse_action
from townhall.service.errors import Conflict, Forbidden, Invalid, NotFound
from townhall.service.identity import Actor, Identity
from townhall.service.moderators import other_deciders, own_appeal, takers
from townhall.service.moderation import set_comment_status
from townhall.store import content, moderation, people
from townhall.store.schema import ActionKind, ActorKind, AppealState, CommentStatus, DecisionSource


def _already_appealed() -> Conflict:
    return Conflict("You have already appealed this action; a moderator will answer.", code="already_appealed")


APPEALABLE = (ActionKind.STRIKE.value, ActionKind.WARN.value, ActionKind.SUSPEND.value, ActionKind.BAN.value,
              ActionKind.PREMODERATE.value)
APPEAL_COVERED = "appeal_covered"  # the error code of an appeal another appeal of the reader already decides
COVERING = (AppealState.OPEN.value, AppealState.UPHELD.value)  # a moot appeal decided nothing; a reversed one lifted both
ACTION_LIFTED = "action_lifted"  # the error code of an appeal of an action a moderator lifted meanwhile
APPEAL_MOOT = "appeal_moot"  # the error code of an appeal that could change nothing (and of answering one closed so)
_NAMES = {ActionKind.STRIKE.value: "strike", ActionKind.WARN.value: "warning", ActionKind.SUSPEND.value: "suspension"}


def can_appeal(actions: list[Any], action: Any, appeals_by_action: dict[int, Any], svc: Services, policy: Any) -> bool:
    """Whether the reader may appeal ``action`` now (one of their ``actions``): an appealable kind, not lifted,
    not appealed yet, not decided by the appeal of another action (:func:`covering_appeal`), and still bearing on
    the account (:func:`appeal_would_matter`)."""
    return (action["kind"] in APPEALABLE and action["revoked_at"] is None and int(action["id"]) not in appeals_by_action
            and covering_appeal(actions, action, appeals_by_action) is None
            and appeal_would_matter(actions, action, svc, policy))


def covering_appeal(actions: list[Any], action: Any, appeals_by_action: dict[int, Any]) -> Any | None:
    """The reader's appeal, open or upheld, of another of their ``actions`` whose reversal lifts exactly what a
    reversal of ``action`` would: one event, one appeal. A rule's strike for a comment and the ladder's warning or
    suspension taken with it are lifted together whichever is reversed (townhall.policy.enforcement.reversal), so
    an appeal of one decides the other too; a second appeal would put the same question to the moderators twice.
    Strikes for other comments and moderators' own sanctions lift other sets, and are appealed on their own."""
    if action["kind"] not in APPEALABLE:
        return None
    mine: frozenset[int] | None = None
    for other in actions:
        appeal = appeals_by_action.get(int(other["id"]))
        if other["id"] == action["id"] or appeal is None or appeal["state"] not in COVERING:
            continue
        mine = mine if mine is not None else lifted_with(actions, action)
        if lifted_with(actions, other) == mine:
            return appeal
    return None


def _covered(appeal: Any) -> Conflict:
    return Conflict("Your appeal of another action for the same comment decides this one too: reversing either lifts "
                    "both, so a moderator answers it once.",
                    {"appeal_id": int(appeal["id"]), "action_id": int(appeal["action_id"])}, code=APPEAL_COVERED)


OWN_ACTION = "own_action"  # the error code of a moderator answering the appeal of their own action while others can


def _moot(action: Any) -> Conflict:
    ended = as_utc(action["ends_at"])
    name = _NAMES.get(action["kind"], "action")
    return Conflict(f"This {name} ran out on {ended:%Y-%m-%d} and no longer counts toward anything on your account "
                    "(nothing it brought is still in force), so an appeal would change nothing.",
                    {"action_id": int(action["id"]), "ended_at": ended.isoformat()}, code=APPEAL_MOOT)


def appeal(svc: Services, ident: Identity, action_id: int, text: str) -> dict[str, Any]:
    if blank(text):  # spaces, or characters a browser draws as nothing: a moderator would read an empty appeal
        raise Invalid("Write why the decision should be reversed.", {"field": "text"})
    try:
        appeal_id = _file_appeal(svc, ident, action_id, text)
    except IntegrityError as exc:  # the same appeal sent twice at once: the other request filed it
        raise _already_appealed() from exc
    svc.emit("appeal.created", ident.site_id, {"appeal_id": appeal_id, "action_id": action_id, "account_id": ident.account_id})
    return {"appeal_id": appeal_id, "state": AppealState.OPEN.value}


def _file_appeal(svc: Services, ident: Identity, action_id: int, text: str) -> int:
    with svc.db.write() as conn:
        # the account's row first (the lock order of townhall.store.people.get_account): two appeals of one event
        # sent at once (a strike and its warning) are filed one after the other, so the second sees the first
        people.get_account(conn, ident.account_id, for_update=True)
        action = moderation.get_action(conn, action_id)
        if action is None or action["account_id"] != ident.account_id:
            raise NotFound("No such action on your account.", {"action_id": action_id})
        if action["kind"] not in APPEALABLE:
            raise Invalid("This action cannot be appealed.")
        if action["revoked_at"] is not None:
            raise Conflict("This action has already been lifted.", {"action_id": action_id}, code=ACTION_LIFTED)
        if moderation.appeal_for_action(conn, action_id) is not None:
            raise _already_appealed()
        actions = moderation.actions_for(conn, ident.account_id)
        appeals = {int(a["action_id"]): a for a in moderation.appeals_for_account(conn, ident.account_id)}
        covering = covering_appeal(actions, action, appeals)
        if covering is not None:
            raise _covered(covering)
        # A strike or warning that ran out no longer counts toward the ladder: appealing it is allowed only
        # while it still bears on the account (for instance the ban it helped to bring is in force).
        policy = svc.policies.for_site(content.get_site(conn, ident.site_id))
        if not appeal_would_matter(actions, action, svc, policy):
            raise _moot(action)
        appeal_id = moderation.insert_appeal(conn, action_id=action_id, account_id=ident.account_id, text=text.strip()[:2000],
                                             state=AppealState.OPEN.value, created_at=svc.now())
        svc.audit(conn, action="appeal.created", subject_type="appeal", subject_id=appeal_id, actor_kind=ActorKind.READER.value,
                  actor=f"account:{ident.account_id}", site_id=ident.site_id, details={"action_id": action_id})
    return appeal_id


def decide(svc: Services, actor: Actor, appeal_id: int, *, reverse: bool, response: str,
           restore_comments: bool = True) -> dict[str, Any]:
    """Uphold or reverse an open appeal. Two moderators answering it at once: the first answer stands, the
    other is told so (409, audited as ``appeal.decision_conflict``), not that the appeal was closed as moot."""
    if not isinstance(response, str) or not response.strip():
        raise Invalid("Tell the reader why; they will see this answer.", {"field": "response"})
    answer = response.strip()
    state = AppealState.REVERSED if reverse else AppealState.UPHELD
    conflict: Conflict | None = None
    restored: list[int] = []
    with svc.db.write() as conn:
        first = moderation.get_appeal(conn, appeal_id)
        if first is None:
            raise NotFound("No such appeal.")
        # the account first, then (restoring the comment) the comment: the lock order of townhall.store.people;
        # with the person's accounts on other sites, in id order (lock_person): granting it lifts a ban's copies
        account = people.lock_person(conn, int(first["account_id"]))
        assert account is not None
        actor.require_site(account["site_id"])
        # read again under the account's lock: another moderator's answer to this appeal (or a lifting that closed
        # it) may have committed while this request waited for the lock, after ``first`` was read (PostgreSQL)
        row = moderation.get_appeal(conn, appeal_id)
        action = moderation.get_action(conn, first["action_id"])
        assert row is not None and action is not None
        took, others = _took(conn, action), other_deciders(conn, account["site_id"], actor.id)  # before any change
        if row["state"] != AppealState.OPEN.value:
            conflict = _answered_already(conn, svc, actor, account, row, state)
        elif action["revoked_at"] is not None:
            # lifted meanwhile (before lifting closed its appeals): neither "it stands" nor "reversed" is true
            close_moot_appeals(conn, svc, actor, account, [int(action["id"])])
            return {"appeal_id": appeal_id, "state": AppealState.MOOT.value, "restored_comments": [],
                    "notice": "The action was already lifted; the appeal was closed without an answer."}
        elif own_appeal(actor, took, others):
            raise Forbidden("You took this action, so another moderator of this site answers its appeal.",
                            {"action_id": int(action["id"]), "other_moderators": others}, code=OWN_ACTION)
        elif not moderation.decide_appeal(conn, appeal_id, state=state, response=answer, by=actor.id, now=svc.now()):
            now_row = moderation.get_appeal(conn, appeal_id)  # cannot happen under the lock; answered as above if it does
            assert now_row is not None
            conflict = _answered_already(conn, svc, actor, account, now_row, state)
        else:
            restored = _apply(conn, svc, actor, account, action, appeal_id, answer, reverse, restore_comments)
            svc.audit(conn, action=f"appeal.{state.value}", subject_type="appeal", subject_id=appeal_id,
                      actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"],
                      details={"response": answer, "restored_comments": restored,
                               **({"own_action": True} if actor.id in took else {})})
    if conflict is not None:  # raised once committed: the audit entry of the attempt stays
        raise conflict
    if reverse and action["rule"] == PAID_TROLL and svc.trolls is not None:
        # moderators found this member of a confirmed cluster is no paid troll: the paid-troll rule stops holding
        # their comments at once (every later analysis keeps them cleared: townhall.service.trolls.record_clusters)
        svc.trolls.clear(account["site_id"], [str(account["id"])])
    svc.emit("appeal.decided", account["site_id"], {"appeal_id": appeal_id, "state": state.value, "account_id": account["id"]})
    return {"appeal_id": appeal_id, "state": state.value, "restored_comments": restored}


def _took(conn: Any, action: Any) -> set[str]:
    """Who took ``action`` (townhall.service.moderators.takers)."""
    cid = action["comment_id"]
    return takers([action], moderation.latest_decisions(conn, [cid]) if cid is not None else {})[int(action["id"])]


def _answered_already(conn: Any, svc: Services, actor: Actor, account: Any, row: Any, wanted: AppealState) -> Conflict:
    """The answer to a decision on an appeal that is no longer open: closed as moot, the moderator's own repeat
    (a double submission), or another moderator's answer (a conflict, audited)."""
    if row["state"] == AppealState.MOOT.value:
        return Conflict("This appeal was closed without an answer: the action it appealed was lifted.", code=APPEAL_MOOT)
    if row["decided_by"] == actor.id:
        return Conflict("You have already answered this appeal.", {"state": row["state"]}, code="already_decided")
    svc.audit(conn, action="appeal.decision_conflict", subject_type="appeal", subject_id=row["id"],
              actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"],
              details={"wanted": wanted.value, "found": row["state"]})
    return Conflict("Another moderator has already decided this appeal.", {"state": row["state"]})


def _apply(conn: Any, svc: Services, actor: Actor, account: Any, action: Any, appeal_id: int, answer: str,
           reverse: bool, restore_comments: bool) -> list[int]:
    """What a granted appeal undoes (an upheld one changes nothing); returns the comments published again."""
    if not reverse:
        return []
    reverse_action(conn, svc, account=account, action=action, actor=actor, reason=f"Appeal {appeal_id} reversed: {answer}")
    if not restore_comments:
        return []
    restored = _restore_comments(conn, svc, actor, account, action, appeal_id, answer)
    if action["kind"] == ActionKind.PREMODERATE.value:
        restored += _release_held(conn, svc, actor, account, action, appeal_id, answer)
    return restored


def _restore_comments(conn: Any, svc: Services, actor: Actor, account: Any, action: Any, appeal_id: int,
                      response: str) -> list[int]:
    """Publish again the comment that triggered the action, if it was rejected (audited as a moderator's
    approval, naming the appeal)."""
    if action["comment_id"] is None:
        return []
    # locked after the account (the lock order, townhall.store.people.get_account), and read locked: its
    # author may have deleted it meanwhile, which must not be published again
    row = content.get_comment(conn, action["comment_id"], for_update=True)
    if row is None or row["status"] != CommentStatus.REJECTED.value:
        return []
    latest = moderation.latest_decisions(conn, [int(row["id"])]).get(int(row["id"]))
    if latest is not None and latest["source"] == DecisionSource.PIPELINE.value and any(
            h.get("action") == "reject" and not h.get("strike") for h in latest["hits"] or []):
        return []  # mended since into a text a rule refuses without a strike (the F word): the reversal is not about it
    _publish(conn, svc, actor, row, appeal_id, f"Restored on appeal {appeal_id}: {response}", "Restored on appeal")
    return [int(row["id"])]


def _release_held(conn: Any, svc: Services, actor: Actor, account: Any, action: Any, appeal_id: int,
                  response: str) -> list[int]:
    """A premoderation reversed on appeal was wrong: publish the comments it alone held (written since it was
    taken; every house rule let them through), unless the reader's comments are still held or kept out for
    another reason — another premoderation, a ban or suspension, the site's ``premoderate_new_accounts``
    while none of theirs was ever published, or its ``[history]`` while most of the reader's recent comments were
    rejected (asked before each comment). A comment a rule held stays for a moderator, and so does one whose article
    a moderator premoderated, or which closed, since (:func:`townhall.service.accounts.releasable`)."""
    from townhall.service.accounts import releasable  # accounts imports this module

    actions = moderation.actions_for(conn, int(account["id"]))
    deciding = sanction_in_force(actions, svc)
    if deciding is not None and deciding["kind"] in SANCTIONS:
        return []
    if sanction_in_force(actions, svc, ActionKind.PREMODERATE) is not None:
        return []
    fresh = people.get_account(conn, int(account["id"]))
    policy = svc.policies.for_site(content.get_site(conn, account["site_id"]))
    if fresh is None:
        return []
    released: list[int] = []
    for row, _ in releasable(conn, svc, fresh, policy, as_utc(action["created_at"])):
        _publish(conn, svc, actor, row, appeal_id, f"Released on appeal {appeal_id}: {response}",
                 "Held only by a premoderation reversed on appeal; released")
        released.append(int(row["id"]))
    return released


def _publish(conn: Any, svc: Services, actor: Actor, row: Any, appeal_id: int, audited: str, decided: str) -> None:
    """Publish a comment on an appeal's decision, as a moderator's approval naming the appeal, and, once
    committed, tell the thread's live readers (cached pages drop it)."""
    set_comment_status(conn, svc, row, CommentStatus.PUBLISHED, actor, decided,
                       audited={"appeal_id": appeal_id, "reason": audited})
    svc.announce_on(conn, row["thread_id"], svc.published_event(row))
