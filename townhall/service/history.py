"""``[history] hold_rejected_share``: a reader whose recent comments were mostly rejected has their next ones held for
a moderator. What counts is :mod:`townhall.policy.history`'s; here the reader's comments are read (one query,
:func:`townhall.store.history.recent_judgements`) in the caller's transaction, and each one's latest judgement is
turned into an :class:`~townhall.policy.history.Outcome`.

:func:`townhall.service.comments.settle` adds the hit to a reader's comment the house rules would publish; GET
/api/v1/me names the hold (:func:`townhall.service.accounts.me`). ``townhall moderate`` judges texts without
authors and has no history: it never shows this hold (as it never shows ``new_account``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from townhall.policy.history import HISTORY_READ, Outcome, RecentHistory, Tally, refused_for_conduct, tally
from townhall.policy.types import Hit
from townhall.service.core import Services
from townhall.store.history import recent_judgements
from townhall.store.schema import CommentStatus, DecisionSource, Role

__all__ = ["outcome", "recent_history_hit", "recent_history_notice", "recent_tally"]

_BY_STATUS = {CommentStatus.PUBLISHED.value: Outcome.APPROVED, CommentStatus.REJECTED.value: Outcome.REJECTED}


def outcome(row: Mapping[str, Any]) -> Outcome | None:
    """How one comment was last judged (:func:`recent_judgements`' row): published, rejected, or neither (held; refused
    only for its length or a closed thread). An imported comment's decision says what the policy would have done,
    not what the archive did: its status says that."""
    source = row["source"]
    if source is None or source == DecisionSource.IMPORT.value:
        return _BY_STATUS.get(row["status"])
    if row["verdict"] == "publish":
        return Outcome.APPROVED
    if row["verdict"] != "reject":
        return None  # held (by the rules, or put back by a moderator)
    if source != DecisionSource.PIPELINE.value:
        return Outcome.REJECTED  # a moderator's rejection or removal
    refusing = [str(h.get("rule")) for h in row["hits"] or [] if isinstance(h, dict) and h.get("action") == "reject"]
    return Outcome.REJECTED if refused_for_conduct(refusing) else None


def recent_tally(conn: Connection, svc: Services, account_id: int, days: float, *, exclude: int | None = None) -> Tally:
    """The reader's judged and rejected comments written in the ``days`` before now (at most the latest
    :data:`HISTORY_READ`), ``exclude`` left out."""
    rows: list[RowMapping] = recent_judgements(conn, account_id, svc.now() - timedelta(days=days), limit=HISTORY_READ,
                                               exclude=exclude)
    return tally(outcome(r) for r in rows)


def _applies(account: Mapping[str, Any], policy: Any) -> bool:
    return bool(policy.settings.history.on and account["role"] == Role.READER.value)


def recent_history_hit(conn: Connection, svc: Services, account: Mapping[str, Any], policy: Any, *,
                       exclude: int | None = None) -> Hit | None:
    """The ``recent_history`` hold for a reader's next comment (``exclude``: the comment being edited, which is not
    judged by its own record), or None: the site does not hold on history, the author is a moderator or
    administrator, or the record is short or good enough."""
    if not _applies(account, policy):
        return None
    check = RecentHistory(policy.settings.history)
    return check.judge(recent_tally(conn, svc, int(account["id"]), check.config.days, exclude=exclude))


def recent_history_notice(conn: Connection, svc: Services, account: Mapping[str, Any], policy: Any) -> str | None:
    """What GET /api/v1/me tells a reader whose next comment would be held for their recent history, or None."""
    if not _applies(account, policy):
        return None
    check = RecentHistory(policy.settings.history)
    counts = recent_tally(conn, svc, int(account["id"]), check.config.days)
    return check.notice(counts) if check.holds(counts) else None
