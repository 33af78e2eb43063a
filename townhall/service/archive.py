"""Townhall's own archive: a site exported as JSON Lines, and imported into another installation.

Each line is one JSON object with a ``type``: first ``townhall-export`` (format version, the site, and the
site's own settings kept apart: its erasure mode and the key of its erased-while-sanctioned subjects),
then threads, accounts, comments, decisions, reactions, reports, actions, appeals, notes and audit
entries, each in id order. Importing remaps ids (references follow); ids inside audit ``details`` are
kept as written by the original installation. The export holds personal data and the site's SSO
secret: keep it like a backup.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any, Mapping

from sqlalchemy import Connection

from townhall.service.core import Services, as_utc
from townhall.service.render import rendered
from townhall.policy.types import Verdict
from townhall.store import archive as store
from townhall.store import content
from townhall.store.schema import (
    AccountState,
    ActionKind,
    ActorKind,
    AppealState,
    CommentStatus,
    DecisionSource,
    Role,
    ThreadState,
)

FORMAT_VERSION = 1
_EXPORTERS = (
    ("thread", store.export_threads), ("account", store.export_accounts), ("comment", store.export_comments),
    ("decision", store.export_decisions), ("reaction", store.export_reactions), ("report", store.export_reports),
    ("action", store.export_actions), ("appeal", store.export_appeals), ("note", store.export_notes),
    ("prefs", store.export_prefs), ("audit", store.export_audit),
)
# column -> record type whose id it refers to
_REFS: dict[str, dict[str, str]] = {
    "comment": {"thread_id": "thread", "account_id": "account", "parent_id": "comment", "root_id": "comment"},
    "decision": {"comment_id": "comment"},
    "reaction": {"comment_id": "comment", "account_id": "account"},
    "report": {"comment_id": "comment", "account_id": "account"},
    "action": {"account_id": "account", "comment_id": "comment"},
    "appeal": {"action_id": "action", "account_id": "account"},
    "note": {"account_id": "account"},
    "prefs": {"account_id": "account"},
}
# The fields whose value must be one a Townhall knows (a state no code knows breaks every page that reads the row)
_CHOICES: dict[tuple[str, str], frozenset[str]] = {
    ("thread", "state"): frozenset(ThreadState), ("account", "role"): frozenset(Role),
    ("account", "state"): frozenset(AccountState), ("comment", "status"): frozenset(CommentStatus),
    ("decision", "source"): frozenset(DecisionSource),
    ("decision", "verdict"): frozenset(Verdict) | {CommentStatus.DELETED.value},  # a deleted comment's decision
    ("reaction", "kind"): frozenset({"like"}), ("action", "kind"): frozenset(ActionKind),
    ("action", "actor_kind"): frozenset(ActorKind), ("appeal", "state"): frozenset(AppealState),
    ("audit", "actor_kind"): frozenset(ActorKind),
}
_COUNTS = frozenset({("comment", "depth"), ("comment", "reactions"), ("comment", "render_version"), ("report", "weight")})
_MADE_HERE = frozenset({("comment", "html")})  # made on import from the text, whatever the file says
_TYPE_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "time": "an ISO time",
               "text": "text"}
_AUDIT_SUBJECTS = {"comment": "comment", "account": "account", "appeal": "appeal", "thread": "thread"}


class ArchiveError(ValueError):
    """The file is not a Townhall export this version can read, or it does not fit this installation."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()  # type: ignore[union-attr]
    return value


def records(svc: Services, site_id: str) -> Iterator[dict[str, Any]]:
    with svc.db.read() as conn:
        if not svc.db.is_sqlite:  # one snapshot for every query, as SQLite's read transaction is (READ COMMITTED
            # would let a comment written meanwhile be exported without its author: a file that cannot be imported)
            conn.execution_options(isolation_level="REPEATABLE READ")
        site = store.site_row(conn, site_id)
        if site is None:
            raise ArchiveError(f"no site {site_id!r}")
        yield {"type": "townhall-export", "version": FORMAT_VERSION, "site": {k: _jsonable(v) for k, v in site.items()},
               "site_meta": store.site_meta(conn, site_id)}  # the erasure mode, the key of erased-while-banned subjects
        for kind, rows in _EXPORTERS:
            for row in rows(conn, site_id):
                yield {"type": kind, **{k: _jsonable(v) for k, v in row.items()}}


def export_jsonl(svc: Services, site_id: str, out: IO[str]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for record in records(svc, site_id):
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        counts[record["type"]] += 1
    counts.pop("townhall-export", None)
    return dict(counts)


def _with_times(values: dict[str, Any], times: frozenset[str]) -> dict[str, Any]:
    """``values`` with the ISO times of the time columns read back as datetimes; every other field as it is."""
    out = dict(values)
    for column in times & out.keys():
        if isinstance(out[column], str):
            try:
                out[column] = datetime.fromisoformat(out[column])
            except ValueError as exc:
                raise ArchiveError(f"{column}: {out[column]!r} is not an ISO time") from exc
    return out


def _lines(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or "type" not in record:
            raise ArchiveError(f"line {number}: not a Townhall export record")
        yield number, record


def import_jsonl(svc: Services, lines: Iterable[str], *, site_id: str | None = None) -> dict[str, int]:
    """Import an export into this installation, all or nothing. The site is created, or, if it exists
    without threads (a fresh installation's default site), takes the exported settings."""
    stream = _lines(lines)
    first = next(stream, None)
    if first is None or first[1].get("type") != "townhall-export":
        raise ArchiveError("line 1: not a Townhall export (no 'townhall-export' header)")
    if first[1].get("version") != FORMAT_VERSION:
        raise ArchiveError(f"export format version {first[1].get('version')!r}; this Townhall reads version {FORMAT_VERSION}")
    if not isinstance(first[1].get("site"), dict) or "id" not in first[1]["site"]:
        raise ArchiveError("line 1: the header names no site (a 'site' object with an 'id')")
    site = dict(first[1]["site"])
    if site.get("policy_path") is not None:  # exports write null: a site cannot have house rules of its own yet, and a
        # path from a file would make this installation read any file named there (or stop `serve` where it is missing)
        raise ArchiveError(f"line 1: the site's 'policy_path' must be null, not {site['policy_path']!r:.80}: an imported "
                           "site uses this installation's policy (TOWNHALL_POLICY)")
    target = site_id or str(site["id"])
    counts: Counter[str] = Counter()
    ids: dict[str, dict[int, int]] = {kind: {} for kind in store.RECORD_TABLES}
    site_meta = first[1].get("site_meta", {})  # absent in exports from before it was written
    if not isinstance(site_meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in site_meta.items()):
        raise ArchiveError("line 1: 'site_meta' must map names to strings")
    with svc.db.write() as conn:
        _prepare_site(conn, target, site)
        for name, value in site_meta.items():
            store.set_site_meta(conn, target, name, value)
        for number, record in stream:
            kind = record.pop("type")
            if kind not in store.RECORD_TABLES:
                raise ArchiveError(f"line {number}: unknown record type {kind!r}")
            _insert(conn, kind, record, target, ids, number)
            counts[kind] += 1
    return dict(counts)


def _prepare_site(conn: Connection, target: str, site: Mapping[str, Any]) -> None:
    values = _with_times({k: v for k, v in site.items() if k != "id"}, store.time_columns(None))
    existing = content.get_site(conn, target)
    if existing is None:
        content.insert_site(conn, id=target, **values)
        return
    if store.count_threads(conn, target):
        raise ArchiveError(f"site {target!r} already has threads; import into a fresh installation or another site")
    content.update_site(conn, target, **values)


def _record_id(value: Any, field: str, number: int) -> int | None:
    """A record's id, or a reference to one, as a whole number (None: none), else ArchiveError naming the line."""
    if value is None:
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise ArchiveError(f"line {number}: {field} {value!r} is not a record id") from None


def _fits(field: store.Field, value: Any) -> bool:
    if field.kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if field.kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if field.kind == "bool":
        return isinstance(value, bool)
    if field.kind in ("time", "text"):
        return isinstance(value, str) and (field.length is None or len(value) <= field.length)
    return True  # json: whatever JSON holds


def _check(kind: str, record: Mapping[str, Any], number: int) -> None:
    """Refuse, naming the line and the field, a value this installation's tables cannot hold as its code reads
    them: a missing required field, a null, the wrong type, text too long, a negative count, an unknown state."""
    refs = _REFS.get(kind, {})
    for name, field in store.record_fields(kind).items():
        if (kind, name) in _MADE_HERE:
            continue
        value = record.get(name)
        where = f"line {number}: a {kind}'s {name!r}"
        if value is None:
            if field.required or (name in record and not field.nullable):
                raise ArchiveError(f"{where} is missing")
            continue
        if name in refs:
            continue  # a reference: read as a record id below
        if not _fits(field, value):
            longer = f" of at most {field.length} characters" if field.length and isinstance(value, str) else ""
            raise ArchiveError(f"{where} must be {_TYPE_WORDS.get(field.kind, field.kind)}{longer}, not {value!r:.60}")
        if (kind, name) in _COUNTS and value < 0:
            raise ArchiveError(f"{where} must not be negative, not {value!r}")
        choices = _CHOICES.get((kind, name))
        if choices is not None and value not in choices:
            raise ArchiveError(f"{where} is {value!r:.60}; this Townhall knows {', '.join(sorted(choices))}")


def _insert(conn: Connection, kind: str, record: dict[str, Any], site_id: str, ids: dict[str, dict[int, int]],
            number: int) -> None:
    columns = set(store.record_columns(kind))
    old_id = _record_id(record.get("id"), "id", number)
    try:
        values = _with_times({k: v for k, v in record.items() if k in columns and k != "id"}, store.time_columns(kind))
    except ArchiveError as exc:
        raise ArchiveError(f"line {number}: {exc}") from exc
    if "site_id" in columns:
        values["site_id"] = site_id
    for column, target in _REFS.get(kind, {}).items():
        ref = values.get(column)
        if ref is None:
            continue
        new = ids[target].get(_record_id(ref, column, number))
        if new is None:
            raise ArchiveError(f"line {number}: {kind} refers to {target} {ref}, which is not earlier in the file")
        values[column] = new
    _check(kind, record, number)
    if kind == "comment":  # the HTML is made here from the text: an archive's own markup never reaches readers' pages
        values.update(rendered(values["body"]))
    if kind == "audit":
        subject = _AUDIT_SUBJECTS.get(str(values.get("subject_type")))
        ref = values.get("subject_id")
        if subject and ref is not None and str(ref).isdigit() and int(ref) in ids[subject]:
            values["subject_id"] = str(ids[subject][int(ref)])
    new_id = store.insert_record(conn, kind, values)
    if old_id is not None and new_id is not None:
        ids[kind][old_id] = new_id


def canonical(lines: Iterable[str]) -> list[dict[str, Any]]:
    """An export with ids replaced by their position per record type: two exports of the same content
    from different installations compare equal."""
    parsed = [record for _, record in _lines(lines)]
    order: dict[str, dict[int, int]] = {}
    for record in parsed:
        if "id" in record and record["type"] in store.RECORD_TABLES:
            table = order.setdefault(record["type"], {})
            table[int(record["id"])] = len(table)
    out = []
    for record in parsed:
        kind = record["type"]
        item = dict(record)
        if kind == "townhall-export":
            out.append(item)
            continue
        if "id" in item:
            item["id"] = order[kind][int(item["id"])]
        for column, target in _REFS.get(kind, {}).items():
            if item.get(column) is not None:
                item[column] = order.get(target, {}).get(int(item[column]), f"missing:{item[column]}")
        if kind == "audit":
            subject = _AUDIT_SUBJECTS.get(str(item.get("subject_type")))
            ref = item.get("subject_id")
            if subject and ref is not None and str(ref).isdigit():
                item["subject_id"] = order.get(subject, {}).get(int(ref), f"missing:{ref}")
        out.append(item)
    return out
