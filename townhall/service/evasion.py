"""Ban evasion: a new account that shares strong signals with a banned one is flagged to moderators
(or premoderated, per policy). Never banned on these signals alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from townhall.policy.config import EvasionAction
from townhall.service.core import Services, as_utc
from townhall.store import content, moderation, people
from townhall.store.schema import AccountState, ActionKind, ActorKind, FlagKind, FlagState


NEW_ACCOUNT_DAYS = 30  # writing is compared only for accounts younger than this
SAME_WRITING = 0.8  # estimated Jaccard of content-word shingles that counts as near-identical writing


def check_in(conn: Connection, svc: Services, site_id: str, account_id: int, ip_hash: str | None,
             device_hash: str | None, text: str | None = None) -> int | None:
    """Compare the account's signals with banned accounts of the site, inside the caller's write
    transaction (the one that stored the comment); returns the flag id if flagged."""
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
    matches: dict[int, list[str]] = {}
    if device_hash:
        for other in people.accounts_sharing_device(conn, site_id, device_hash, exclude=account_id):
            if other["state"] == AccountState.BANNED.value:
                matches.setdefault(int(other["id"]), []).append("same device id")
    if ip_hash:
        since = svc.now() - timedelta(hours=cfg.ip_window_hours)
        for other in people.accounts_sharing_ip(conn, site_id, ip_hash, since, exclude=account_id):
            if other["state"] == AccountState.BANNED.value:
                matches.setdefault(int(other["id"]), []).append(f"same network prefix within {cfg.ip_window_hours:g} h")
    if text and svc.trolls is not None and svc.now() - as_utc(account["created_at"]) < timedelta(days=NEW_ACCOUNT_DAYS):
        similar = svc.trolls.similar_writers(site_id, text, SAME_WRITING)
        others = people.get_accounts(conn, sorted(int(a) for a in similar if a.isdigit() and int(a) != account_id))
        for other_id, other in others.items():
            if other["state"] == AccountState.BANNED.value:
                matches.setdefault(other_id, []).append(f"near-identical writing (similarity {similar[str(other_id)]:.2f})")
    if not matches:
        return None
    key = f"evasion:{account_id}"
    evidence: dict[str, Any] = {
        "suspect": account_id,
        "banned_accounts": [{"account_id": k, "signals": v} for k, v in sorted(matches.items())],
        "action": cfg.action.value,
    }
    existing = moderation.find_open_flag(conn, site_id, FlagKind.EVASION.value, key)
    score = 0.9 if any("device" in s for v in matches.values() for s in v) else 0.6
    if existing is not None:
        moderation.update_flag(conn, existing["id"], evidence=evidence, score=score)
        return int(existing["id"])
    flag_id = moderation.insert_flag(
        conn, site_id=site_id, kind=FlagKind.EVASION.value, state=FlagState.OPEN.value, score=score,
        accounts=[account_id, *sorted(matches)], evidence=evidence, key=key, created_at=svc.now(),
    )
    svc.audit(conn, action="account.evasion_flagged", subject_type="account", subject_id=account_id,
              actor_kind=ActorKind.SYSTEM.value, actor="evasion", site_id=site_id,
              details={"flag_id": flag_id, "banned_accounts": sorted(matches)})
    if cfg.action is EvasionAction.PREMODERATE and account["state"] != AccountState.PREMODERATED.value:
        from townhall.service.enforcement import take_action
        from townhall.service.identity import Actor

        take_action(conn, svc, account=account, kind=ActionKind.PREMODERATE, actor=Actor.policy(),
                    reason="Shares a device or network with a banned account; comments are reviewed first.",
                    policy_version=policy.version)
    return flag_id
