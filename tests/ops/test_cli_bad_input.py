"""The command line on bad input: one line that says what is wrong and exit status 1 (2 for a bad option),
never a traceback, a server on another port than the one asked for, an empty database made at a mistyped
path, or "Imported 0" from a file of the wrong kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from townhall.cli import build_cli
from tests.ops.conftest import POLICY

FIXTURES = Path(__file__).parent / "fixtures"
TOWNHALL = str(Path(sys.executable).parent / "townhall")


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught exception
    assert "Traceback" not in result.output
    [line] = [ln for ln in result.output.splitlines() if ln.strip()]
    return line


def test_a_broken_policy_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    assert CliRunner().invoke(build_cli(), ["migrate", "--db", f"sqlite:///{tmp_path / 't.db'}"]).exit_code == 0
    missing = tmp_path / "nonexistent.toml"
    runner = CliRunner(env={"TOWNHALL_POLICY": str(missing)})
    done = runner.invoke(build_cli(), ["mail", "digest", "--dry-run", "--db", f"sqlite:///{tmp_path / 't.db'}"])
    line = _one_line_error(done)
    assert line.startswith(f"Error: {missing}: cannot read the policy file"), line

    bad = tmp_path / "bad.policy.toml"
    bad.write_text((Path(POLICY).read_text(encoding="utf-8")) + "\n[[rules]]\nname = 1\n", encoding="utf-8")
    done = CliRunner(env={"TOWNHALL_POLICY": str(bad)}).invoke(
        build_cli(), ["mail", "digest", "--dry-run", "--db", f"sqlite:///{tmp_path / 't.db'}"])
    line = _one_line_error(done)
    assert line.startswith(f"Error: {bad}:"), line  # file:line: message, as `townhall policy check` says it


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_serve_refuses_a_port_out_of_range(tmp_path: Path, port: str) -> None:
    """A subprocess (with a time limit): before the check, uvicorn started and listened on port % 65536."""
    env = {"PATH": "/usr/bin:/bin", "TOWNHALL_POLICY": POLICY}
    done = subprocess.run([TOWNHALL, "serve", "--port", port, "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Invalid value for '--port'" in done.stderr and "1<=x<=65535" in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()


def test_doctor_does_not_create_a_database_at_a_mistyped_path(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "townhall.db"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400"})  # no line breaks inside the path
    done = runner.invoke(build_cli(), ["doctor", "--db", f"sqlite:///{typo}"])
    assert done.exit_code == 1, done.output
    assert f"no database at {typo}" in " ".join(done.output.split())
    assert not typo.exists() and not typo.parent.exists()


def test_the_digest_does_not_run_on_a_mistyped_database_path(tmp_path: Path) -> None:
    """It made an empty installation there and said "nothing is waiting" (or printed an empty digest)."""
    path = tmp_path / "typo.db"
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["mail", "digest", "--dry-run", "--db", f"sqlite:///{path}"])
    line = _one_line_error(done)
    assert line == f"Error: no database at {path}; check --db or the data folder", line
    assert not path.exists()


def test_doctor_still_checks_an_existing_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'townhall.db'}"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    assert runner.invoke(build_cli(), ["migrate", "--db", url]).exit_code == 0
    done = runner.invoke(build_cli(), ["doctor", "--db", url])
    assert "sqlite reachable" in done.output and "at head" in done.output, done.output


@pytest.mark.parametrize(("kind", "wrong", "message"), [
    ("disqus", "wordpress.xml", "no <thread>/<post> records found — is this a Disqus export?"),
    ("disqus", "", "no <thread>/<post> records found — is this a Disqus export?"),
    ("wordpress", "disqus.xml", "no <item> records found — is this a WordPress export (WXR)?"),
    ("wordpress", "", "no <item> records found — is this a WordPress export (WXR)?"),
])
def test_import_refuses_a_file_of_the_wrong_kind(tmp_path: Path, kind: str, wrong: str, message: str) -> None:
    source = FIXTURES / wrong if wrong else tmp_path / "empty.xml"
    if not wrong:
        source.write_bytes(b"")
    db = tmp_path / "t.db"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    done = runner.invoke(build_cli(), ["import", kind, str(source), "--db", f"sqlite:///{db}"])
    line = _one_line_error(done)
    assert line == f"Error: {source}: {message}", line
    assert "Imported" not in done.output and not db.exists()


def test_import_of_the_right_kind_still_works(tmp_path: Path) -> None:
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    for kind in ("disqus", "wordpress"):
        url = f"sqlite:///{tmp_path / kind}.db"
        done = runner.invoke(build_cli(), ["import", kind, str(FIXTURES / f"{kind}.xml"), "--db", url])
        assert done.exit_code == 0 and "Imported" in done.output, done.output


# Every command that takes --site, with its other arguments (the database exists: the site id is what is wrong).
SITE_COMMANDS = [
    ["announce", "Hello"], ["export"], ["mail", "digest", "--dry-run"], ["erase", "ann"], ["privacy", "export", "ann"],
    ["privacy", "mode"], ["threads", "set", "story", "--title", "Story"], ["users", "add-moderator", "mod@example.org"],
    ["webhooks", "add", "https://example.org/hook"], ["webhooks", "list"], ["webhooks", "deliveries"],
]


@pytest.mark.parametrize("command", SITE_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_site_id_that_is_not_utf8_is_named_as_such(tmp_path: Path, command: list[str]) -> None:
    """A shell passes bytes that are not UTF-8 to Python as lone surrogates; the commands said
    "UnicodeEncodeError: 'utf-8' codec can't encode character '\\udcff'…" (or that without its name)."""
    db = f"sqlite:///{tmp_path / 't.db'}"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    assert runner.invoke(build_cli(), ["migrate", "--db", db]).exit_code == 0
    done = runner.invoke(build_cli(), [*command, "--site", "caf\udcff", "--db", db])
    assert done.exit_code == 2, done.output  # a bad option, as click says for any other
    assert "Traceback" not in done.output and "codec" not in done.output, done.output
    assert "--site" in done.output and "'caf\\xff' is not valid UTF-8 text" in done.output, done.output
