"""The numbers page: comments per day, share held/rejected per rule, queue sizes and ages, moderator
response times, and the false-positive rate measured by moderators' reversals of automatic decisions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from townhall.service.core import Services
from townhall.service.dashboard import report_threshold, utc
from townhall.service.identity import Actor
from townhall.store import stats

AUTO = ("hold", "reject")


@dataclass(frozen=True, slots=True)
class RuleRow:
    rule: str
    held: int
    rejected: int
    reversed: int

    @property
    def total(self) -> int:
        return self.held + self.rejected

    @property
    def false_positive_rate(self) -> float:
        return self.reversed / self.total if self.total else 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def numbers(svc: Services, actor: Actor, site_id: str, days: int = 30) -> dict[str, Any]:
    actor.require_site(site_id)
    days = max(1, min(days, 365))
    now = svc.now()
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    with svc.db.read() as conn:
        per_day = stats.comments_per_day(conn, site_id, since)
        decided = stats.decisions_since(conn, site_id, since)
        queues = stats.queue_sizes(conn, site_id, report_threshold(svc, conn, site_id))
        appeals = stats.appeal_times_since(conn, site_id, since)
    day_keys = [(since + timedelta(days=i)).date().isoformat() for i in range(days)]
    daily: dict[str, dict[str, int]] = {d: {"published": 0, "held": 0, "rejected": 0, "deleted": 0} for d in day_keys}
    for day, status, n in per_day:
        key = day[:10]
        if key in daily:
            daily[key][status] = daily[key].get(status, 0) + n

    auto: dict[int, tuple[str, list[str]]] = {}  # comment -> (verdict, deciding rules) of its first automatic hold/reject
    reversed_ids: set[int] = set()
    response: dict[str, list[float]] = {}
    total_auto = 0
    for d in decided:
        cid = int(d["comment_id"])
        if d["source"] == "pipeline":
            if d["verdict"] in AUTO and cid not in auto:
                rules = [str(h.get("rule")) for h in (d["hits"] or []) if _deciding(h, d["verdict"])] or ["(unnamed)"]
                auto[cid] = (str(d["verdict"]), rules)
                total_auto += 1
        elif d["source"] == "moderator" and d["moderator"] and not str(d["moderator"]).startswith("account:"):
            if cid in auto and d["verdict"] == "publish":
                reversed_ids.add(cid)
            if d["verdict"] in ("publish", "reject"):
                hours = (utc(d["created_at"]) - utc(d["comment_created_at"])).total_seconds() / 3600
                response.setdefault(str(d["moderator"]), []).append(max(0.0, hours))
    for a in appeals:
        if a["decided_by"]:
            hours = (utc(a["decided_at"]) - utc(a["created_at"])).total_seconds() / 3600
            response.setdefault(str(a["decided_by"]), []).append(max(0.0, hours))

    per_rule: dict[str, list[int]] = {}
    for cid, (verdict, rules) in auto.items():
        for rule in dict.fromkeys(rules):
            row = per_rule.setdefault(rule, [0, 0, 0])
            row[0 if verdict == "hold" else 1] += 1
            row[2] += cid in reversed_ids
    total_comments = sum(sum(v.values()) for v in daily.values())
    rule_rows = sorted((RuleRow(r, *v) for r, v in per_rule.items()), key=lambda r: -r.total)
    return {
        "site": site_id, "days": days, "since": since, "now": now,
        "daily": [{"day": d, **daily[d]} for d in day_keys],
        "total_comments": total_comments,
        "rules": [{"rule": r.rule, "held": r.held, "rejected": r.rejected, "reversed": r.reversed,
                   "share_held": r.held / total_comments if total_comments else 0.0,
                   "share_rejected": r.rejected / total_comments if total_comments else 0.0,
                   "false_positive_rate": r.false_positive_rate} for r in rule_rows],
        "queues": [{"queue": q, "size": n, "oldest_hours": ((now - utc(oldest)).total_seconds() / 3600) if oldest else None}
                   for q, (n, oldest) in queues.items()],
        "moderators": [{"moderator": m, "decisions": len(v), "median_hours": median(v), "p90_hours": _pct(v, 0.9)}
                       for m, v in sorted(response.items())],
        "automatic": total_auto,
        "reversed": len(reversed_ids),
        "false_positive_rate": len(reversed_ids) / total_auto if total_auto else 0.0,
    }


def _deciding(hit: dict[str, Any], verdict: str) -> bool:
    action = hit.get("action")
    return (verdict == "hold" and action == "hold") or (verdict == "reject" and action == "reject")


def to_csv(data: dict[str, Any]) -> str:
    """All tables of the numbers page in one CSV: section, key, measure, value."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "key", "measure", "value"])
    for row in data["daily"]:
        for status in ("published", "held", "rejected", "deleted"):
            w.writerow(["comments_per_day", row["day"], status, row[status]])
    for row in data["rules"]:
        for m in ("held", "rejected", "reversed", "share_held", "share_rejected", "false_positive_rate"):
            w.writerow(["rules", row["rule"], m, _fmt(row[m])])
    for row in data["queues"]:
        w.writerow(["queues", row["queue"], "size", row["size"]])
        w.writerow(["queues", row["queue"], "oldest_hours", _fmt(row["oldest_hours"])])
    for row in data["moderators"]:
        for m in ("decisions", "median_hours", "p90_hours"):
            w.writerow(["moderators", row["moderator"], m, _fmt(row[m])])
    for m in ("automatic", "reversed", "false_positive_rate"):
        w.writerow(["overall", data["site"], m, _fmt(data[m])])
    return buf.getvalue()


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")
