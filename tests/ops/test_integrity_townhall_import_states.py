"""`townhall import townhall FILE` (a Townhall export moved to another installation): a record
id too large for a number (``"id": 1e400``, which JSON reads as infinity) ends the command in a Python traceback
(OverflowError from ``int(old_id)`` in townhall/service/archive.py ``_insert``; the command's handler in
townhall/cli.py catches OSError, ValueError and KeyError, not OverflowError), not the one-line error the command gives
for other broken files. The same ``int()`` of a reference (``"thread_id": 1e400``) fails the same way.

An export file is the operator's input: a hand-edited or damaged one should be refused with a clear message
naming its line, as "line 2: not JSON" and "refers to thread 5, which is not earlier in the file" are.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ops.conftest import POLICY
from townhall.cli import build_cli

HEADER = {"type": "townhall-export", "version": 1,
          "site": {"id": "moved", "name": "Moved", "sso_secret": "s" * 32, "allow_guests": False,
                   "auto_create_threads": True, "policy_path": None, "origins": [],
                   "created_at": "2024-01-01T00:00:00+00:00"}}
AT = "2024-01-02T00:00:00+00:00"


def _import(db_url: str, path: str) -> object:
    return CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["import", "townhall", path, "--db", db_url])


def test_an_id_too_large_for_a_number_is_one_line_not_a_traceback(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(HEADER) + '\n{"type": "thread", "id": 1e400, "external_id": "story", "state": "open", '
                    f'"created_at": "{AT}"}}\n', encoding="utf-8")
    done = _import(db_url, str(path))
    assert done.exit_code == 1, done.output
    assert not isinstance(done.exception, OverflowError), repr(done.exception)
    assert "Traceback" not in done.output, done.output
    assert "line 2" in done.output, done.output  # names the record, as the file's other refusals do


# One valid record of each kind the other records need, in file order; each case below breaks one field of one.
VALID = [
    {"type": "thread", "id": 1, "external_id": "story", "state": "open", "premoderated": False, "created_at": AT},
    {"type": "account", "id": 1, "subject": "ann", "display_name": "Ann", "role": "reader", "state": "active",
     "guest": False, "supporter": False, "created_at": AT},
    {"type": "comment", "id": 1, "thread_id": 1, "account_id": 1, "depth": 0, "body": "Hello", "html": "",
     "status": "published", "reactions": 0, "created_at": AT},
    {"type": "decision", "id": 1, "comment_id": 1, "source": "pipeline", "verdict": "publish", "hits": [],
     "scores": {}, "policy_version": "v", "created_at": AT},
    {"type": "report", "id": 1, "comment_id": 1, "account_id": 1, "reason": "spam", "weight": 1.0,
     "resolved": False, "created_at": AT},
    {"type": "action", "id": 1, "account_id": 1, "kind": "strike", "actor_kind": "policy", "reason": "r",
     "created_at": AT},
    {"type": "appeal", "id": 1, "action_id": 1, "account_id": 1, "text": "please", "state": "open", "created_at": AT},
    {"type": "audit", "id": 1, "at": AT, "actor_kind": "system", "action": "x", "subject_type": "site",
     "details": {}},
]

BROKEN = {  # case: (record type, field, value, words the refusal names)
    "thread state": ("thread", "state", "archived", "state"),
    "account role": ("account", "role", "superuser", "role"),
    "account state": ("account", "state", "deleted", "state"),
    "comment status": ("comment", "status", "visible", "status"),
    "negative reactions": ("comment", "reactions", -5, "reactions"),
    "negative depth": ("comment", "depth", -1, "depth"),
    "reactions as text": ("comment", "reactions", "many", "reactions"),
    "a boolean as text": ("thread", "premoderated", "yes", "premoderated"),
    "a name too long": ("account", "display_name", "A" * 101, "display_name"),
    "a body as a number": ("comment", "body", 5, "body"),
    "decision verdict": ("decision", "verdict", "maybe", "verdict"),
    "decision source": ("decision", "source", "oracle", "source"),
    "report weight": ("report", "weight", "heavy", "weight"),
    "action kind": ("action", "kind", "nuke", "kind"),
    "actor kind": ("action", "actor_kind", "robot", "actor_kind"),
    "appeal state": ("appeal", "state", "pending", "state"),
    "audit actor kind": ("audit", "actor_kind", "robot", "actor_kind"),
    "a missing subject": ("account", "subject", None, "subject"),
}


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in [HEADER, *records]) + "\n", encoding="utf-8")


def test_the_valid_records_of_these_cases_import(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    _write(path, VALID)
    done = _import(db_url, str(path))
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_record_whose_value_this_townhall_cannot_hold_is_refused_by_line(case: str, db_url: str,
                                                                           tmp_path: Path) -> None:
    """Unknown states, roles and kinds, negative counts, values of the wrong type or too long, and missing
    required fields are refused with the record's line, not stored (a state no code knows breaks every page that
    reads the row) and not left to the database (a traceback, or, on SQLite, a stored row)."""
    kind, field, value, words = BROKEN[case]
    records = [dict(r) for r in VALID]
    [record] = [r for r in records if r["type"] == kind]
    if value is None:
        del record[field]
    else:
        record[field] = value
    path = tmp_path / "export.jsonl"
    _write(path, records)
    done = _import(db_url, str(path))
    assert done.exit_code == 1, done.output
    assert "Traceback" not in done.output and done.exception is None or isinstance(done.exception, SystemExit), \
        repr(done.exception)
    line = 2 + records.index(record)
    assert f"line {line}" in done.output and words in done.output, done.output
    assert _import(db_url, str(tmp_path / "export.jsonl")).exit_code == 1  # nothing was half imported: same refusal
