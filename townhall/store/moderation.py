"""Queries for decisions, account actions, appeals, notes, flags and the append-only audit log.

There is deliberately no function that updates or deletes audit entries (and the database refuses it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.schema import (
    insert_row,
    ActionKind,
    AppealState,
    FlagState,
    account_actions,
    accounts,
    appeals,
    audit_log,
    decisions,
    flags,
    notes,
)

Row = RowMapping


# --- decisions ---------------------------------------------------------------------------------------
def insert_decision(conn: Connection, **values: Any) -> int:
    return insert_row(conn, decisions, values)


def decisions_for(conn: Connection, comment_ids: Sequence[int]) -> list[Row]:
    if not comment_ids:
        return []
    q = select(decisions).where(decisions.c.comment_id.in_(list(comment_ids))).order_by(decisions.c.id)
    return list(conn.execute(q).mappings())


def latest_decisions(conn: Connection, comment_ids: Sequence[int]) -> dict[int, Row]:
    out: dict[int, Row] = {}
    for row in decisions_for(conn, comment_ids):
        out[row["comment_id"]] = row
    return out


# --- account actions ---------------------------------------------------------------------------------
def insert_action(conn: Connection, **values: Any) -> int:
    return insert_row(conn, account_actions, values)


def get_action(conn: Connection, action_id: int) -> Row | None:
    return conn.execute(select(account_actions).where(account_actions.c.id == action_id)).mappings().first()


def revoke_action(conn: Connection, action_id: int, now: datetime) -> bool:
    res = conn.execute(
        update(account_actions)
        .where(account_actions.c.id == action_id, account_actions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(res.rowcount)


def actions_for(conn: Connection, account_id: int) -> list[Row]:
    q = select(account_actions).where(account_actions.c.account_id == account_id).order_by(account_actions.c.id)
    return list(conn.execute(q).mappings())


def unrevoked_actions_like(conn: Connection, *, kind: str, reason: str, actor: str) -> list[Row]:
    """The actions not lifted, of any account, of this kind with exactly this reason and actor (the copies of a
    ban carried to other sites)."""
    q = select(account_actions).where(account_actions.c.kind == kind, account_actions.c.reason == reason,
                                      account_actions.c.actor == actor, account_actions.c.revoked_at.is_(None))
    return list(conn.execute(q.order_by(account_actions.c.id)).mappings())


def active_strikes(conn: Connection, account_id: int, now: datetime) -> list[Row]:
    q = select(account_actions).where(
        account_actions.c.account_id == account_id,
        account_actions.c.kind == ActionKind.STRIKE.value,
        account_actions.c.revoked_at.is_(None),
        or_(account_actions.c.ends_at.is_(None), account_actions.c.ends_at > now),
    )
    return list(conn.execute(q.order_by(account_actions.c.id)).mappings())


def recent_actions(conn: Connection, account_id: int, since: datetime) -> list[Row]:
    q = select(account_actions).where(
        account_actions.c.account_id == account_id,
        account_actions.c.created_at >= since,
        account_actions.c.revoked_at.is_(None),
    )
    return list(conn.execute(q).mappings())


# --- appeals -----------------------------------------------------------------------------------------
def insert_appeal(conn: Connection, **values: Any) -> int:
    return insert_row(conn, appeals, values)


def get_appeal(conn: Connection, appeal_id: int) -> Row | None:
    return conn.execute(select(appeals).where(appeals.c.id == appeal_id)).mappings().first()


def appeal_for_action(conn: Connection, action_id: int) -> Row | None:
    return conn.execute(select(appeals).where(appeals.c.action_id == action_id)).mappings().first()


def decide_appeal(conn: Connection, appeal_id: int, *, state: AppealState, response: str, by: str, now: datetime) -> bool:
    """Close an open appeal; returns False when another moderator already decided it."""
    res = conn.execute(
        update(appeals)
        .where(appeals.c.id == appeal_id, appeals.c.state == AppealState.OPEN.value)
        .values(state=state.value, response=response, decided_by=by, decided_at=now)
    )
    return bool(res.rowcount)


def list_appeals(conn: Connection, site_id: str, *, state: AppealState | None, limit: int = 100) -> list[Row]:
    q = (
        select(appeals, accounts.c.display_name, account_actions.c.kind.label("action_kind"),
               account_actions.c.reason.label("action_reason"), account_actions.c.actor.label("action_actor"),
               account_actions.c.comment_id.label("action_comment_id"))
        .join(accounts, accounts.c.id == appeals.c.account_id)
        .join(account_actions, account_actions.c.id == appeals.c.action_id)
        .where(accounts.c.site_id == site_id)
    )
    if state is not None:
        q = q.where(appeals.c.state == state.value)
    return list(conn.execute(q.order_by(appeals.c.id.desc()).limit(limit)).mappings())


def appeals_for_account(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(appeals).where(appeals.c.account_id == account_id).order_by(appeals.c.id)).mappings())


# --- notes -------------------------------------------------------------------------------------------
def insert_note(conn: Connection, **values: Any) -> int:
    return insert_row(conn, notes, values)


def notes_for(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(notes).where(notes.c.account_id == account_id).order_by(notes.c.id)).mappings())


# --- flags (ban evasion, coordination clusters) ------------------------------------------------------
def insert_flag(conn: Connection, **values: Any) -> int:
    return insert_row(conn, flags, values)


def get_flag(conn: Connection, flag_id: int) -> Row | None:
    return conn.execute(select(flags).where(flags.c.id == flag_id)).mappings().first()


def find_open_flag(conn: Connection, site_id: str, kind: str, key: str) -> Row | None:
    q = select(flags).where(
        flags.c.site_id == site_id, flags.c.kind == kind, flags.c.key == key, flags.c.state == FlagState.OPEN.value
    )
    return conn.execute(q).mappings().first()


def open_flags_with_keys(conn: Connection, site_id: str, kind: str, keys: Sequence[str]) -> list[Row]:
    """The open flags of a kind whose key is one of ``keys`` (asked 500 keys at a time)."""
    found: list[Row] = []
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        q = select(flags).where(flags.c.site_id == site_id, flags.c.kind == kind, flags.c.state == FlagState.OPEN.value,
                                flags.c.key.in_(unique[start:start + 500]))
        found.extend(conn.execute(q.order_by(flags.c.id)).mappings())
    return found


def flag_was_decided(conn: Connection, site_id: str, kind: str, key: str) -> bool:
    """Whether a moderator already confirmed or dismissed a flag of this kind and key."""
    q = select(flags.c.id).where(flags.c.site_id == site_id, flags.c.kind == kind, flags.c.key == key,
                                 flags.c.state != FlagState.OPEN.value).limit(1)
    return conn.execute(q).first() is not None


def flags_of_kind(conn: Connection, site_id: str, kind: str) -> list[Row]:
    """Every flag of a kind on a site, open and decided, newest first (coordination flags: a handful per week)."""
    q = select(flags).where(flags.c.site_id == site_id, flags.c.kind == kind).order_by(flags.c.id.desc())
    return list(conn.execute(q).mappings())


def update_flag(conn: Connection, flag_id: int, **values: Any) -> None:
    conn.execute(update(flags).where(flags.c.id == flag_id).values(**values))


def decide_flag(conn: Connection, flag_id: int, *, state: FlagState, by: str, now: datetime) -> bool:
    res = conn.execute(
        update(flags)
        .where(flags.c.id == flag_id, flags.c.state == FlagState.OPEN.value)
        .values(state=state.value, decided_by=by, decided_at=now)
    )
    return bool(res.rowcount)


def list_flags(conn: Connection, site_id: str, *, kind: str | None = None, state: FlagState | None = FlagState.OPEN, limit: int = 100) -> list[Row]:
    q = select(flags).where(flags.c.site_id == site_id)
    if kind is not None:
        q = q.where(flags.c.kind == kind)
    if state is not None:
        q = q.where(flags.c.state == state.value)
    return list(conn.execute(q.order_by(flags.c.score.desc(), flags.c.id.desc()).limit(limit)).mappings())


# --- audit log (append-only) -------------------------------------------------------------------------
def append_audit(conn: Connection, **values: Any) -> int:
    return insert_row(conn, audit_log, values)


def audit_entries(
    conn: Connection,
    *,
    site_id: str | None = None,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int = 0,
    limit: int = 1000,
) -> list[Row]:
    conds = [audit_log.c.id > after_id]
    if site_id is not None:
        conds.append(audit_log.c.site_id == site_id)
    if actor is not None:
        conds.append(audit_log.c.actor == actor)
    if subject_type is not None:
        conds.append(audit_log.c.subject_type == subject_type)
    if subject_id is not None:
        conds.append(audit_log.c.subject_id == subject_id)
    if action is not None:
        conds.append(audit_log.c.action == action)
    if since is not None:
        conds.append(audit_log.c.at >= since)
    if until is not None:
        conds.append(audit_log.c.at < until)
    q = select(audit_log).where(and_(*conds)).order_by(audit_log.c.id).limit(limit)
    return list(conn.execute(q).mappings())


def iter_audit(conn: Connection, site_id: str | None = None, batch: int = 1000) -> Iterator[Row]:
    after = 0
    while True:
        rows = audit_entries(conn, site_id=site_id, after_id=after, limit=batch)
        if not rows:
            return
        yield from rows
        after = rows[-1]["id"]


def count_audit(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
