"""The audit log for moderators: browse with filters (moderator, account, rule or action, dates) and export
as JSON Lines. Read-only: the log is append-only and nothing here can change it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator

from townhall.service.core import Services, as_utc
from townhall.service.errors import Invalid
from townhall.service.identity import Actor
from townhall.store import dashboard

BATCH = 500


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    account: int | None = None
    action: str | None = None  # a prefix: "account.", "comment.moderated", "flag.confirmed"
    rule: str | None = None  # entries whose details name this rule
    since: date | None = None
    until: date | None = None  # inclusive

    @classmethod
    def parse(cls, actor: str | None, account: int | None, action: str | None, rule: str | None, since: str | None,
              until: str | None) -> AuditFilter:
        return cls(actor or None, account, action or None, rule or None, _day(since), _day(until))

    def query(self) -> dict[str, str]:
        values = {"actor": self.actor, "account": self.account, "action": self.action, "rule": self.rule,
                  "since": self.since.isoformat() if self.since else None, "until": self.until.isoformat() if self.until else None}
        return {k: str(v) for k, v in values.items() if v}


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise Invalid("Dates are YYYY-MM-DD.", {"value": value}) from exc


def _names_rule(details: Any, rule: str) -> bool:
    if not isinstance(details, dict):
        return False
    rules = details.get("rules")
    return details.get("rule") == rule or (isinstance(rules, list) and rule in rules)


def _entries(svc: Services, site_id: str, f: AuditFilter, before_id: int | None) -> Iterator[dict[str, Any]]:
    since = datetime.combine(f.since, time(0), tzinfo=timezone.utc) if f.since else None
    # to the end of ``until``; up to the calendar's last day is no bound (the day after it does not exist)
    until = datetime.combine(f.until, time(0), tzinfo=timezone.utc) + timedelta(days=1) if f.until and f.until < date.max else None
    cursor = before_id
    while True:
        with svc.db.read() as conn:
            rows = dashboard.audit_page(conn, site_ids=[site_id], actor=f.actor, action_prefix=f.action,
                                        subject_type="account" if f.account else None,
                                        subject_id=str(f.account) if f.account else None, since=since, until=until,
                                        before_id=cursor, limit=BATCH)
        for row in rows:
            if f.rule is None or _names_rule(row["details"], f.rule):
                yield {**dict(row), "at": as_utc(row["at"])}
        if len(rows) < BATCH:
            return
        cursor = int(rows[-1]["id"])


def browse(svc: Services, actor: Actor, site_id: str, f: AuditFilter, *, before_id: int | None = None,
           limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
    """A page of entries, newest first, and the id to continue before (None at the end)."""
    actor.require_site(site_id)
    out: list[dict[str, Any]] = []
    for entry in _entries(svc, site_id, f, before_id):
        out.append(entry)
        if len(out) > limit:
            return out[:limit], int(out[limit - 1]["id"])
    return out, None


def export_jsonl(svc: Services, actor: Actor, site_id: str, f: AuditFilter, limit: int = 100_000) -> str:
    """Matching entries as JSON Lines, oldest first."""
    actor.require_site(site_id)
    rows = []
    for entry in _entries(svc, site_id, f, None):
        rows.append(entry)
        if len(rows) >= limit:
            break
    return "".join(json.dumps({**r, "at": r["at"].isoformat()}, default=str, ensure_ascii=False) + "\n" for r in reversed(rows))


def actors(svc: Services, actor: Actor, site_id: str) -> list[str]:
    actor.require_site(site_id)
    with svc.db.read() as conn:
        return dashboard.audit_actors(conn, [site_id])
