"""Readers' accounts: sign-in through the publisher's SSO claims or as a guest, and the posting gate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Iterator, Mapping

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from townhall.policy.enforcement import is_trusted
from townhall.policy.normalise import blank
from townhall.policy.policyfile import NEW_ACCOUNT_RULE, RECENT_HISTORY_RULE
from townhall.policy.types import Subject, Verdict
from townhall.service.core import Services, as_utc, plain_address, storable
from townhall.service.appeals import can_appeal, covering_appeal
from townhall.service.enforcement import (ERASED_PREFIX, REVERSAL, SANCTIONED_PREFIX, SANCTIONS, action_in_force, carry_bans_to, release_erased, sanction_in_force,
                                          settle_standing, state_of)
from townhall.service.errors import Forbidden, Invalid, NotFound, Sanctioned, Unauthenticated, no_such_site
from townhall.service.identity import Identity
from townhall.service.article_urls import site_origins
from townhall.service.closing import takes_released
from townhall.service.history import recent_history_hit, recent_history_notice
from townhall.service.notices import comments_acted_on
from townhall.store import archive as archive_store
from townhall.store import content, moderation, people
from townhall.store.schema import AccountState, ActionKind, ActorKind, CommentStatus, DecisionSource, Role

# Subjects Townhall gives accounts of its own; a publisher's sign-in may not name them (an imported reader's
# account is claimed by a vouched-for e-mail on first sign-in instead: townhall.service.importing.claim_imported).
RESERVED_SUBJECTS = ("guest:", "import:", ERASED_PREFIX, SANCTIONED_PREFIX)
MAX_SUBJECT = 255  # accounts.subject holds 300
MAX_EMAIL = 300  # accounts.email
PREMODERATED_HELD = "Comments from this account are reviewed by a moderator before they appear."
PREMODERATION_RULE = "premoderation"  # the rule a premoderated account's comments are held by
NEW_ACCOUNT_HELD = "Comments from new accounts are reviewed by a moderator before they appear."


class EmailVerified(StrEnum):
    """What a reader token's ``email_verified`` claim said (recorded as such in the audit log)."""

    TRUE = "true"
    FALSE = "false"
    ABSENT = "absent"
    INVALID = "invalid"  # a number, null, an object…: counts as unverified


@dataclass(frozen=True, slots=True)
class SsoProfile:
    """What a verified publisher token says about its reader, as Townhall keeps it. ``email`` is the address
    the publisher vouches for (stored, used for e-mail, claims imported history on the first sign-in);
    ``unverified_email`` one it does not (kept nowhere; only looked up to audit a declined claim);
    ``email_verified`` what the token said."""

    name: str
    supporter: bool
    role: Role
    email: str | None
    unverified_email: str | None
    email_verified: EmailVerified


def email_verified_claim(claims: Mapping[str, Any]) -> EmailVerified:
    """OpenID Connect's ``email_verified``: "true" or "false" for a JSON boolean or the strings "true" and
    "false" in any case (Apple's and some Cognito tokens send strings), "absent" without the claim, and
    "invalid" for anything else (a number, null, an object), which counts as unverified."""
    if "email_verified" not in claims:
        return EmailVerified.ABSENT
    value = claims["email_verified"]
    if isinstance(value, bool):
        return EmailVerified.TRUE if value else EmailVerified.FALSE
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return EmailVerified(value.lower())
    return EmailVerified.INVALID


def _clean_name(name: Any, fallback: str) -> str:
    if not isinstance(name, str):
        return fallback
    name = " ".join("".join(ch for ch in name if ch.isprintable()).split())[:80]
    return name or fallback


def _profile_changes(row: Mapping[str, Any], name: str, supporter: bool, role: Role, email: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if row["display_name"] != name:
        changes["display_name"] = name
    if bool(row["supporter"]) != supporter:
        changes["supporter"] = supporter
    if row["role"] != role.value:
        changes["role"] = role.value
    if email and row["email"] != email:
        changes["email"] = email
    return changes


SUBJECT_KEY = "subject_key"  # site meta: the key of erased-while-sanctioned subjects (moves with an export)


def _keyed(key: str, text: str) -> str:
    return SANCTIONED_PREFIX + hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def sanctioned_subject(conn: Connection, site_id: str, subject: str) -> str:
    """What an erased account keeps in place of its subject while a ban, suspension or premoderation is in force: a
    keyed hash, which names no one, but lets the same sign-in find the account (and its sanction) again. The key is
    the site's own (made on first use), so that it can move with the site to another installation."""
    key = people.put_meta_if_absent(conn, people.site_meta_key(site_id, SUBJECT_KEY), secrets.token_urlsafe(32))
    return _keyed(key, subject)  # the key is the site's: its id stays out, so the site may be imported under another


def sanctioned_subjects(conn: Connection, svc: Services, site_id: str, subject: str) -> list[str]:
    """Every form an erased-while-sanctioned account of ``subject`` may hold: keyed with the site's key, or
    (erased before sites had keys of their own, 2026-11-27) with the installation secret and the site's id —
    such an account does not move with an export."""
    key = people.get_meta(conn, people.site_meta_key(site_id, SUBJECT_KEY))
    return ([_keyed(key, subject)] if key else []) + [_keyed(svc.secret, f"{site_id}\x00{subject}")]


def _save_sso_account(svc: Services, site_id: str, sub: str, p: SsoProfile) -> int:
    with svc.db.write() as conn:
        row = people.find_account(conn, site_id, sub)
        if row is None:  # an account erased while sanctioned: the sanction still holds for this reader
            row = next(filter(None, (people.find_account(conn, site_id, hashed)
                                     for hashed in sanctioned_subjects(conn, svc, site_id, sub))), None)
            if row is not None and release_erased(conn, svc, int(row["id"])):
                row = None  # the sanction is over, and the erasure with it: this sign-in starts afresh
            elif row is not None:
                people.update_account(conn, int(row["id"]), subject=sub)
        from townhall.service.importing import claim_imported, decline_claim, merge_imported

        if row is None and p.email:  # first sign-in: take over imported accounts with this e-mail (issue 9)
            row = people.get_account(conn, claim_imported(svc, conn, site_id, sub, p.email,
                                                          email_verified=p.email_verified) or 0)
        if row is None:  # the first sign-in; a known reader's account claims when a vouched address arrives (below)
            account_id = people.insert_account(
                conn, site_id=site_id, subject=sub, display_name=p.name, email=p.email, supporter=p.supporter,
                role=p.role.value, guest=False, state=AccountState.ACTIVE.value, created_at=svc.now(),
            )
            _audit_profile(svc, conn, site_id, account_id, {"role": p.role.value} if p.role is not Role.READER else {}, None)
            carry_bans_to(conn, svc, account_id)  # a ban carried to every site of the installation holds here too
            if p.unverified_email:
                decline_claim(svc, conn, site_id, account_id, p.unverified_email, email_verified=p.email_verified)
            return account_id
        changes = _profile_changes(row, p.name, p.supporter, p.role, p.email)
        if changes:
            people.update_account(conn, int(row["id"]), **changes)
            _audit_profile(svc, conn, site_id, int(row["id"]), changes, row["role"])
        if "email" in changes and (row["email"] or "").lower() != changes["email"].lower():
            # a reader who signed in before the import, or before their address was vouched for; not where
            # another reader of the site holds the address too (as at an import: then neither takes it)
            readers = [i for i, sub in archive_store.account_ids_with_email(conn, site_id, changes["email"])
                       if not sub.lower().startswith(RESERVED_SUBJECTS)]
            if readers == [int(row["id"])]:
                merge_imported(svc, conn, site_id, int(row["id"]), changes["email"], actor_kind=ActorKind.READER,
                               actor=f"account:{int(row['id'])}", email_verified=p.email_verified)
        return int(row["id"])


def _audit_profile(svc: Services, conn: Connection, site_id: str, account_id: int, changes: Mapping[str, Any],
                   old_role: str | None) -> None:
    """What a publisher's token changed of an account, in the audit log: a role given or taken (who became a
    moderator, and when, even where only the site's secret stands behind it) as ``account.role_changed``, and
    a changed name, address or supporter flag as ``account.profile_changed`` naming the fields only (the audit
    log is append-only and outlives an erasure: no names, no addresses)."""
    actor = {"actor_kind": ActorKind.SYSTEM.value, "actor": f"sso:{site_id}", "site_id": site_id}
    if "role" in changes:
        svc.audit(conn, action="account.role_changed", subject_type="account", subject_id=account_id,
                  details={"from": old_role, "to": changes["role"], "via": "sso"}, **actor)
    fields = sorted(f for f in changes if f != "role")
    if fields:
        svc.audit(conn, action="account.profile_changed", subject_type="account", subject_id=account_id,
                  details={"fields": fields, "via": "sso"}, **actor)


def _true(value: Any) -> bool:
    """A yes/no claim: JSON ``true`` or the string "true" in any case; "false", "0", "no", numbers and the rest
    say no (as for ``email_verified``)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def check_claims(claims: Mapping[str, Any]) -> Mapping[str, Any]:
    """Refuse the claims of a verified publisher token that no account can hold, the same way on both
    databases: a ``sub`` or ``email`` with a NUL character or a lone surrogate, or too long."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUBJECT or not storable(sub):
        raise Unauthenticated(f"The sign-in token has no usable 'sub' claim (1 to {MAX_SUBJECT} characters, no NUL).")
    email = claims.get("email")
    if isinstance(email, str) and (len(email) > MAX_EMAIL or not storable(email)):
        raise Unauthenticated(f"The sign-in token's 'email' claim is not usable (at most {MAX_EMAIL} characters, no NUL).")
    return claims


def sign_in_sso(svc: Services, site_id: str, claims: Mapping[str, Any]) -> Identity:
    """Find or create the account for verified SSO claims and keep its profile in step with them."""
    sub = check_claims(claims)["sub"]
    if sub.lower().startswith(RESERVED_SUBJECTS):  # Townhall's own accounts (in any case: SQLite's LIKE folds it)
        raise Unauthenticated("The sign-in token's 'sub' uses a prefix Townhall keeps for its own accounts.",
                              {"reserved": list(RESERVED_SUBJECTS)})
    name = _clean_name(claims.get("name"), "Reader")
    supporter = _true(claims.get("supporter"))
    role_claim = claims.get("role", "reader")
    try:
        role = Role(role_claim) if isinstance(role_claim, str) else Role.READER
    except ValueError:
        role = Role.READER
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    if email is not None:  # one address, or none: "a@x.org, b@y.org" would mail two people
        email = email.strip() if plain_address(email.strip()) else None
    # Only an address the publisher vouches for is stored, gets e-mail, links accounts across sites and claims
    # imported history: the token says so, or says nothing and the installation trusts that (the default).
    verified = email_verified_claim(claims)
    vouched = verified is EmailVerified.TRUE or (
        verified is EmailVerified.ABSENT and not svc.settings.sso_require_email_verified)
    profile = SsoProfile(name, supporter, role, email if vouched else None, None if vouched else email, verified)
    # A reader sends the same claims with every request: which account they name is kept for a few seconds
    # (an account's id never changes; its state is read again by whatever the request does).
    key = f"identity:{site_id}:{sub}\x00{name}\x00{supporter}\x00{role.value}\x00{profile.email or ''}"
    return svc.cached(key, lambda: _sso_identity(svc, site_id, sub, profile))


def _sso_identity(svc: Services, site_id: str, sub: str, p: SsoProfile) -> Identity:
    with svc.db.read() as conn:  # the common case: a known reader whose profile has not changed
        row = people.find_account(conn, site_id, sub)
    if row is not None and not _profile_changes(row, p.name, p.supporter, p.role, p.email):
        return Identity(int(row["id"]), site_id, sub, p.name, p.role, p.supporter, False)
    try:
        account_id = _save_sso_account(svc, site_id, sub, p)
    except IntegrityError:  # the same reader's first two requests raced; the other one created the account
        account_id = _save_sso_account(svc, site_id, sub, p)
    # the profile was written: a cached sign-in of an earlier one (another role, name…) would skip writing it back
    svc.forget(f"identity:{site_id}:{sub}\x00")
    return Identity(account_id, site_id, sub, p.name, p.role, p.supporter, False)


def guests_not_allowed() -> Forbidden:
    return Forbidden("This site asks readers to sign in before commenting.", code="guests_not_allowed")


def require_guests_allowed(site: Mapping[str, Any], ident: Identity) -> None:
    """Refuse a guest's post, edit, reaction or report on a site that no longer allows guests."""
    if ident.guest and not site["allow_guests"]:
        raise guests_not_allowed()


def _guest_subject(guest_id: str | None) -> str | None:
    """The subject of a guest token's id, or None (no id, or not one Townhall made)."""
    try:
        return f"guest:{uuid.UUID(guest_id)}" if guest_id else None
    except ValueError:
        return None


def _returning_guest(svc: Services, site_id: str, guest_id: str | None) -> Identity | None:
    """The existing account of a guest token's id, as it is (nothing is written)."""
    subject = _guest_subject(guest_id)
    if subject is None:
        return None
    with svc.db.read() as conn:
        row = people.find_account(conn, site_id, subject)
    if row is None:
        return None
    return Identity(int(row["id"]), site_id, subject, row["display_name"], Role.READER, False, True)


def _check_guest_name(svc: Services, site: Mapping[str, Any], display: str) -> None:
    """A guest's display name is shown beside every comment of theirs: the house rules that would refuse it
    in a comment (the F word, abuse) refuse it as a name too, with their reasons; no strike is counted.
    (A signed-in reader's name is the publisher's.)"""
    decision = svc.policies.for_site(site).evaluate(Subject(text=display))
    if decision.verdict is Verdict.REJECT:
        hits = [h.to_dict() for h in decision.deciding_hits]
        reasons = " ".join(dict.fromkeys(h.description for h in decision.deciding_hits))
        raise Invalid(f"Choose another display name: {reasons}".strip(), {"field": "guest_name", "hits": hits},
                      code="name_refused")


def sign_in_guest(svc: Services, site_id: str, name: Any, guest_id: str | None) -> Identity:
    """A guest account, if the site allows guests. ``guest_id`` lets a returning guest keep an account."""
    with svc.db.read() as conn:
        site = content.get_site(conn, site_id)
    if site is None:
        raise no_such_site(site_id)
    if not site["allow_guests"]:
        # A guest who commented before the site turned guests off keeps their account: they can still read,
        # see their standing (GET /me), appeal, export and delete; posting, editing, reacting and reporting
        # are refused by the comments service (require_guests_allowed).
        returning = _returning_guest(svc, site_id, guest_id)
        if returning is not None:
            return returning
        raise guests_not_allowed()
    if not isinstance(name, str) or blank(name):  # a name of Braille blanks would show no author at all
        raise Invalid("A guest needs a display name.", {"field": "guest_name"})
    display = _clean_name(name, "Guest")
    subject = _guest_subject(guest_id) or f"guest:{uuid.uuid4()}"
    with svc.db.read() as conn:
        known = people.find_account(conn, site_id, subject)
    if known is None or known["display_name"] != display:
        _check_guest_name(svc, site, display)
    with svc.db.write() as conn:
        row = people.find_account(conn, site_id, subject)
        if row is None:
            account_id = people.insert_account(
                conn, site_id=site_id, subject=subject, display_name=display, supporter=False,
                role=Role.READER.value, guest=True, state=AccountState.ACTIVE.value, created_at=svc.now(),
            )
        else:
            account_id = int(row["id"])
            if row["display_name"] != display:
                people.update_account(conn, account_id, display_name=display)
    return Identity(account_id, site_id, subject, display, Role.READER, False, True)


def active_sanction(conn: Connection, svc: Services, account: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ban or suspension in force, if any: the strongest one, whatever order they came in."""
    if account["state"] not in (AccountState.SUSPENDED.value, AccountState.BANNED.value):
        return None  # the state is written whenever a sanction is taken or lifted; only time can end one
    action = action_in_force(conn, svc, int(account["id"]))
    return action if action is not None and action["kind"] in SANCTIONS else None


def sanction_details(conn: Connection, action: Mapping[str, Any]) -> dict[str, Any]:
    """A sanction as the reader is told it, with its appeal: the reader's own of it, or the appeal of another action
    that decides it too (townhall.service.appeals.covering_appeal: the strike it was taken with)."""
    appeal = moderation.appeal_for_action(conn, int(action["id"]))
    if appeal is None:
        appealed = {int(a["action_id"]): a for a in moderation.appeals_for_account(conn, int(action["account_id"]))}
        if appealed:
            appeal = covering_appeal(moderation.actions_for(conn, int(action["account_id"])), action, appealed)
    ends = as_utc(action["ends_at"])
    return {
        "action_id": action["id"],
        "sanction": action["kind"],
        "reason": action["reason"],
        "rule": action["rule"],
        "until": ends.isoformat() if ends else None,
        "appeal": _appeal_of(appeal),
        "can_appeal": appeal is None,
        "appeal_url": f"/api/v1/me/actions/{action['id']}/appeal",
    }


def require_can_post(conn: Connection, svc: Services, account_id: int, *, lock: bool = False) -> Mapping[str, Any]:
    """The account, unless a ban or suspension keeps it from taking part. ``lock`` (in a write transaction that
    may count a strike): the account's row stays locked until the transaction ends, so that the same reader's
    comments sent at once are judged one after the other on PostgreSQL, each seeing the strikes and sanctions of
    the one before (else each counted only its own strike and the ladder never climbed)."""
    account = people.get_account(conn, account_id, for_update=lock)
    if account is None:
        raise NotFound("No such account.")
    if str(account["subject"]).startswith(ERASED_PREFIX):  # erased while this request was on its way: nothing is added
        raise Unauthenticated("This account was erased; sign in again to take part as a new reader.")
    action = active_sanction(conn, svc, account)
    if action is not None:
        details = sanction_details(conn, action)
        if action["kind"] == ActionKind.BAN.value:
            msg = f"You are banned from commenting: {action['reason']}"
        else:
            msg = f"You are suspended until {details['until']}: {action['reason']}"
        raise Sanctioned(msg, details)
    if account["state"] in (AccountState.SUSPENDED.value, AccountState.BANNED.value):  # its sanction ran out
        settle_standing(conn, svc, account_id)  # back to premoderated, warned or active: whatever is in force
        account = people.get_account(conn, account_id)
        assert account is not None
    return account


def trusted(conn: Connection, svc: Services, account: Mapping[str, Any], policy: Any) -> bool:
    now = svc.now()
    actions = moderation.recent_actions(conn, int(account["id"]), now - timedelta(days=policy.settings.trust.clean_days))
    # strikes and sanctions not lifted, and a moderator's lifting of one (it was deserved); not the restore that
    # undid actions found wrong (an appeal granted), which would keep the reader out just the same
    last = max((as_utc(a["created_at"]) for a in actions
                if not (a["kind"] == ActionKind.RESTORE.value and a["rule"] == REVERSAL)), default=None)
    published = content.count_account_comments(conn, int(account["id"]), CommentStatus.PUBLISHED)
    return is_trusted(
        policy.settings.trust, now=now, created_at=as_utc(account["created_at"]) or now, published=published,
        last_sanction_at=last,
    )


def me(svc: Services, ident: Identity) -> dict[str, Any]:
    with svc.db.read() as conn:
        account = people.get_account(conn, ident.account_id)
        if account is None:
            raise NotFound("No such account.")
        actions = moderation.actions_for(conn, ident.account_id)
        deciding = sanction_in_force(actions, svc)  # live: a warning or suspension may have run out
        action = deciding if deciding is not None and deciding["kind"] in SANCTIONS else None
        warning = sanction_in_force(actions, svc, ActionKind.WARN)
        strikes = moderation.active_strikes(conn, ident.account_id, svc.now())
        site = svc.site(ident.site_id)
        policy = svc.policies.for_site(site)
        appealed = {int(a["action_id"]): a for a in moderation.appeals_for_account(conn, ident.account_id)}
        written = comments_acted_on(conn, ident.account_id, actions, site_origins(site))
        history = [
            {"id": a["id"], "kind": a["kind"], "reason": a["reason"], "rule": a["rule"],
             "created_at": as_utc(a["created_at"]).isoformat(), "ends_at": (as_utc(a["ends_at"]).isoformat() if a["ends_at"] else None),
             "revoked": a["revoked_at"] is not None, "can_appeal": can_appeal(actions, a, appealed, svc, policy),
             "appeal": _appeal_of(appealed.get(int(a["id"])) or covering_appeal(actions, a, appealed)),
             "comment": written.get(a["comment_id"])}
            for a in actions
        ]
        return {
            "id": ident.account_id,
            "name": account["display_name"],
            "supporter": bool(account["supporter"]),
            "role": account["role"],
            "guest": bool(account["guest"]),
            "state": state_of(deciding).value,
            "sanction": _notice(conn, action, written) if action is not None else None,
            "warning": _notice(conn, warning, written) if warning is not None else None,
            "premoderation": _premoderation(conn, svc, account, actions, policy, written),
            "active_strikes": len(strikes),
            "actions": history,
            "removed_comments": _removed_by_moderators(conn, ident.account_id),
        }


def _notice(conn: Connection, action: Mapping[str, Any], written: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    """A sanction in force as GET /me tells it: :func:`sanction_details` and the comment it was for, as its entry
    of ``actions`` names it."""
    return {**sanction_details(conn, action), "comment": written.get(action["comment_id"])}


def _appeal_of(appeal: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The reader's appeal against an action and the moderator's answer (as in :func:`sanction_details`)."""
    return {"state": appeal["state"], "response": appeal["response"]} if appeal is not None else None


def held_as_new(conn: Connection, account: Mapping[str, Any], policy: Any) -> bool:
    """``[comments] premoderate_new_accounts``: a reader's comments wait for a moderator until one of their own is
    published (a moderator approved one), read in the caller's transaction; moderators' own are never held."""
    return bool(policy.settings.comments.premoderate_new_accounts and account["role"] == Role.READER.value
                and content.count_account_comments(conn, int(account["id"]), CommentStatus.PUBLISHED) == 0)


def held_only_by_premoderation(conn: Connection, account_id: int,
                               since: Any) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """The reader's held comments written since ``since`` that a premoderation alone held (every house rule let
    them through), oldest first, locked, each with its decision: what a premoderation found wrong or released
    leaves to publish. A comment a rule held, or a moderator decided, is not among them."""
    held = [r for r in content.list_account_comments(conn, account_id, statuses=[CommentStatus.HELD], limit=1000,
                                                     for_update=True)
            if since is None or (as_utc(r["created_at"]) or since) >= since]
    latest = moderation.latest_decisions(conn, [int(r["id"]) for r in held])
    out = []
    for row in reversed(held):  # oldest first
        decision = latest.get(int(row["id"]))
        holding = [h.get("rule") for h in (decision["hits"] or []) if h.get("action") in ("hold", "reject")] if decision else []
        if decision is not None and decision["source"] == DecisionSource.PIPELINE.value and holding == [PREMODERATION_RULE]:
            out.append((row, decision))
    return out


def releasable(conn: Connection, svc: Services, account: Mapping[str, Any], policy: Any,
               since: Any) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """What lifting a premoderation (evasion released, appeal granted) publishes of :func:`held_only_by_premoderation`,
    each asked once the caller has published the one before (it counts in the reader's record): none while the site
    holds the account as new; not one the reader's ``[history]`` would hold, nor one on an article premoderated or
    closed since (:func:`townhall.service.closing.takes_released`): those wait for a moderator."""
    for row, decision in held_only_by_premoderation(conn, int(account["id"]), since):
        if held_as_new(conn, account, policy):
            return
        if recent_history_hit(conn, svc, account, policy) is None and \
                takes_released(svc, policy, content.get_thread_by_id(conn, row["thread_id"])):
            yield row, decision


def _premoderation(conn: Connection, svc: Services, account: Mapping[str, Any], actions: list[Mapping[str, Any]],
                   policy: Any, written: Mapping[int, dict[str, Any]]) -> dict[str, Any] | None:
    """Whether the reader's comments are held for a moderator before they appear, and why: a premoderation in
    force (a moderator's, or one taken on ban-evasion evidence; it stays in force under a suspension), or the
    site's ``premoderate_new_accounts`` while none of the reader's comments has been published, or the site's
    ``[history]`` while most of the reader's recent comments were rejected (:func:`townhall.service.comments.settle`)."""
    held = sanction_in_force(actions, svc, ActionKind.PREMODERATE)
    if held is not None:
        details = _notice(conn, held, written)
        del details["sanction"]
        return {"source": "sanction", **details}
    if held_as_new(conn, account, policy):
        return {"source": "new_account", "action_id": None, "reason": NEW_ACCOUNT_HELD, "rule": NEW_ACCOUNT_RULE,
                "until": None, "appeal": None, "can_appeal": False, "appeal_url": None, "comment": None}
    if (notice := recent_history_notice(conn, svc, account, policy)) is not None:
        return {"source": "recent_history", "action_id": None, "reason": notice, "rule": RECENT_HISTORY_RULE,
                "until": None, "appeal": None, "can_appeal": False, "appeal_url": None, "comment": None}
    return None


def _removed_by_moderators(conn: Connection, account_id: int) -> list[dict[str, Any]]:
    """The reader's own comments that a moderator rejected, with the reason the moderator gave (issue 8)."""
    rows = content.list_account_comments(conn, account_id, statuses=[CommentStatus.REJECTED], limit=20)
    latest = moderation.latest_decisions(conn, [r["id"] for r in rows])
    return [{"id": r["id"], "text": r["body"], "reason": latest[r["id"]]["reason"],
             "at": as_utc(latest[r["id"]]["created_at"]).isoformat()}
            for r in rows if r["id"] in latest and latest[r["id"]]["source"] == "moderator"]
