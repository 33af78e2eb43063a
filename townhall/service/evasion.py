"""Ban evasion: a new account that shares signals with a banned one is flagged to moderators (or premoderated,
per policy). Never banned on these signals alone.

Strong evidence — a same device id, near-identical writing, or a same network prefix that few accounts use —
raises a flag and, under ``action = "premoderate"``, premoderates the account. A network prefix that many
accounts posted from within the window (``shared_network_accounts``: an office, a university, a carrier's NAT,
the newsroom's own Wi-Fi) is weak evidence: it is named in the flag but never acts on anyone. An account with
only weak evidence gets a low-score flag while it is new (younger than ``NEW_ACCOUNT_DAYS``), once: not again
after a moderator decided one. When a network turns out to be shared, accounts it alone had premoderated (they
arrived before the others) are released and their flags lowered to weak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Mapping

from sqlalchemy import Connection

from townhall.policy.config import EvasionAction, EvasionConfig
from townhall.service.accounts import releasable
from townhall.service.core import Services, as_utc
from townhall.store import content, moderation, people
from townhall.store.schema import AccountState, ActionKind, ActorKind, AppealState, CommentStatus, DecisionSource, FlagKind, FlagState


NEW_ACCOUNT_DAYS = 30  # writing is compared, and weak-only flags raised, only for accounts younger than this
SAME_WRITING = 0.8  # estimated Jaccard of content-word shingles that counts as near-identical writing
RULE = "evasion"  # the rule named on the premoderation this module takes, so that it alone is released
SCORE_DEVICE, SCORE_STRONG, SCORE_WEAK = 0.9, 0.6, 0.3
# the reason this module gave its premoderations before they named RULE (taken by versions before 2026-11-27)
_BEFORE_RULE_NAMED = "Shares a device or network with a banned account; comments are reviewed first."


class Signal(StrEnum):
    DEVICE = "device"  # strong
    WRITING = "writing"  # strong
    NETWORK = "network"  # strong: a prefix few accounts use
    SHARED_NETWORK = "shared_network"  # weak: a prefix many accounts use


class Strength(StrEnum):
    STRONG = "strong"  # flagged, and premoderated where the policy says so
    WEAK = "weak"  # flagged for a look at most; never an automatic action


STRONG_SIGNALS = frozenset({Signal.DEVICE, Signal.WRITING, Signal.NETWORK})
# How each signal reads in a flag's evidence; the text is the record, so its start tells the signal back.
_TEXT_STARTS = {Signal.DEVICE: "same device id", Signal.WRITING: "near-identical writing",
                Signal.NETWORK: "same network prefix", Signal.SHARED_NETWORK: "shared network"}


@dataclass(frozen=True, slots=True)
class Network:
    """How many distinct accounts posted from the suspect's network prefix within the window."""

    accounts: int
    shared: bool


def _network_text(cfg: EvasionConfig, net: Network, tag: str) -> str:
    """How a network reading reads; it ends with the prefix's tag, so that readings of different networks
    are kept apart (an evader's own home prefix is not forgotten when they also post from a busy one)."""
    if net.shared:
        return f"shared network ({net.accounts} accounts within {cfg.ip_window_hours:g} h) {_TAG}{tag}"
    return f"same network prefix within {cfg.ip_window_hours:g} h {_TAG}{tag}"


_TAG = "#net-"  # a network reading's prefix tag: the start of the prefix's hash, which names no address


def _signal_of(text: str) -> Signal | None:
    return next((s for s, start in _TEXT_STARTS.items() if str(text).startswith(start)), None)


def _slot(signal: Signal, text: str) -> str:
    """Where a reading is kept among a banned account's matches: one per signal, and one per network prefix
    for the network signals (readings written before prefixes were tagged share the tag "")."""
    if signal in (Signal.NETWORK, Signal.SHARED_NETWORK):
        at = text.rfind(_TAG)
        return "network:" + (text[at + len(_TAG):] if at >= 0 else "")
    return signal.value


# banned account id -> slot (:func:`_slot`) -> how the reading reads (its signal: :func:`_signal_of`)
Matches = dict[int, dict[str, str]]


def check_in(conn: Connection, svc: Services, site_id: str, account_id: int, ip_hash: str | None,
             device_hash: str | None, text: str | None = None) -> int | None:
    """Compare the account's signals with banned accounts of the site, inside the caller's write
    transaction (the one that judges and stores the comment, before it is judged, so that a premoderation
    taken here holds that comment too); returns the flag id if flagged."""
    if not ip_hash and not device_hash and not text:
        return None
    # Whether the site has banned anyone is asked on every post and changes rarely: cached for a few seconds,
    # forgotten at once when this process bans someone (enforcement.take_action).
    if not svc.cached(f"has_banned:{site_id}", lambda: people.site_has_banned(conn, site_id)):
        return None
    account = people.get_account(conn, account_id)
    if account is None or account["state"] == AccountState.BANNED.value:
        return None
    policy = svc.policies.for_site(content.get_site(conn, site_id))
    cfg = policy.settings.evasion
    is_new = svc.now() - as_utc(account["created_at"]) < timedelta(days=NEW_ACCOUNT_DAYS)
    matches: Matches = {}
    banned = AccountState.BANNED.value
    if device_hash:
        for other in people.accounts_sharing_device(conn, site_id, device_hash, exclude=account_id):
            if other["state"] == banned:
                matches.setdefault(int(other["id"]), {})[Signal.DEVICE.value] = _TEXT_STARTS[Signal.DEVICE]
    if ip_hash:
        since = svc.now() - timedelta(hours=cfg.ip_window_hours)
        on_prefix = people.accounts_sharing_ip(conn, site_id, ip_hash, since, exclude=account_id, state=banned)
        if on_prefix:
            seen = set(people.account_ids_on_ip(conn, site_id, ip_hash, since)) | {account_id}
            net = Network(len(seen), len(seen) >= cfg.shared_network_accounts)
            tag = ip_hash[:10]
            for other in on_prefix:
                matches.setdefault(int(other["id"]), {})[f"network:{tag}"] = _network_text(cfg, net, tag)
            if net.shared:  # those it alone held before the network showed itself shared are held no longer
                _rejudge(conn, svc, site_id, cfg, net, tag, seen - {account_id}, {int(o["id"]) for o in on_prefix})
    if text and svc.trolls is not None and is_new:
        similar = svc.trolls.similar_writers(site_id, text, SAME_WRITING)
        others = people.get_accounts(conn, sorted(int(a) for a in similar if a.isdigit() and int(a) != account_id))
        for other_id, other in others.items():
            if other["state"] == banned:
                matches.setdefault(other_id, {})[Signal.WRITING.value] = (
                    f"near-identical writing (similarity {similar[str(other_id)]:.2f})")
    if not matches:
        return None
    return _record(conn, svc, site_id, account, cfg, matches, is_new, policy.version)


def _record(conn: Connection, svc: Services, site_id: str, account: Mapping[str, Any], cfg: EvasionConfig,
            matches: Matches, is_new: bool, policy_version: str) -> int | None:
    """Raise or update the account's flag and take (or release) the policy's action."""
    account_id = int(account["id"])
    key = f"evasion:{account_id}"
    existing = moderation.find_open_flag(conn, site_id, FlagKind.EVASION.value, key)
    if existing is not None:
        matches = _merged(_matches_of(existing["evidence"]), matches)
    strength = _strength(matches)
    premoderate = strength is Strength.STRONG and cfg.action is EvasionAction.PREMODERATE \
        and not _cleared_by_moderator(conn, site_id, account_id, key)
    evidence = _evidence(account_id, matches, strength, premoderate)
    score = _score(matches, strength)
    if existing is not None:
        moderation.update_flag(conn, existing["id"], evidence=evidence, score=score,
                               accounts=[account_id, *sorted(set(_ids(existing["accounts"])[1:]) | set(matches))])
        flag_id = int(existing["id"])
    elif strength is Strength.WEAK and (
            not is_new or moderation.flag_was_decided(conn, site_id, FlagKind.EVASION.value, key)):
        return None  # a shared network alone: worth one look at a new account, not a flag on every post of every reader
    else:
        flag_id = moderation.insert_flag(
            conn, site_id=site_id, kind=FlagKind.EVASION.value, state=FlagState.OPEN.value, score=score,
            accounts=[account_id, *sorted(matches)], evidence=evidence, key=key, created_at=svc.now(),
        )
        svc.audit(conn, action="account.evasion_flagged", subject_type="account", subject_id=account_id,
                  actor_kind=ActorKind.SYSTEM.value, actor="evasion", site_id=site_id,
                  details={"flag_id": flag_id, "banned_accounts": sorted(matches), "strength": strength.value})
    if premoderate and account["state"] != AccountState.PREMODERATED.value:
        from townhall.service.enforcement import take_action
        from townhall.service.identity import Actor

        take_action(conn, svc, account=account, kind=ActionKind.PREMODERATE, actor=Actor.policy(), rule=RULE,
                    reason="Shares a device, writing or network with a banned account; comments are reviewed first.",
                    policy_version=policy_version)
    elif strength is Strength.WEAK:
        _release(conn, svc, account, matches)
    return flag_id


def _cleared_by_moderator(conn: Connection, site_id: str, account_id: int, key: str) -> bool:
    """Whether a moderator already found the account no evader: its evasion flag dismissed, or an appeal against
    the premoderation this module took reversed. The account is still flagged; it is not premoderated again on
    the evidence the moderator weighed."""
    if moderation.flag_was_decided(conn, site_id, FlagKind.EVASION.value, key):
        return True
    ours = {int(a["id"]) for a in moderation.actions_for(conn, account_id)
            if a["kind"] == ActionKind.PREMODERATE.value and a["rule"] == RULE}
    return any(int(p["action_id"]) in ours and p["state"] == AppealState.REVERSED.value
               for p in moderation.appeals_for_account(conn, account_id))


def _rejudge(conn: Connection, svc: Services, site_id: str, cfg: EvasionConfig, net: Network, tag: str,
             neighbours: set[int], banned: set[int]) -> None:
    """The prefix (``tag``) is shared: on the open flags of the accounts seen on it, a match on this prefix with
    these banned accounts becomes the weak signal it is; an account left with weak evidence only is released.
    Readings of other prefixes stand."""
    keys = [f"evasion:{i}" for i in neighbours]
    slot = f"network:{tag}"
    for flag in moderation.open_flags_with_keys(conn, site_id, FlagKind.EVASION.value, keys):
        matches = _matches_of(flag["evidence"])
        stale = [b for b in banned if _signal_of(matches.get(b, {}).get(slot, "")) is Signal.NETWORK]
        if not stale:
            continue
        for b in stale:
            matches[b][slot] = _network_text(cfg, net, tag)
        strength = _strength(matches)
        suspect = people.get_account(conn, _ids(flag["accounts"])[0])
        if suspect is None:
            continue
        held = strength is Strength.STRONG and flag["evidence"].get("action") == EvasionAction.PREMODERATE.value
        moderation.update_flag(conn, flag["id"], evidence=_evidence(int(suspect["id"]), matches, strength, held),
                               score=_score(matches, strength))
        if strength is Strength.WEAK:
            _release(conn, svc, suspect, matches)


def _release(conn: Connection, svc: Services, account: Mapping[str, Any], matches: Matches) -> None:
    """The network the account's premoderation rested on is shared: lift it (as :func:`_lift`)."""
    shared = next((t.split(_TAG)[0].strip() for m in matches.values() for t in m.values()
                   if _signal_of(t) is Signal.SHARED_NETWORK), "shared network")
    _lift(conn, svc, account, f"Comments are no longer reviewed first: a {shared} is no evidence of ban evasion.")


def _lift(conn: Connection, svc: Services, account: Mapping[str, Any], reason: str) -> None:
    """Lift the premoderation this module took on the account, as found wrong, and publish what it alone held (a
    moderator's own premoderation stands)."""
    taken = [int(a["id"]) for a in moderation.actions_for(conn, int(account["id"]))
             if a["kind"] == ActionKind.PREMODERATE.value and a["revoked_at"] is None
             and a["actor_kind"] == ActorKind.POLICY.value
             and (a["rule"] == RULE or (a["rule"] is None and a["reason"] == _BEFORE_RULE_NAMED))]
    if not taken:
        return
    from townhall.service.enforcement import restore
    from townhall.service.identity import Actor

    since = min(as_utc(a["created_at"]) for a in moderation.actions_for(conn, int(account["id"])) if int(a["id"]) in taken)
    restore(conn, svc, account=account, actor=Actor.policy(), revoke=taken, reversal=True, reason=reason)
    _publish_held(conn, svc, int(account["id"]), since)


def flag_dismissed(conn: Connection, svc: Services, flag: Mapping[str, Any]) -> None:
    """A moderator dismissed an evasion flag (not an evader): the premoderation it took goes with it."""
    ids = _ids(flag["accounts"])
    suspect = people.get_account(conn, ids[0]) if ids else None
    if suspect is not None:
        _lift(conn, svc, suspect, "Comments are no longer reviewed first: a moderator found no ban evasion.")


def ban_lifted(conn: Connection, svc: Services, site_id: str, account_id: int) -> None:
    """The ban of ``account_id`` was lifted: an open evasion flag that rested on banned accounts none of which is
    banned any more holds nobody's comments back (the premoderation it took is lifted)."""
    for flag in moderation.list_flags(conn, site_id, kind=FlagKind.EVASION.value, state=FlagState.OPEN, limit=100_000):
        ids = _ids(flag["accounts"])
        if account_id not in ids[1:]:
            continue
        others = people.get_accounts(conn, ids[1:])
        if any(o["state"] == AccountState.BANNED.value for o in others.values()):
            continue
        suspect = people.get_account(conn, ids[0])
        if suspect is not None:
            _lift(conn, svc, suspect, "Comments are no longer reviewed first: the ban they were compared with was lifted.")


def _publish_held(conn: Connection, svc: Services, account_id: int, since: Any) -> None:
    """Publish the comments that the released premoderation alone held (written since ``since``; every house
    rule let them through), unless the account's comments are still held for another reason: a moderator's
    premoderation, the site's ``premoderate_new_accounts`` while none of them was ever published, or its
    ``[history]`` while most of the reader's recent comments were rejected (asked before each comment: each one
    published counts in the reader's favour). A comment a rule held stays for a moderator, and so does one whose
    article a moderator premoderated, or which closed, since (:func:`townhall.service.accounts.releasable`)."""
    account = people.get_account(conn, account_id)
    if account is None or account["state"] != AccountState.ACTIVE.value:
        return
    policy = svc.policies.for_site(content.get_site(conn, account["site_id"]))
    for row, decision in releasable(conn, svc, account, policy, since):
        content.update_comment(conn, int(row["id"]), status=CommentStatus.PUBLISHED.value)
        moderation.insert_decision(conn, comment_id=row["id"], source=DecisionSource.PIPELINE.value, verdict="publish",
                                   hits=[], scores={}, policy_version=decision["policy_version"], moderator=None,
                                   reason="Held only while ban evasion was suspected; released", created_at=svc.now())
        svc.audit(conn, action="comment.published", subject_type="comment", subject_id=row["id"],
                  actor_kind=ActorKind.POLICY.value, actor="evasion", site_id=account["site_id"],
                  details={"account_id": account_id, "before": CommentStatus.HELD.value, "reason": "evasion released"})
        svc.announce_on(conn, row["thread_id"], svc.published_event(row))


def _strength(matches: Matches) -> Strength:
    strong = any(_signal_of(t) in STRONG_SIGNALS for m in matches.values() for t in m.values())
    return Strength.STRONG if strong else Strength.WEAK


def _score(matches: Matches, strength: Strength) -> float:
    if any(Signal.DEVICE.value in m for m in matches.values()):
        return SCORE_DEVICE
    return SCORE_STRONG if strength is Strength.STRONG else SCORE_WEAK


def _evidence(account_id: int, matches: Matches, strength: Strength, premoderate: bool) -> dict[str, Any]:
    return {
        "suspect": account_id,
        "banned_accounts": [{"account_id": k, "signals": list(v.values())} for k, v in sorted(matches.items())],
        "strength": strength.value,
        "action": EvasionAction.PREMODERATE.value if premoderate else EvasionAction.FLAG.value,
    }


def _matches_of(evidence: Any) -> Matches:
    """The matches a flag's evidence records (as :func:`_evidence` wrote them)."""
    found: Matches = {}
    entries = evidence.get("banned_accounts") if isinstance(evidence, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("account_id"), int):
            texts = entry.get("signals") if isinstance(entry.get("signals"), list) else []
            slots = found.setdefault(int(entry["account_id"]), {})
            for t in texts:
                signal = _signal_of(str(t))
                if signal is not None:
                    slots[_slot(signal, str(t))] = str(t)
    return found


def _merged(old: Matches, new: Matches) -> Matches:
    """Old matches kept, new ones added; a new reading of the same network prefix (shared or not) replaces the
    earlier one, and readings of other prefixes stand."""
    merged = {k: dict(v) for k, v in old.items()}
    for banned, slots in new.items():
        merged.setdefault(banned, {}).update(slots)
    return merged


def _ids(accounts: Any) -> list[int]:
    return [int(a) for a in accounts] if isinstance(accounts, list) else []
