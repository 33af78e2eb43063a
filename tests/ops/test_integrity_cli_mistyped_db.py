"""`townhall announce` and `townhall threads set` given a mistyped SQLite path (--db) create a
new, empty installation there, write the announcement or the article's data into it, print it as done and exit 0:
the site the operator meant shows nothing, and nothing tells them why.

`townhall export` and `townhall doctor` refuse such a path ("no database at …; check --db or the data folder",
townhall/commands/archive.py ``services(existing=True)``; tests/ops/test_cli_bad_input.py), for this reason; these
two newer commands call ``services(config, database_url)`` without it (townhall/commands/announce.py,
townhall/commands/threads.py).

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ops.conftest import POLICY
from townhall.cli import build_cli


@pytest.mark.parametrize("args", [
    ["announce", "Comments close at 22:00 tonight."],
    ["threads", "set", "budget-vote", "--title", "Budget vote tonight"],
    # found by the command-line audit of the same day: the same defect in five more commands
    ["webhooks", "add", "https://example.org/hook"],
    ["webhooks", "list"],
    ["jobs", "list"],
    ["privacy", "mode", "anonymise"],
    ["privacy", "purge-signals"],
], ids=["announce", "threads-set", "webhooks-add", "webhooks-list", "jobs-list", "privacy-mode", "privacy-purge"])
def test_a_mistyped_database_path_is_refused_not_created(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "typo" / "townhall.db"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400"})
    done = runner.invoke(build_cli(), [*args, "--db", f"sqlite:///{typo}"])
    assert not typo.exists(), f"made a new database at the mistyped path and wrote to it: {done.output!r}"
    assert done.exit_code == 1, done.output
    assert f"no database at {typo}" in " ".join(done.output.split())
