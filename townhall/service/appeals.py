"""Appeals: a sanctioned reader asks once per action; a moderator upholds or reverses."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from townhall.service.core import Services, as_utc
from townhall.service.enforcement import appeal_would_matter, close_moot_appeals
from townhall.service.enforcement import reverse as reverse_action
from townhall.service.errors import Conflict, Invalid, NotFound
from townhall.service.identity import Actor, Identity
from townhall.store import content, moderation, people
from townhall.store.schema import ActionKind, ActorKind, AppealState, CommentStatus, DecisionSource


def _already_appealed() -> Conflict:
    return Conflict("You have already appealed this action; a moderator will answer.", code="already_appealed")


APPEALABLE = (ActionKind.STRIKE.value, ActionKind.WARN.value, ActionKind.SUSPEND.value, ActionKind.BAN.value,
              ActionKind.PREMODERATE.value)
APPEAL_MOOT = "appeal_moot"  # the error code of an appeal that could change nothing (and of answering one closed so)
_NAMES = {ActionKind.STRIKE.value: "strike", ActionKind.WARN.value: "warning", ActionKind.SUSPEND.value: "suspension"}


def can_appeal(actions: list[Any], action: Any, appeals_by_action: dict[int, Any], svc: Services, policy: Any) -> bool:
    """Whether the reader may appeal ``action`` now (one of their ``actions``): an appealable kind, not lifted,
    not appealed yet, and still bearing on the account (:func:`appeal_would_matter`)."""
    return (action["kind"] in APPEALABLE and action["revoked_at"] is None and int(action["id"]) not in appeals_by_action
            and appeal_would_matter(actions, action, svc, policy))


def _moot(action: Any) -> Conflict:
    ended = as_utc(action["ends_at"])
    name = _NAMES.get(action["kind"], "action")
    return Conflict(f"This {name} ran out on {ended:%Y-%m-%d} and no longer counts toward anything on your account "
                    "(nothing it brought is still in force), so an appeal would change nothing.",
                    {"action_id": int(action["id"]), "ended_at": ended.isoformat()}, code=APPEAL_MOOT)


def appeal(svc: Services, ident: Identity, action_id: int, text: str) -> dict[str, Any]:
    try:
        appeal_id = _file_appeal(svc, ident, action_id, text)
    except IntegrityError as exc:  # the same appeal sent twice at once: the other request filed it
        raise _already_appealed() from exc
    svc.emit("appeal.created", ident.site_id, {"appeal_id": appeal_id, "action_id": action_id, "account_id": ident.account_id})
    return {"appeal_id": appeal_id, "state": AppealState.OPEN.value}


def _file_appeal(svc: Services, ident: Identity, action_id: int, text: str) -> int:
    with svc.db.write() as conn:
        action = moderation.get_action(conn, action_id)
        if action is None or action["account_id"] != ident.account_id:
            raise NotFound("No such action on your account.", {"action_id": action_id})
        if action["kind"] not in APPEALABLE:
            raise Invalid("This action cannot be appealed.")
        if action["revoked_at"] is not None:
            raise Conflict("This action has already been lifted.")
        if moderation.appeal_for_action(conn, action_id) is not None:
            raise _already_appealed()
        # A strike or warning that ran out no longer counts toward the ladder: appealing it is allowed only
        # while it still bears on the account (for instance the ban it helped to bring is in force).
        policy = svc.policies.for_site(content.get_site(conn, ident.site_id))
        if not appeal_would_matter(moderation.actions_for(conn, ident.account_id), action, svc, policy):
            raise _moot(action)
        appeal_id = moderation.insert_appeal(conn, action_id=action_id, account_id=ident.account_id, text=text.strip()[:2000],
                                             state=AppealState.OPEN.value, created_at=svc.now())
        svc.audit(conn, action="appeal.created", subject_type="appeal", subject_id=appeal_id, actor_kind=ActorKind.READER.value,
                  actor=f"account:{ident.account_id}", site_id=ident.site_id, details={"action_id": action_id})
    return appeal_id


def decide(svc: Services, actor: Actor, appeal_id: int, *, reverse: bool, response: str,
           restore_comments: bool = True) -> dict[str, Any]:
    if not isinstance(response, str) or not response.strip():
        raise Invalid("Tell the reader why; they will see this answer.", {"field": "response"})
    with svc.db.write() as conn:
        row = moderation.get_appeal(conn, appeal_id)
        if row is None:
            raise NotFound("No such appeal.")
        # the account first, then (restoring the comment) the comment: the lock order of townhall.store.people
        account = people.get_account(conn, row["account_id"], for_update=True)
        assert account is not None
        actor.require_site(account["site_id"])
        action = moderation.get_action(conn, row["action_id"])
        assert action is not None
        if action["revoked_at"] is not None and row["state"] == AppealState.OPEN.value:
            # lifted meanwhile (before lifting closed its appeals): neither "it stands" nor "reversed" is true
            close_moot_appeals(conn, svc, actor, account, [int(action["id"])])
            return {"appeal_id": appeal_id, "state": AppealState.MOOT.value, "restored_comments": [],
                    "notice": "The action was already lifted; the appeal was closed without an answer."}
        state = AppealState.REVERSED if reverse else AppealState.UPHELD
        if not moderation.decide_appeal(conn, appeal_id, state=state, response=response.strip(), by=actor.id, now=svc.now()):
            if row["state"] == AppealState.MOOT.value:
                raise Conflict("This appeal was closed without an answer: the action it appealed was lifted.", code=APPEAL_MOOT)
            now_row = moderation.get_appeal(conn, appeal_id)  # as decided meanwhile (``row`` may predate it)
            if now_row is not None and now_row["decided_by"] == actor.id:  # a double submission
                raise Conflict("You have already answered this appeal.", {"state": now_row["state"]}, code="already_decided")
            raise Conflict("Another moderator has already decided this appeal.")
        restored: list[int] = []
        if reverse:
            reverse_action(conn, svc, account=account, action=action, actor=actor,
                           reason=f"Appeal {appeal_id} reversed: {response.strip()}")
            if restore_comments:
                restored = _restore_comments(conn, svc, actor, account, action, appeal_id, response.strip())
        svc.audit(conn, action=f"appeal.{state.value}", subject_type="appeal", subject_id=appeal_id,
                  actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"],
                  details={"response": response.strip(), "restored_comments": restored})
    svc.emit("appeal.decided", account["site_id"], {"appeal_id": appeal_id, "state": state.value, "account_id": account["id"]})
    return {"appeal_id": appeal_id, "state": state.value, "restored_comments": restored}


def _restore_comments(conn: Any, svc: Services, actor: Actor, account: Any, action: Any, appeal_id: int,
                      response: str) -> list[int]:
    """Publish again the comment that triggered the action, if it was rejected (audited as a moderator's
    approval, naming the appeal)."""
    ids = []
    if action["comment_id"] is not None:
        # locked after the account (the lock order, townhall.store.people.get_account), and read locked: its
        # author may have deleted it meanwhile, which must not be published again
        row = content.get_comment(conn, action["comment_id"], for_update=True)
        if row is not None and row["status"] == CommentStatus.REJECTED.value:
            content.update_comment(conn, row["id"], status=CommentStatus.PUBLISHED.value)
            moderation.insert_decision(conn, comment_id=row["id"], source=DecisionSource.MODERATOR.value, verdict="publish",
                                       hits=[], scores={}, policy_version="-", moderator=actor.id,
                                       reason="Restored on appeal", created_at=svc.now())
            svc.audit(conn, action="comment.approved", subject_type="comment", subject_id=row["id"],
                      actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"],
                      details={"before": row["status"], "after": CommentStatus.PUBLISHED.value, "appeal_id": appeal_id,
                               "reason": f"Restored on appeal {appeal_id}: {response}"})
            ids.append(int(row["id"]))
    return ids
