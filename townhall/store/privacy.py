"""Queries for readers' data: gathering it for an export, erasing it, and purging old abuse signals."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.ops_tables import reader_prefs, webhook_deliveries
from townhall.store.schema import (account_actions, accounts, appeals, audit_log, comments, decisions, flags, meta, notes, reactions,
                                   reports, threads)

Row = RowMapping


def comments_of(conn: Connection, account_id: int) -> list[Row]:
    q = (select(comments, threads.c.external_id.label("thread_external_id"), threads.c.title.label("thread_title"))
         .join(threads, threads.c.id == comments.c.thread_id)
         .where(comments.c.account_id == account_id).order_by(comments.c.id))
    return list(conn.execute(q).mappings())


def reactions_of(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(reactions).where(reactions.c.account_id == account_id)).mappings())


def reports_by(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(reports).where(reports.c.account_id == account_id).order_by(reports.c.id)).mappings())


def actions_on(conn: Connection, account_id: int) -> list[Row]:
    q = select(account_actions).where(account_actions.c.account_id == account_id).order_by(account_actions.c.id)
    return list(conn.execute(q).mappings())


def appeals_by(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(appeals).where(appeals.c.account_id == account_id).order_by(appeals.c.id)).mappings())


def notes_on(conn: Connection, account_id: int) -> list[Row]:
    return list(conn.execute(select(notes).where(notes.c.account_id == account_id).order_by(notes.c.id)).mappings())


def consent_of(conn: Connection, account_id: int, actions: tuple[str, ...]) -> list[Row]:
    """The audit entries recording the reader's consent to e-mail, given or withdrawn (oldest first)."""
    q = (select(audit_log.c.at, audit_log.c.action, audit_log.c.details)
         .where(audit_log.c.subject_type == "account", audit_log.c.subject_id == str(account_id), audit_log.c.action.in_(actions))
         .order_by(audit_log.c.id))
    return list(conn.execute(q).mappings())


def prefs_of(conn: Connection, account_id: int) -> Row | None:
    return conn.execute(select(reader_prefs).where(reader_prefs.c.account_id == account_id)).mappings().first()


def scrub_comments(conn: Connection, account_id: int, *, remove: bool, placeholder_status: str) -> int:
    values: dict[str, Any] = {"ip_hash": None, "ua_hash": None, "device_hash": None}
    if remove:
        values.update(body="", html="", status=placeholder_status)
    return int(conn.execute(update(comments).where(comments.c.account_id == account_id).values(**values)).rowcount or 0)


def decisions_of(conn: Connection, account_id: int) -> list[Row]:
    own = select(comments.c.id).where(comments.c.account_id == account_id)
    return list(conn.execute(select(decisions.c.id, decisions.c.hits).where(decisions.c.comment_id.in_(own))).mappings())


def flags_of_site(conn: Connection, site_id: str) -> list[Row]:
    return list(conn.execute(select(flags.c.id, flags.c.evidence).where(flags.c.site_id == site_id)).mappings())


def set_flag_evidence(conn: Connection, flag_id: int, evidence: Any) -> None:
    conn.execute(update(flags).where(flags.c.id == flag_id).values(evidence=evidence))


def set_decision_hits(conn: Connection, decision_id: int, hits: list[dict[str, Any]]) -> None:
    conn.execute(update(decisions).where(decisions.c.id == decision_id).values(hits=hits))


def scrub_reader_writing(conn: Connection, account_id: int, placeholder: str) -> None:
    """Their appeals' text, their report notes and moderators' notes about them."""
    conn.execute(update(appeals).where(appeals.c.account_id == account_id).values(text=placeholder))
    conn.execute(update(reports).where(reports.c.account_id == account_id).values(note=None))
    conn.execute(update(notes).where(notes.c.account_id == account_id).values(text=placeholder))
    conn.execute(reader_prefs.delete().where(reader_prefs.c.account_id == account_id))


def anonymise_account(conn: Connection, account_id: int, *, subject: str, name: str) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(
        subject=subject, display_name=name, email=None, device_hash=None, supporter=False))


def account_ids_with_subject_prefix(conn: Connection, prefix: str) -> list[int]:
    """Accounts whose subject starts with ``prefix`` (e.g. those erased while sanctioned)."""
    q = select(accounts.c.id).where(accounts.c.subject.startswith(prefix, autoescape=True)).order_by(accounts.c.id)
    return [int(i) for i in conn.execute(q).scalars()]


def deliveries_of_site(conn: Connection, site_id: str) -> list[Row]:
    q = select(webhook_deliveries.c.id, webhook_deliveries.c.payload).where(webhook_deliveries.c.site_id == site_id)
    return list(conn.execute(q).mappings())


def set_delivery_payload(conn: Connection, delivery_id: int, payload: dict[str, Any]) -> None:
    conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(payload=payload))


def erasures_since(conn: Connection, site_ids: Sequence[str], since: datetime, action: str) -> dict[str, datetime]:
    """Per site of ``site_ids``: when an account was last erased there (audited as ``action``) at ``since`` or
    later; sites without one are left out."""
    if not site_ids:
        return {}
    q = (select(audit_log.c.site_id, func.max(audit_log.c.at))
         .where(audit_log.c.site_id.in_(list(site_ids)), audit_log.c.at >= since, audit_log.c.action == action)
         .group_by(audit_log.c.site_id))
    return {str(site): at for site, at in conn.execute(q)}


def purge_signals(conn: Connection, before: datetime) -> dict[str, int]:
    """Forget the hashes recorded before ``before``: a comment's, by the comment's time; an account's device hash
    (its first device, recorded with the comment that first showed it), by when it was last seen: it stays while
    one of the account's comments since ``before`` carries the same hash (kept for that comment anyway), and an
    account made since then cannot hold an older one. Not by the account's age: a reader who signed up long ago
    and posted yesterday keeps yesterday's device hash for the retention period, like the comment's."""
    old = comments.c.created_at < before
    has = or_(comments.c.ip_hash.is_not(None), comments.c.ua_hash.is_not(None), comments.c.device_hash.is_not(None))
    seen_since = (select(comments.c.id)
                  .where(comments.c.account_id == accounts.c.id, comments.c.created_at >= before,
                         comments.c.device_hash == accounts.c.device_hash)
                  .exists())  # ix_comments_account: the account's comments since ``before``
    # accounts before comments: the lock order of townhall.store.people.get_account
    n_accounts = conn.execute(update(accounts).where(accounts.c.created_at < before, accounts.c.device_hash.is_not(None),
                                                     ~seen_since)
                              .values(device_hash=None)).rowcount
    n_comments = conn.execute(update(comments).where(old, has).values(ip_hash=None, ua_hash=None, device_hash=None)).rowcount
    return {"comments": int(n_comments or 0), "accounts": int(n_accounts or 0)}


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))
