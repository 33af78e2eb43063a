"""Commands that change a site's settings, given a mistyped SQLite path (--db), create a new, empty installation
there (and its folder), write the setting into it, print it as done and exit 0: the real site never gets the
webhook or the erasure mode. `announce`, `threads set`, `export` and `doctor` refuse such a path
(tests/ops/test_integrity_cli_mistyped_db.py); `webhooks`, `jobs` and `privacy` do not.

Found by an audit (2026-11-28); each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ops.conftest import POLICY
from townhall.cli import build_cli


@pytest.mark.parametrize("args", [
    ["webhooks", "add", "https://example.org/hook"],
    ["webhooks", "list"],
    ["jobs", "list"],
    ["privacy", "mode", "anonymise"],
    ["privacy", "purge-signals"],
], ids=["webhooks-add", "webhooks-list", "jobs-list", "privacy-mode", "privacy-purge"])
def test_a_mistyped_database_path_is_refused_not_created(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "typo" / "townhall.db"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400"})
    done = runner.invoke(build_cli(), [*args, "--db", f"sqlite:///{typo}"])
    assert not typo.exists(), f"made a new database at the mistyped path: {done.output!r}"
    assert done.exit_code == 1, done.output
    assert f"no database at {typo}" in " ".join(done.output.split())
