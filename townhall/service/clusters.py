"""Troll clusters for moderators: the cluster page's data, and confirming (ban every account with the
policy's ``troll_confirmed`` sanction) or dismissing a coordination flag. Every step is audited."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence, cast

from townhall.service.core import Services, as_utc
from townhall.service.dashboard import account_ids, glance, signals_of, utc
from townhall.service.enforcement import PAID_TROLL, take_action
from townhall.service.errors import Conflict, Invalid, NotFound
from townhall.service.identity import Actor
from townhall.store import content, dashboard, moderation, people
from townhall.store.schema import ActionKind, FlagKind, FlagState
from townhall.trolls.decisions import PastFlag

BUCKETS = 48


def record_flag(svc: Services, site_id: str, kind: FlagKind, members: Sequence[int], score: float,
                evidence: dict[str, Any], key: str | None = None) -> int:
    """Store a flag for moderators (used by detectors and for seeding); audited as a system action."""
    with svc.db.write() as conn:
        known = dashboard.account_ids_exist(conn, site_id, [int(a) for a in members])
        if len(known) < 1:
            raise Invalid("A flag names accounts of its site.")
        flag_id = moderation.insert_flag(conn, site_id=site_id, kind=kind.value, state=FlagState.OPEN.value, score=score,
                                         accounts=known, evidence=evidence, key=key, created_at=svc.now())
        svc.audit(conn, action=f"flag.{kind.value}", subject_type="flag", subject_id=flag_id, actor_kind="system",
                  actor="detector", site_id=site_id, details={"accounts": known, "score": score})
    return flag_id


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def cluster_view(svc: Services, actor: Actor, flag_id: int) -> dict[str, Any]:
    """Accounts side by side, their shared threads and repeated texts, an activity timeline, and the signals."""
    with svc.db.read() as conn:
        flag = moderation.get_flag(conn, flag_id)
        if flag is None:
            raise NotFound("No such flag.")
        actor.require_site(flag["site_id"])
        ids = account_ids(flag["accounts"])
        members = glance(conn, ids, svc.now())
        rows = dashboard.comments_of_accounts(conn, ids)
        times = [utc(r["created_at"]) for r in rows]
        thread_ids = sorted({int(r["thread_id"]) for r in rows})
        if times:
            start, end = min(times), max(times)
            pad = max((end - start) / 10, timedelta(minutes=30))
            start, end = start - pad, end + pad
            overall = [utc(t) for t in dashboard.thread_comment_times(conn, thread_ids, start, end)]
        else:
            start = end = svc.now()
            overall = []
    texts = Counter(_norm(r["body"]) for r in rows)
    by_thread: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_thread.setdefault(r["thread_external_id"], {"thread": r["thread_external_id"], "title": r["thread_title"],
                                                               "accounts": set(), "comments": []})
        entry["accounts"].add(int(r["account_id"]))
        entry["comments"].append({"id": r["id"], "account_id": int(r["account_id"]), "text": r["body"], "status": r["status"],
                                  "created_at": as_utc(r["created_at"]), "repeated": texts[_norm(r["body"])] > 1})
    shared = sorted((t for t in by_thread.values() if len(t["accounts"]) > 1), key=lambda t: -len(t["accounts"]))
    for t in shared:
        t["accounts"] = sorted(t["accounts"])
    per_member: dict[int, list[dict[str, Any]]] = {a: [] for a in ids}
    for r in reversed(rows):
        if len(per_member.setdefault(int(r["account_id"]), [])) < 8:
            per_member[int(r["account_id"])].append({"id": r["id"], "text": r["body"], "status": r["status"],
                                                     "thread": r["thread_external_id"], "created_at": as_utc(r["created_at"]),
                                                     "repeated": texts[_norm(r["body"])] > 1})
    evidence = flag["evidence"] if isinstance(flag["evidence"], dict) else {"evidence": flag["evidence"]}
    return {
        "flag": {"id": flag["id"], "site": flag["site_id"], "kind": flag["kind"], "state": flag["state"], "score": flag["score"],
                 "key": flag["key"], "created_at": as_utc(flag["created_at"]), "decided_by": flag["decided_by"],
                 "decided_at": as_utc(flag["decided_at"])},
        "members": [dict(members[a], recent=per_member.get(a, [])) for a in ids if a in members],
        "names": {a: m["name"] for a, m in members.items()},
        "shared": shared[:20],
        "repeated_texts": sum(1 for n in texts.values() if n > 1),
        "timeline": timeline(times, overall, start, end),
        "signals": signals_of(evidence),
        "evidence": {k: v for k, v in evidence.items() if k not in ("evidence", "items", "signals", "members")},
        "raw_evidence": evidence,
    }


def timeline(cluster: Sequence[datetime], overall: Sequence[datetime], start: datetime, end: datetime,
             buckets: int = BUCKETS) -> dict[str, Any]:
    """Counts per time bucket for the cluster's comments and for all comments on the same threads."""
    span = max((end - start).total_seconds(), 1.0)
    width = span / buckets

    def count(times: Sequence[datetime]) -> list[int]:
        out = [0] * buckets
        for t in times:
            i = int((t - start).total_seconds() / width)
            if 0 <= i < buckets:
                out[i] += 1
            elif i == buckets:
                out[-1] += 1
        return out

    return {"start": start, "end": end, "bucket_seconds": width, "cluster": count(cluster), "overall": count(overall)}


def confirm_cluster(svc: Services, actor: Actor, flag_id: int, reason: str = "") -> dict[str, Any]:
    """Mark a coordination flag confirmed and sanction every account in it with the site policy's
    ``troll_confirmed`` sanction (a ban by default). One transaction: all or nothing."""
    with svc.db.write() as conn:
        flag = moderation.get_flag(conn, flag_id)
        if flag is None:
            raise NotFound("No such flag.")
        actor.require_site(flag["site_id"])
        if flag["kind"] != FlagKind.COORDINATION.value:
            raise Invalid("Only coordination (troll cluster) flags are confirmed as a cluster.")
        if not moderation.decide_flag(conn, flag_id, state=FlagState.CONFIRMED, by=actor.id, now=svc.now()):
            raise Conflict("Another moderator has already decided this cluster.", {"state": flag["state"]})
        policy = svc.policies.for_site(content.get_site(conn, flag["site_id"]))
        kind = ActionKind(policy.settings.enforcement.troll_confirmed.value)
        text = reason.strip() or "Confirmed member of a coordinated troll operation (paid trolling is against the house rules)."
        actions: dict[int, int] = {}
        # every member, and the accounts its ban may be carried to, locked in id order before any is banned: a
        # moderator banning a member's account on another site at once locks them in that order too
        members = people.lock_people(conn, account_ids(flag["accounts"]))
        for account_id in account_ids(flag["accounts"]):
            account = members.get(account_id)
            if account is None or account["site_id"] != flag["site_id"] or account["state"] == "banned":
                continue
            hours = 24.0 * 30 if kind is ActionKind.SUSPEND else None
            actions[account_id] = take_action(conn, svc, account=cast(Mapping[str, Any], account), kind=kind, actor=actor, reason=text,
                                              rule=PAID_TROLL, hours=hours, policy_version=getattr(policy, "version", None))
        svc.audit(conn, action="flag.confirmed", subject_type="flag", subject_id=flag_id, actor_kind=actor.kind.value,
                  actor=actor.id, site_id=flag["site_id"],
                  details={"sanction": kind.value, "accounts": sorted(actions), "actions": sorted(actions.values()), "reason": text})
    return {"flag_id": flag_id, "state": FlagState.CONFIRMED.value, "sanction": kind.value, "actions": actions}


def dismiss_flag(svc: Services, actor: Actor, flag_id: int, reason: str = "") -> dict[str, Any]:
    with svc.db.write() as conn:
        flag = moderation.get_flag(conn, flag_id)
        if flag is None:
            raise NotFound("No such flag.")
        actor.require_site(flag["site_id"])
        if not moderation.decide_flag(conn, flag_id, state=FlagState.DISMISSED, by=actor.id, now=svc.now()):
            raise Conflict("Another moderator has already decided this flag.", {"state": flag["state"]})
        svc.audit(conn, action="flag.dismissed", subject_type="flag", subject_id=flag_id, actor_kind=actor.kind.value,
                  actor=actor.id, site_id=flag["site_id"], details={"reason": reason.strip()})
        if flag["kind"] == FlagKind.EVASION.value:
            from townhall.service import evasion

            evasion.flag_dismissed(conn, svc, flag)
    if flag["kind"] == FlagKind.COORDINATION.value and svc.trolls is not None:
        # the cluster is not a campaign: its members' comments are no longer held for it, from now on (every
        # later analysis keeps them cleared until the cluster shows new evidence: townhall.trolls.decisions)
        cleared = PastFlag.of(flag_id, FlagState.DISMISSED.value, flag["key"], flag["accounts"] or [], flag["evidence"])
        svc.trolls.clear(flag["site_id"], cleared.members)
    return {"flag_id": flag_id, "state": FlagState.DISMISSED.value}
