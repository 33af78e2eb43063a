"""'We will ban you': strikes, the ladder, sanctions and their reversal. Every step is audited."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial
from typing import Any, Mapping, NamedTuple

from sqlalchemy import Connection

from townhall.policy.config import Sanction
from townhall.policy.enforcement import Standing, in_force, live, reversal, step_for, still_weighs, strike_expiry
from townhall.service.core import Services, as_utc
from townhall.service.errors import Conflict, Forbidden, Invalid, NotFound
from townhall.service.identity import Actor
from townhall.store import content, moderation, people
from townhall.store.schema import AccountState, ActionKind, ActorKind, AppealState, CommentStatus, Role

_CARRIED = "Banned on all sites of this installation: "
ALREADY_IN_FORCE = "already_in_force"  # the error code of a ban (or premoderation) asked for while one is in force
ALREADY_TAKEN = "already_taken"  # the error code of a warning or suspension that repeats one just taken
# The same warning or suspension (kind and reason), or the same note, by the same moderator this soon: a double
# submission (a double click, a form sent again), done once.
REPEAT_WINDOW = timedelta(minutes=2)
PAID_TROLL = "paid_troll"  # the rule named by the sanctions of a confirmed coordination cluster (service.clusters)
MIN_SUSPENSION = timedelta(minutes=1)  # a moderator's shortest suspension: a shorter one would end as it begins
_LIFTED_BY_RESTORE = (ActionKind.SUSPEND.value, ActionKind.BAN.value, ActionKind.PREMODERATE.value, ActionKind.WARN.value)
_TAKEN = {ActionKind.WARN: "warned", ActionKind.SUSPEND: "suspended"}
MOOT_ANSWER = "Closed without an answer: the action you appealed was lifted."
_STATE_FOR = {
    ActionKind.WARN: AccountState.WARNED,
    ActionKind.SUSPEND: AccountState.SUSPENDED,
    ActionKind.BAN: AccountState.BANNED,
    ActionKind.PREMODERATE: AccountState.PREMODERATED,
}


def take_action(
    conn: Connection,
    svc: Services,
    *,
    account: Mapping[str, Any],
    kind: ActionKind,
    actor: Actor,
    reason: str,
    rule: str | None = None,
    comment_id: int | None = None,
    hours: float | None = None,
    policy_version: str | None = None,
    propagated: bool = False,
) -> int:
    """Record an action on an account, change its state, and audit it. Returns the action id.

    A ban under a policy whose ``ban_scope`` is ``installation`` also bans the same person's accounts on
    the installation's other sites (same SSO subject or e-mail), locked in id order before any is changed
    (a moderator's ban took those locks already, with its own account's: :func:`people.lock_person`)."""
    now = svc.now()
    if kind is ActionKind.SUSPEND and (hours is None or hours <= 0):
        raise Invalid("A suspension needs a positive number of hours.", {"field": "hours"})
    ends = now + timedelta(hours=hours) if hours and kind in (ActionKind.SUSPEND, ActionKind.STRIKE) else None
    if kind in (ActionKind.STRIKE, ActionKind.WARN):  # a warning lasts as long as a strike
        policy = svc.policies.for_site(content.get_site(conn, account["site_id"]))
        ends = strike_expiry(policy.settings.enforcement, now)
    action_id = moderation.insert_action(
        conn, account_id=account["id"], kind=kind.value, actor_kind=actor.kind.value, actor=actor.id, rule=rule,
        comment_id=comment_id, reason=reason, created_at=now, ends_at=ends, policy_version=policy_version,
    )
    if kind in _STATE_FOR:
        deciding = settle_standing(conn, svc, int(account["id"]))
        if deciding is not None and deciding["kind"] == ActionKind.BAN.value:  # evasion checks start at once
            svc.db.after_commit(conn, lambda: svc.forget(f"has_banned:{account['site_id']}"))
    svc.audit(
        conn, action=f"account.{kind.value}", subject_type="account", subject_id=account["id"],
        actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"], policy_version=policy_version,
        details={"action_id": action_id, "reason": reason, "rule": rule, "comment_id": comment_id,
                 "ends_at": ends.isoformat() if ends else None},
    )
    if kind in (ActionKind.WARN, ActionKind.SUSPEND, ActionKind.BAN):  # webhooks and e-mail, once committed
        event = {"account_id": account["id"], "action_id": action_id, "sanction": kind.value, "reason": reason, "rule": rule,
                 "ends_at": ends.isoformat() if ends else None}
        svc.db.after_commit(conn, lambda: svc.emit("account.sanctioned", account["site_id"], event))
    if kind is ActionKind.BAN and not propagated:
        policy = svc.policies.for_site(content.get_site(conn, account["site_id"]))
        if policy.settings.enforcement.ban_scope == "installation":
            linked = people.linked_accounts_elsewhere(conn, account)
            for other in people.lock_accounts(conn, [int(o["id"]) for o in linked]).values():  # read under the lock
                if other["state"] != AccountState.BANNED.value:
                    take_action(conn, svc, account=other, kind=kind, actor=actor, rule=rule, propagated=True,
                                reason=f"{_CARRIED}{reason}", policy_version=policy_version)
    return action_id


def bans_carried(svc: Services, site_id: str) -> bool:
    """Whether a ban on the site is carried to the same person's accounts on the installation's other sites
    (its policy's ``ban_scope = "installation"``): only then may a ban taken there change, and lock, those."""
    site = svc.site(site_id)
    return site is not None and svc.policies.for_site(site).settings.enforcement.ban_scope == "installation"


def carry_bans_to(conn: Connection, svc: Services, account_id: int) -> list[int]:
    """A reader's first account on a site, made after a ban under ``ban_scope = "installation"`` on another site
    that shares its sign-in: the ban holds here too (its copy, as :func:`take_action` makes for accounts that
    existed then, so that lifting the ban lifts it). Returns the ids of the copies taken."""
    account = people.get_account(conn, account_id)
    assert account is not None
    taken: list[int] = []
    for other in people.linked_accounts_elsewhere(conn, account):
        ban = sanction_in_force(moderation.actions_for(conn, int(other["id"])), svc, ActionKind.BAN)
        if ban is None:
            continue
        copy = str(ban["reason"]).startswith(_CARRIED)  # a copy already (its original's account may be erased)
        policy = svc.policies.for_site(content.get_site(conn, other["site_id"]))
        if not copy and policy.settings.enforcement.ban_scope != "installation":
            continue
        actor = Actor(ActorKind(ban["actor_kind"]), str(ban["actor"]), Role.ADMIN, None)
        taken.append(take_action(conn, svc, account=account, kind=ActionKind.BAN, actor=actor, rule=ban["rule"],
                                 propagated=True, reason=ban["reason"] if copy else f"{_CARRIED}{ban['reason']}",
                                 policy_version=ban["policy_version"]))
        break
    return taken


def _standing(row: Mapping[str, Any]) -> Standing:
    return Standing(int(row["id"]), row["kind"], as_utc(row["created_at"]), as_utc(row["ends_at"]),
                    row["revoked_at"] is not None, row["actor_kind"] == ActorKind.POLICY.value, row["comment_id"])


def lifted_with(actions: list[Mapping[str, Any]], action: Mapping[str, Any]) -> frozenset[int]:
    """The ids a reversal of ``action`` (one of the account's ``actions``) would lift
    (:func:`townhall.policy.enforcement.reversal`)."""
    return frozenset(reversal([_standing(a) for a in actions], _standing(action)))


def still_in_force(svc: Services, action: Mapping[str, Any]) -> bool:
    """Whether one action (a row) holds now: neither lifted nor run out. Its e-mail is a job that may run long
    after it was taken (the SMTP server was down, the queue busy): a notice of a sanction lifted or over by
    then would tell the reader of one that no longer holds."""
    return live(_standing(action), svc.now())


def action_in_force(conn: Connection, svc: Services, account_id: int) -> Mapping[str, Any] | None:
    """The sanction that decides the account's standing now (see :func:`townhall.policy.enforcement.in_force`)."""
    return sanction_in_force(moderation.actions_for(conn, account_id), svc)


def sanction_in_force(actions: list[Mapping[str, Any]], svc: Services,
                      kind: ActionKind | None = None) -> Mapping[str, Any] | None:
    """Of an account's ``actions`` (rows), the sanction that decides its standing now; with ``kind``, the
    sanction of that kind in force, whether or not a stronger one decides (a premoderation under a suspension)."""
    standings = [_standing(a) for a in actions]
    deciding = in_force(standings, svc.now()) if kind is None else in_force(standings, svc.now(), (kind.value,))
    return next(a for a in actions if a["id"] == deciding.id) if deciding is not None else None


def appeal_would_matter(actions: list[Mapping[str, Any]], action: Mapping[str, Any], svc: Services,
                        policy: Any) -> bool:
    """Whether reversing ``action`` (one of the account's ``actions``) would still change anything
    (:func:`townhall.policy.enforcement.still_weighs`); an appeal against one that would not is moot."""
    return still_weighs([_standing(a) for a in actions], _standing(action), svc.now(),
                        clean_days=policy.settings.trust.clean_days)


SANCTIONS = (ActionKind.SUSPEND.value, ActionKind.BAN.value)  # what keeps a reader from posting


def outlives_erasure(conn: Connection, svc: Services, account_id: int) -> bool:
    """Whether a ban, suspension or premoderation is in force on the account (what its erasure keeps)."""
    actions = moderation.actions_for(conn, account_id)
    deciding = sanction_in_force(actions, svc)
    return (deciding is not None and deciding["kind"] in SANCTIONS) or \
        sanction_in_force(actions, svc, ActionKind.PREMODERATE) is not None  # also one under a warning


SANCTIONED_PREFIX = "sanctioned:"  # the subject an account erased under outlives_erasure() keeps meanwhile
ERASED_PREFIX = "erased:"  # the subject of an erased account: nobody signs in to it again


def erased_subject() -> str:
    """A fresh subject for an erased account, ``erased:<random>``: no sign-in ever names it."""
    return f"{ERASED_PREFIX}{uuid.uuid4().hex}"


def release_erased(conn: Connection, svc: Services, account_id: int) -> bool:
    """Finish the erasure of an account erased while banned, suspended or premoderated, once none is in force.

    Such an account keeps a keyed hash of its sign-in subject (:func:`townhall.service.accounts.sanctioned_subject`)
    so that erasure is no way out of the sanction; with the sanction over (lifted, or run out) that reason is gone,
    and the subject becomes ``erased:<random>`` like any erased account's: the same sign-in starts afresh.
    Returns whether it did."""
    account = people.get_account(conn, account_id)
    if account is None or not str(account["subject"]).startswith(SANCTIONED_PREFIX):
        return False
    if outlives_erasure(conn, svc, account_id):
        return False
    people.update_account(conn, account_id, subject=erased_subject())
    return True


def state_of(deciding: Mapping[str, Any] | None) -> AccountState:
    """The account state the deciding action (:func:`action_in_force`) puts an account in."""
    return _STATE_FOR[ActionKind(deciding["kind"])] if deciding is not None else AccountState.ACTIVE


def settle_standing(conn: Connection, svc: Services, account_id: int) -> Mapping[str, Any] | None:
    """Write the account's state (and when a suspension ends) from the sanctions in force, whatever order
    they came in and whichever were lifted; returns the deciding action."""
    deciding = action_in_force(conn, svc, account_id)
    state = state_of(deciding)
    until = as_utc(deciding["ends_at"]) if deciding is not None and state is AccountState.SUSPENDED else None
    people.update_account(conn, account_id, state=state.value, state_until=until)
    return deciding


def apply_strike(
    conn: Connection, svc: Services, *, account: Mapping[str, Any], policy: Any, rule: str, comment_id: int, reason: str
) -> list[int]:
    """Count a strike and climb the ladder. Returns the ids of the actions taken (strike first), or none when
    the comment already carries a strike in force: one comment is one offence, whether its author mends it into
    another text the rules refuse or a moderator rejects the held edit of a comment the rules struck.

    The account's row is locked first (PostgreSQL): two strikes counted at once for one reader would each
    see only their own and both stop at the first step of the ladder."""
    people.get_account(conn, int(account["id"]), for_update=True)
    if any(s["comment_id"] == comment_id for s in moderation.active_strikes(conn, int(account["id"]), svc.now())):
        return []
    actor = Actor.policy()
    taken = [
        take_action(conn, svc, account=account, kind=ActionKind.STRIKE, actor=actor, reason=reason, rule=rule,
                    comment_id=comment_id, policy_version=policy.version)
    ]
    strikes = len(moderation.active_strikes(conn, int(account["id"]), svc.now()))
    step = step_for(policy.settings.enforcement, strikes)
    fresh = people.get_account(conn, int(account["id"]))
    assert fresh is not None
    if step is not None and fresh["state"] != AccountState.BANNED.value:  # a banned account climbs no further
        kind = ActionKind(step.sanction.value)
        text = f"{strikes} strike{'s' if strikes != 1 else ''} under the house rules; the latest: {reason}"
        taken.append(
            take_action(conn, svc, account=fresh, kind=kind, actor=actor, reason=text, rule=rule,
                        comment_id=comment_id, hours=step.hours, policy_version=policy.version)
        )
    return taken


class Restored(NamedTuple):
    """What a restore did: its own action, the sanctions it lifted, and the strikes it cleared; a moderator's
    restore with nothing to lift has no action (None) and says why (``notice``)."""

    action_id: int | None
    revoked: list[int]
    cleared_strikes: list[int]
    notice: str | None = None


REVERSAL = "reversal"  # the rule named on a restore that undid actions found wrong (not a moderator's leniency)


def restore(conn: Connection, svc: Services, *, account: Mapping[str, Any], actor: Actor, reason: str,
            revoke: list[int] | None = None, clear_strikes: bool = False, reversal: bool = False) -> Restored:
    """Lift sanctions (all active ones, or those listed); the account's state is then whatever is still in
    force (active, if nothing is). A ban lifted here is lifted on the installation's other sites too, where
    it was carried by ``ban_scope = "installation"``.

    ``clear_strikes`` also revokes this account's strikes in force (neither run out nor lifted), so that its
    next violation is a first strike again; strikes on the same person's accounts elsewhere are offences
    under those sites' rules and stand. The reader reads how many were cleared in the restore's reason.

    ``reversal``: the actions lifted were wrong (an appeal granted, a comment the rules rejected approved, an
    evasion premoderation released); the restore then names :data:`REVERSAL` as its rule, and, unlike a
    moderator's lifting of a sanction that was deserved, does not itself keep the reader from the trusted
    standing (:func:`townhall.service.accounts.trusted`)."""
    now = svc.now()
    ids = revoke if revoke is not None else [
        a["id"] for a in moderation.actions_for(conn, int(account["id"]))
        if a["revoked_at"] is None and a["kind"] in _LIFTED_BY_RESTORE
    ]
    lifted = [a for a in (moderation.get_action(conn, i) for i in ids) if a is not None and a["revoked_at"] is None]
    cleared = [int(a["id"]) for a in moderation.active_strikes(conn, int(account["id"]), now)] if clear_strikes else []
    revoked_now = [i for i in [*ids, *cleared] if moderation.revoke_action(conn, i, now)]
    close_moot_appeals(conn, svc, actor, account, revoked_now)
    deciding = settle_standing(conn, svc, int(account["id"]))
    erased = release_erased(conn, svc, int(account["id"]))
    if erased:  # a cached sign-in may still name the account
        svc.db.after_commit(conn, lambda: svc.forget(f"identity:{account['site_id']}:"))
    for ban in (a for a in lifted if a["kind"] == ActionKind.BAN.value):
        _lift_carried_ban(conn, svc, account, ban, actor, reason, reversal)
    if any(a["kind"] == ActionKind.BAN.value for a in lifted) and state_of(deciding) is not AccountState.BANNED:
        from townhall.service import evasion  # evasion imports accounts, which imports this module

        evasion.ban_lifted(conn, svc, str(account["site_id"]), int(account["id"]))
    action_id = moderation.insert_action(
        conn, account_id=account["id"], kind=ActionKind.RESTORE.value, actor_kind=actor.kind.value, actor=actor.id,
        reason=_told(reason, len(cleared)), created_at=now, rule=REVERSAL if reversal else None,
    )
    svc.audit(conn, action="account.restore", subject_type="account", subject_id=account["id"],
              actor_kind=actor.kind.value, actor=actor.id, site_id=account["site_id"],
              details={"action_id": action_id, "reason": reason, "revoked": ids, "clear_strikes": clear_strikes,
                       "cleared_strikes": cleared, "still_in_force": deciding["id"] if deciding is not None else None,
                       "erasure_completed": erased})
    return Restored(action_id, list(ids), cleared)


def close_moot_appeals(conn: Connection, svc: Services, actor: Actor, account: Mapping[str, Any],
                       action_ids: list[int]) -> list[int]:
    """Close the open appeals against actions that were lifted: nothing is left to decide (audited). Once the
    transaction commits, each closed appeal is an ``appeal.decided`` event with state ``moot``, as a decision is
    (webhooks; the reader's e-mail with the moot answer): one per appeal, none if the transaction rolls back."""
    closed = []
    for action_id in action_ids:
        appeal = moderation.appeal_for_action(conn, action_id)
        if appeal is None or appeal["state"] != AppealState.OPEN.value:
            continue
        if moderation.decide_appeal(conn, int(appeal["id"]), state=AppealState.MOOT, response=MOOT_ANSWER, by=actor.id, now=svc.now()):
            closed.append(int(appeal["id"]))
            svc.audit(conn, action="appeal.moot", subject_type="appeal", subject_id=appeal["id"], actor_kind=actor.kind.value,
                      actor=actor.id, site_id=account["site_id"], details={"action_id": action_id})
            event = {"appeal_id": int(appeal["id"]), "state": AppealState.MOOT.value, "account_id": int(account["id"])}
            svc.db.after_commit(conn, partial(svc.emit, "appeal.decided", str(account["site_id"]), event))
    return closed


def _told(reason: str, cleared: int) -> str:
    """The restore's reason as the reader reads it (``GET /api/v1/me``): with the strikes cleared, if any."""
    return f"{reason} ({cleared} strike{'s' if cleared != 1 else ''} cleared)" if cleared else reason


def _lift_carried_ban(conn: Connection, svc: Services, account: Mapping[str, Any], ban: Mapping[str, Any],
                      actor: Actor, reason: str, reversal: bool = False) -> None:
    """The copies of ``ban`` that :func:`take_action` made on the same person's accounts elsewhere (a reversal
    there too, when the ban was found wrong: the copies were as wrong as the ban)."""
    carried = f"{_CARRIED}{ban['reason']}"
    linked = people.linked_accounts_elsewhere(conn, account, any_sign_in=True)
    if str(account["subject"]).startswith(SANCTIONED_PREFIX):
        # erased while banned: its subject is a keyed hash of the sign-in's, which the copies' accounts still hold
        from townhall.service.accounts import sanctioned_subjects  # accounts imports this module

        seen = {int(o["id"]) for o in linked}
        for copy in moderation.unrevoked_actions_like(conn, kind=ActionKind.BAN.value, reason=carried, actor=ban["actor"]):
            other = people.get_account(conn, int(copy["account_id"]))
            if (other is not None and int(other["id"]) not in seen and other["site_id"] != account["site_id"]
                    and account["subject"] in sanctioned_subjects(conn, svc, str(account["site_id"]), str(other["subject"]))):
                linked.append(other)
                seen.add(int(other["id"]))
    # any site: a copy stays a copy after a site's sign-in secret changed (only copies of this ban are lifted);
    # the accounts that hold one are locked in id order before any is changed (a moderator's restore took those
    # locks already, with its own account's: people.lock_person)
    for other in people.lock_accounts(conn, [int(o["id"]) for o in linked if _copies_of(conn, o, carried, ban)]).values():
        copies = _copies_of(conn, other, carried, ban)
        if copies:
            restore(conn, svc, account=other, actor=actor, reason=f"Lifted on {account['site_id']}: {reason}", revoke=copies,
                    reversal=reversal)


def _copies_of(conn: Connection, other: Mapping[str, Any], carried: str, ban: Mapping[str, Any]) -> list[int]:
    """The copies of ``ban`` (its reason as carried: ``carried``) in force on the account ``other``."""
    return [int(a["id"]) for a in moderation.actions_for(conn, int(other["id"]))
            if a["kind"] == ActionKind.BAN.value and a["revoked_at"] is None and a["reason"] == carried
            and a["actor"] == ban["actor"]]


def reverse(conn: Connection, svc: Services, *, account: Mapping[str, Any], action: Mapping[str, Any], actor: Actor,
            reason: str) -> list[int]:
    """Undo one action and what it brought with it (:func:`townhall.policy.enforcement.reversal`); returns
    the ids lifted."""
    actions = moderation.actions_for(conn, int(account["id"]))
    ids = reversal([_standing(a) for a in actions], _standing(action))
    restore(conn, svc, account=account, actor=actor, reason=reason, revoke=ids, reversal=True)
    return ids


def moderated_account(conn: Connection, actor: Actor, account_id: int, *, person: bool = False) -> Mapping[str, Any]:
    """The account a moderator acts on, locked until the transaction ends: 404 if it does not exist, 403 if
    it is not on their sites. ``person``: with the same person's accounts elsewhere, in id order
    (:func:`townhall.store.people.lock_person`), for an action that may carry a ban to the installation's other
    sites, or lift one there."""
    account = people.lock_person(conn, account_id) if person else people.get_account(conn, account_id, for_update=True)
    if account is None:
        raise NotFound("No such account.")
    actor.require_site(account["site_id"])
    return account


def moderator_sanction(svc: Services, actor: Actor, account_id: int, sanction: Sanction | str, reason: str,
                       hours: float | None = None, comment_id: int | None = None) -> int:
    """``comment_id``: the comment that brought the sanction (rejected with it from a queue), which a
    reversed appeal publishes again."""
    try:
        kind = ActionKind(Sanction(sanction).value)
    except ValueError as exc:
        raise Invalid("Unknown sanction.", {"allowed": [s.value for s in Sanction]}) from exc
    if not reason or not reason.strip():
        raise Invalid("Give a reason; the reader will see it.", {"field": "reason"})
    if hours is not None and kind is not ActionKind.SUSPEND:  # else dropped: a ban meant for hours would be for good
        raise Invalid("Only a suspension takes hours: a ban or premoderation lasts until it is lifted, a warning "
                      "as long as a strike. Send no hours, or suspend.", {"field": "hours"})
    if hours is not None and not timedelta(hours=hours) >= MIN_SUSPENSION:  # 1e-300 hours: over before it began
        raise Invalid("A suspension lasts at least a minute (hours: 1/60 or more).", {"field": "hours"})
    with svc.db.write() as conn:
        account = moderated_account(conn, actor, account_id, person=kind is ActionKind.BAN)  # a ban may be carried
        if account["role"] != Role.READER.value:  # a moderator's own account too: staff answer to the publisher
            raise Forbidden("Moderators and admins are not sanctioned here: the publisher takes their role away first "
                            "(their sign-in), then they are readers like any other.", {"role": account["role"]},
                            code="staff_account")
        deciding = action_in_force(conn, svc, account_id)
        if kind in (ActionKind.BAN, ActionKind.PREMODERATE) and deciding is not None and deciding["kind"] == kind.value:
            raise Conflict(f"This account is already {_STATE_FOR[kind].value}: the {kind.value} is in force.",
                           {"action_id": deciding["id"]}, code=ALREADY_IN_FORCE)
        if kind in (ActionKind.WARN, ActionKind.SUSPEND):  # a double submission would warn or suspend twice
            now = svc.now()
            for a in moderation.actions_for(conn, account_id):
                if (a["kind"] == kind.value and a["actor"] == actor.id and a["reason"] == reason.strip()
                        and a["revoked_at"] is None and as_utc(a["created_at"]) >= now - REPEAT_WINDOW):
                    raise Conflict(f"You have already {_TAKEN[kind]} this account for this reason just now; it is not "
                                   "done twice.", {"action_id": int(a["id"])}, code=ALREADY_TAKEN)
        if comment_id is not None:
            comment = content.get_comment(conn, comment_id)
            if comment is None or comment["account_id"] != account_id:
                raise Invalid("That comment is not this account's.", {"field": "comment_id"})
        return take_action(conn, svc, account=account, kind=kind, actor=actor, reason=reason.strip(), hours=hours,
                           comment_id=comment_id)


def moderator_restore(svc: Services, actor: Actor, account_id: int, reason: str, clear_strikes: bool = False) -> Restored:
    """A moderator lifts an account's sanctions and, with ``clear_strikes``, its strikes in force too. A repeat
    (:func:`_repeated_restore`) is answered with the restore it repeats; a restore with nothing to lift
    (:func:`_nothing_to_lift`) records nothing and is answered with no action and a notice."""
    reason = reason or "Lifted by a moderator"
    with svc.db.write() as conn:
        # locked: a repeat sent meanwhile waits, then sees this; with the person's other accounts (a carried ban)
        account = moderated_account(conn, actor, account_id, person=True)
        repeated = _repeated_restore(conn, svc, actor, account, reason, clear_strikes)
        if repeated is not None:
            return repeated
        nothing = _nothing_to_lift(conn, svc, account, clear_strikes)
        if nothing is not None:
            settle_standing(conn, svc, account_id)  # a suspension that ran out: the stored state catches up
            return Restored(None, [], [], nothing)
        return restore(conn, svc, account=account, actor=actor, reason=reason, clear_strikes=clear_strikes)


def _nothing_to_lift(conn: Connection, svc: Services, account: Mapping[str, Any], clear_strikes: bool) -> str | None:
    """Why a moderator's restore of ``account`` would change nothing, or None: no sanction is in force (one that
    ran out is history, left as it is), no strike in force is to be cleared (``clear_strikes``), and no erasure
    waits to be finished (:func:`release_erased`). Such a restore writes nothing: a "restore" in the reader's
    record, lifting nothing, would still keep them from the trusted standing for ``[trust] clean_days``
    (:func:`townhall.service.accounts.trusted`), and the audit log would list a lifting that did not happen."""
    account_id = int(account["id"])
    if str(account["subject"]).startswith(SANCTIONED_PREFIX):
        return None
    if sanction_in_force(moderation.actions_for(conn, account_id), svc) is not None:
        return None
    strikes = len(moderation.active_strikes(conn, account_id, svc.now()))
    if strikes and clear_strikes:
        return None
    if strikes:
        return (f"Nothing to lift: no sanction is in force on this account. Its {strikes} strike"
                f"{'s' if strikes != 1 else ''} in force stand{'' if strikes != 1 else 's'}; send clear_strikes "
                "to clear them.")
    return "Nothing to lift: no sanction or strike is in force on this account; nothing was recorded."


def _repeated_restore(conn: Connection, svc: Services, actor: Actor, account: Mapping[str, Any], reason: str,
                      clear_strikes: bool) -> Restored | None:
    """The restore a double submission (a double click, a form sent again) repeats: the account's latest action,
    by the same moderator with the same reason within ``REPEAT_WINDOW``, while this one would lift nothing, clear
    no strike and finish no erasure. It is answered with that restore; another would only add a second "restore"
    to the reader's record (``GET /api/v1/me``) and the audit log."""
    account_id = int(account["id"])
    actions = moderation.actions_for(conn, account_id)
    if not actions or str(account["subject"]).startswith(SANCTIONED_PREFIX):
        return None
    last, now = actions[-1], svc.now()
    said = str(last["reason"])  # as _told() wrote it: "(N strikes cleared)" after it, if the first one cleared any
    same_reason = said == reason or (said.startswith(reason + " (") and said.endswith(" cleared)"))
    if (last["kind"] != ActionKind.RESTORE.value or last["actor"] != actor.id or not same_reason
            or as_utc(last["created_at"]) < now - REPEAT_WINDOW):
        return None
    if any(a["revoked_at"] is None and a["kind"] in _LIFTED_BY_RESTORE for a in actions):
        return None
    if clear_strikes and moderation.active_strikes(conn, account_id, now):
        return None
    return Restored(int(last["id"]), [], [])


def reject_all(svc: Services, actor: Actor, account_id: int, reason: str) -> list[int]:
    """Reject every published or held comment of an account in one action."""
    from townhall.service.moderation import _strike_confirmed_hold, set_comment_status

    with svc.db.write() as conn:
        # with the person's other accounts: a held comment's strike, confirmed, may climb to a ban carried there
        account = moderated_account(conn, actor, account_id, person=True)
        # locked, after the account: a comment its author deletes meanwhile stays deleted (not "rejected")
        rows = content.list_account_comments(conn, account_id, statuses=[CommentStatus.PUBLISHED, CommentStatus.HELD],
                                             limit=100_000, for_update=True)
        for row in rows:
            set_comment_status(conn, svc, row, CommentStatus.REJECTED, actor, reason or "Removed with the account's other comments")
            if row["status"] == CommentStatus.HELD.value:  # a rule held it for a strike: rejecting it confirms the rule
                _strike_confirmed_hold(conn, svc, row, str(account["site_id"]))
            # readers of the thread stop seeing a published one, its author a held one (as a rejection of one comment)
            svc.announce_on(conn, row["thread_id"], {"type": "comment.removed", "id": int(row["id"]), "parent_id": row["parent_id"]})
        return [int(r["id"]) for r in rows]
