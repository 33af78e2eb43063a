"""Small CLI fixes found by the audits of 2026-11-28 (each test failed before its fix).

* `townhall webhooks add URL --site nosuch` and `townhall import disqus FILE --site nosuch` said "Error: No such
  site." without naming the site, unlike the `users` commands ("Error: No such site: SITE.").
* `townhall import townhall FILE` took a site's `policy_path` from the export's header: a hand-edited export could
  point the site at any file on the machine, and a path missing here stopped `serve` at start. Exports write null
  there (a site cannot have house rules of its own yet: README, `TOWNHALL_POLICY`), so a non-null one is refused,
  naming the field, and nothing is imported.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.ops.conftest import POLICY
from townhall.cli import build_cli

DISQUS = Path(__file__).parent / "fixtures" / "disqus.xml"


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'townhall.db'}"
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["migrate", "--db", url])
    assert done.exit_code == 0, done.output
    return url


def _run(args: list[str]) -> object:
    return CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), args)


def test_webhooks_add_names_the_missing_site(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = _run(["webhooks", "add", "https://hooks.example.org/in", "--site", "nosuch", "--db", db])
    assert done.exit_code == 1, done.output
    assert done.output.strip() == "Error: No such site: nosuch.", done.output


def test_import_disqus_names_the_missing_site(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = _run(["import", "disqus", str(DISQUS), "--site", "nosuch", "--db", db])
    assert done.exit_code == 1, done.output
    assert done.output.strip().splitlines()[-1] == "Error: No such site: nosuch.", done.output


def _export(tmp_path: Path, policy_path: object) -> Path:
    header = {"type": "townhall-export", "version": 1,
              "site": {"id": "moved", "name": "Moved", "sso_secret": "s" * 32, "allow_guests": False,
                       "auto_create_threads": True, "policy_path": policy_path, "origins": [],
                       "created_at": "2024-01-01T00:00:00+00:00"}}
    thread = {"type": "thread", "id": 1, "external_id": "story", "state": "open", "premoderated": False,
              "created_at": "2024-01-02T00:00:00+00:00"}
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(header) + "\n" + json.dumps(thread) + "\n", encoding="utf-8")
    return path


def test_import_townhall_refuses_a_policy_path_from_the_file(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = _run(["import", "townhall", str(_export(tmp_path, "/etc/passwd")), "--db", db])
    assert done.exit_code == 1, done.output
    said = " ".join(done.output.split())
    assert said.startswith("Error: line 1: the site's 'policy_path' must be null, not '/etc/passwd'"), said
    assert "Traceback" not in done.output
    conn = sqlite3.connect(db.removeprefix("sqlite:///"))
    try:  # all or nothing: neither the site nor its thread
        assert conn.execute("SELECT count(*) FROM sites WHERE id = 'moved'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM threads WHERE external_id = 'story'").fetchone()[0] == 0
    finally:
        conn.close()


def test_import_townhall_takes_a_null_policy_path(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = _run(["import", "townhall", str(_export(tmp_path, None)), "--db", db])
    assert done.exit_code == 0, done.output
    conn = sqlite3.connect(db.removeprefix("sqlite:///"))
    try:
        assert conn.execute("SELECT policy_path FROM sites WHERE id = 'moved'").fetchone() == (None,)
    finally:
        conn.close()
