"""Queries for importing archives (idempotently, by archive ids) and exporting a site's content."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, DateTime, Float, Integer, String, Table, func, insert, select, update
from sqlalchemy.engine import RowMapping

from townhall.store.ops_tables import reader_prefs
from townhall.store.people import site_meta_key

from townhall.store.schema import (
    account_actions,
    accounts,
    appeals,
    audit_log,
    comments,
    decisions,
    meta,
    notes,
    reactions,
    reports,
    sites,
    threads,
)

# Record types of a Townhall export, in the order they are written and read back (references point backwards).
RECORD_TABLES: dict[str, Table] = {
    "thread": threads, "account": accounts, "comment": comments, "decision": decisions, "reaction": reactions,
    "report": reports, "action": account_actions, "appeal": appeals, "note": notes, "prefs": reader_prefs,
    "audit": audit_log,
}

Row = RowMapping


def imported_comments(conn: Connection, site_id: str, external_ids: Sequence[str]) -> list[Row]:
    """Comments of the site already imported under these archive ids, in any thread: (id, root_id, depth,
    thread_id, external_id, thread_key: the thread's external id); an id may be found in several threads."""
    out: list[Row] = []
    ids = list(dict.fromkeys(external_ids))
    for start in range(0, len(ids), 500):
        q = (
            select(comments.c.id, comments.c.root_id, comments.c.depth, comments.c.thread_id, comments.c.external_id,
                   threads.c.external_id.label("thread_key"))
            .join(threads, threads.c.id == comments.c.thread_id)
            .where(threads.c.site_id == site_id, comments.c.external_id.in_(ids[start:start + 500]))
        )
        out.extend(conn.execute(q).mappings())
    return out


def unclaimed_accounts_by_email(conn: Connection, site_id: str, email: str) -> list[Row]:
    q = (
        select(accounts)
        .where(accounts.c.site_id == site_id,
               func.substr(accounts.c.subject, 1, 7) == "import:",  # not LIKE, which ignores case on SQLite
               func.lower(accounts.c.email) == email.strip().lower())
        .order_by(accounts.c.id)
    )
    return list(conn.execute(q).mappings())


def accounts_with_email(conn: Connection, site_id: str) -> Iterator[Row]:
    """(id, subject, email) of the site's accounts that hold an address."""
    return _rows(conn, select(accounts.c.id, accounts.c.subject, accounts.c.email)
                 .where(accounts.c.site_id == site_id, accounts.c.email.is_not(None)).order_by(accounts.c.id))


def account_ids_with_email(conn: Connection, site_id: str, email: str) -> list[tuple[int, str]]:
    """(id, subject) of the site's accounts that hold ``email`` (in any case)."""
    q = (select(accounts.c.id, accounts.c.subject)
         .where(accounts.c.site_id == site_id, func.lower(accounts.c.email) == email.strip().lower()))
    return [(int(i), str(sub)) for i, sub in conn.execute(q)]


def move_comments(conn: Connection, from_account: int, to_account: int) -> None:
    conn.execute(update(comments).where(comments.c.account_id == from_account).values(account_id=to_account))


# --- export ------------------------------------------------------------------------------------------
def _rows(conn: Connection, q: Any) -> Iterator[Row]:
    yield from conn.execute(q.execution_options(yield_per=500)).mappings()


def site_row(conn: Connection, site_id: str) -> Row | None:
    return conn.execute(select(sites).where(sites.c.id == site_id)).mappings().first()


def export_threads(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(threads).where(threads.c.site_id == site_id).order_by(threads.c.id))


def export_accounts(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(accounts).where(accounts.c.site_id == site_id).order_by(accounts.c.id))


def _site_accounts(site_id: str) -> Any:
    return select(accounts.c.id).where(accounts.c.site_id == site_id)


def _site_threads(site_id: str) -> Any:
    return select(threads.c.id).where(threads.c.site_id == site_id)


def export_comments(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(comments).where(comments.c.thread_id.in_(_site_threads(site_id))).order_by(comments.c.id))


def export_decisions(conn: Connection, site_id: str) -> Iterator[Row]:
    site_comments = select(comments.c.id).where(comments.c.thread_id.in_(_site_threads(site_id)))
    return _rows(conn, select(decisions).where(decisions.c.comment_id.in_(site_comments)).order_by(decisions.c.id))


def export_actions(conn: Connection, site_id: str) -> Iterator[Row]:
    q = select(account_actions).where(account_actions.c.account_id.in_(_site_accounts(site_id))).order_by(account_actions.c.id)
    return _rows(conn, q)


def export_appeals(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(appeals).where(appeals.c.account_id.in_(_site_accounts(site_id))).order_by(appeals.c.id))


def export_notes(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(notes).where(notes.c.account_id.in_(_site_accounts(site_id))).order_by(notes.c.id))


def export_prefs(conn: Connection, site_id: str) -> Iterator[Row]:
    """Readers' notification settings (reply e-mails they opted into)."""
    q = select(reader_prefs).where(reader_prefs.c.account_id.in_(_site_accounts(site_id))).order_by(reader_prefs.c.account_id)
    return _rows(conn, q)


def export_audit(conn: Connection, site_id: str) -> Iterator[Row]:
    return _rows(conn, select(audit_log).where(audit_log.c.site_id == site_id).order_by(audit_log.c.id))


def export_reactions(conn: Connection, site_id: str) -> Iterator[Row]:
    site_comments = select(comments.c.id).where(comments.c.thread_id.in_(_site_threads(site_id)))
    q = select(reactions).where(reactions.c.comment_id.in_(site_comments))
    return _rows(conn, q.order_by(reactions.c.comment_id, reactions.c.account_id))


def export_reports(conn: Connection, site_id: str) -> Iterator[Row]:
    site_comments = select(comments.c.id).where(comments.c.thread_id.in_(_site_threads(site_id)))
    return _rows(conn, select(reports).where(reports.c.comment_id.in_(site_comments)).order_by(reports.c.id))


def record_columns(kind: str) -> list[str]:
    return [c.name for c in RECORD_TABLES[kind].columns]


@dataclass(frozen=True, slots=True)
class Field:
    """What one column of a record's table holds: ``kind`` is one of int, float, bool, time, json, text;
    ``length`` the most characters of a text (None: any); ``required``: no NULL and no default."""

    kind: str
    length: int | None
    nullable: bool
    required: bool


def _field_kind(column_type: Any) -> str:
    for sql_type, kind in ((Boolean, "bool"), (Integer, "int"), (Float, "float"), (DateTime, "time"), (JSON, "json")):
        if isinstance(column_type, sql_type):
            return kind
    return "text"


def record_fields(kind: str) -> dict[str, Field]:
    """The columns of a record type (ids and the site's own column left out), as :class:`Field`."""
    return {c.name: Field(_field_kind(c.type), c.type.length if isinstance(c.type, String) else None, bool(c.nullable),
                          not c.nullable and c.default is None and c.server_default is None)
            for c in RECORD_TABLES[kind].columns if c.name not in ("id", "site_id")}


def time_columns(kind: str | None) -> frozenset[str]:
    """The columns that hold a time, of a record type (``None``: the site); only these are read back as
    times, so that a comment whose text looks like a timestamp stays text."""
    table = sites if kind is None else RECORD_TABLES[kind]
    return frozenset(c.name for c in table.columns if isinstance(c.type, DateTime))


def count_threads(conn: Connection, site_id: str) -> int:
    return int(conn.execute(select(func.count()).select_from(threads).where(threads.c.site_id == site_id)).scalar_one())


def insert_record(conn: Connection, kind: str, values: dict[str, Any]) -> int | None:
    """Insert one exported record (without its old id); returns the new id where the table has one."""
    table = RECORD_TABLES[kind]
    res = conn.execute(insert(table).values(**values))
    key = res.inserted_primary_key
    return int(key[0]) if key and key[0] is not None and isinstance(key[0], int) else None


def site_meta(conn: Connection, site_id: str) -> dict[str, str]:
    """A site's own settings kept in ``meta`` (``site:<id>:<name>``), by name."""
    prefix = site_meta_key(site_id, "")
    rows = conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.startswith(prefix, autoescape=True)))
    return {str(key)[len(prefix):]: str(value) for key, value in rows if str(key).startswith(prefix)}  # LIKE may fold case


def set_site_meta(conn: Connection, site_id: str, name: str, value: str) -> None:
    key = site_meta_key(site_id, name)
    if conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta.insert().values(key=key, value=value))
