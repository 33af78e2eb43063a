"""`townhall serve` prints a policy file's path and a start-up error through rich markup: a "[/]" in a path
(a folder named "a[", a file "]b.toml") is read as a closing tag, and the server stops with a MarkupError
traceback, with a valid policy (townhall/commands/server.py:71) or while saying why it could not start (:67).

Found by an audit (2026-11-28); each test failed before its fix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from townhall.commands.classifiers import DEFAULT_POLICY

TOWNHALL = [sys.executable, "-m", "townhall.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_with_a_policy_file_whose_path_has_brackets(tmp_path: Path) -> None:
    folder = tmp_path / "a["
    folder.mkdir()
    policy = folder / "]b.toml"  # the path reads ".../a[/]b.toml"
    policy.write_text(DEFAULT_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    proc = subprocess.Popen([*TOWNHALL, "serve", "--policy", str(policy), "--db", f"sqlite:///{tmp_path / 't.db'}",
                             "--port", str(_free_port())], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "1000"})  # one line each, not wrapped
    try:
        assert proc.stderr is not None
        seen: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break  # the process ended
            seen.append(line)
            if line.startswith("Database:"):
                break
        text = "".join(seen)
        assert "Traceback" not in text, text
        assert seen and seen[-1].startswith("Database:") and str(policy) in seen[-1], text
        assert proc.poll() is None, text  # still serving
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_says_why_it_could_not_start_whatever_the_path(tmp_path: Path) -> None:
    done = subprocess.run([*TOWNHALL, "serve", "--data-dir", "/dev/null/a[/]b", "--port", str(_free_port())],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
    assert "Townhall could not start:" in done.stderr and "a[/]b" in done.stderr, done.stderr
