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
