"""What a review of the documentation found the command line doing otherwise than it says: side files left
beside a backup, a garbled webhook URL message, "Error: BrokenPipeError" under `| head`, a demo page announced
when it is not served, an SMTP message naming a setting's value rather than the setting, a help line that
promised what e-mail links do not do, and a missing site not named."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.settings import SPECS
from tests.fixtures_app import free_port
from tests.ops.conftest import POLICY

TOWNHALL = str(Path(sys.executable).parent / "townhall")
README = Path(__file__).resolve().parent.parent.parent / "README.md"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOWNHALL_POLICY": POLICY, **extra}


def _migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'townhall.db'}"
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["migrate", "--db", url])
    assert done.exit_code == 0, done.output
    return url


def test_a_sqlite_backup_leaves_no_side_files_and_restores(tmp_path: Path) -> None:
    url = _migrated(tmp_path)
    out = tmp_path / "x" / "b.db"
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["backup", "--out", str(out), "--db", url])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.parent.iterdir()) == ["b.db"]
    # the copy is a database of its own: it opens, and the server's migrate finds it at head
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    copy.close()
    again = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["migrate", "--db", f"sqlite:///{out}"])
    assert again.exit_code == 0 and "up to date" in again.output, again.output


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.org/hook", "its scheme is ftp"),
    ("example.org/hook", "it has no scheme"),
    ("http:///hook", "it has no host"),
    ("http://[::1/hook", "it cannot be read"),
])
def test_a_webhook_url_that_is_not_http_is_refused_in_one_clear_sentence(tmp_path: Path, url: str, reason: str) -> None:
    db = _migrated(tmp_path)
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["webhooks", "add", url, "--db", db])
    assert done.exit_code == 1, done.output
    line = " ".join(done.output.split())
    assert line.startswith(f"Error: A webhook URL must be an http:// or https:// URL with a host (not '{url}': {reason}"), line
    assert line.count("http:// or https://") == 1, line  # the rule is said once


@pytest.mark.parametrize(("args", "status"), [
    (["webhooks", "deliveries", "--json"], 141),     # click.echo: the command line's own handling, 128 + SIGPIPE
    (["migrate"], 141),
    (["webhooks", "deliveries"], 1),                 # a rich table: rich ends the run itself (exit 1), quietly too
])
def test_every_command_ends_quietly_when_its_reader_stops(tmp_path: Path, args: list[str], status: int) -> None:
    """`townhall webhooks deliveries | head -1`: the reader has gone before anything is written."""
    db = _migrated(tmp_path)
    proc = subprocess.Popen([TOWNHALL, *args, "--db", db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(tmp_path))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` having read its line and gone
    err = proc.stderr.read().decode()
    assert (proc.wait(timeout=120), err) == (status, "")


def _serve_banner(tmp_path: Path, demo: str) -> str:
    port = free_port()
    proc = subprocess.Popen([TOWNHALL, "serve", "--port", str(port), "--data-dir", str(tmp_path / f"data-{demo}")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=_env(tmp_path, TOWNHALL_DEMO=demo, COLUMNS="400"))
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            line = proc.stderr.readline()
            assert line, "".join(lines)  # the server stopped
            lines.append(line)
            if line.startswith("Database:"):
                return "".join(lines)
        raise AssertionError("".join(lines))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_serve_mentions_the_demo_article_only_when_it_is_served(tmp_path: Path) -> None:
    off = _serve_banner(tmp_path, "false")
    assert "Townhall on http://127.0.0.1:" in off and "demo" not in off, off
    on = _serve_banner(tmp_path, "true")
    assert re.search(r"demo article at http://127\.0\.0\.1:\d+/demo", on), on


def test_mail_test_without_smtp_says_how_to_configure_it(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_SMTP_URL": ""}).invoke(
        build_cli(), ["mail", "test", "--to", "a@example.org", "--db", db])
    assert done.exit_code == 1, done.output
    line = " ".join(done.output.split())
    assert "e-mail is not configured" in line and "TOWNHALL_SMTP_URL=smtp://" in line, line
    assert "not ''" not in line, line


def test_mail_test_with_a_wrong_smtp_url_names_it(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_SMTP_URL": "mail.example.org:25"}).invoke(
        build_cli(), ["mail", "test", "--to", "a@example.org", "--db", db])
    assert done.exit_code == 1, done.output
    assert "smtp_url must start with smtp:// or smtps://, not 'mail.example.org:25'" in " ".join(done.output.split())


def test_the_public_url_help_says_what_an_empty_one_does() -> None:
    [spec] = [s for s in SPECS if s.name == "public_url"]
    assert "derive" not in spec.help and "http://localhost:8000" in spec.help, spec.help
    [row] = [ln for ln in README.read_text(encoding="utf-8").splitlines() if ln.startswith("| `TOWNHALL_PUBLIC_URL`")]
    assert "derive" not in row and "http://localhost:8000" in row, row


def test_add_moderator_names_the_missing_site(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["users", "add-moderator", "mod@example.org", "--site", "sport", "--password-stdin", "--db", db],
        input="a long enough password 123\n")
    assert done.exit_code == 1, done.output
    assert done.output.strip() == "Error: No such site: sport.", done.output
