"""Running `townhall import KIND FILE` as a real child process, for the kill-and-resume tests
(tests/ops/test_audit_import2_resume.py for Disqus, tests/ops/test_import_limits.py for WordPress): start it,
SIGKILL it once its first batch is committed and before its last one is (the database is polled, no fixed
sleep), run it again to the end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from townhall.app import Townhall
from tests.ops.conftest import POLICY


def count_comments(app: Townhall) -> int:
    with app.services.db.read() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM comments")).scalar_one())


def imported(app: Townhall) -> tuple[dict[str, Any], int]:
    """The comments by their archive id (their row id, parent, depth and thread), and the number of imported
    accounts: what a run killed half-way and run again must hold once each."""
    with app.services.db.read() as conn:
        rows = {str(r["external_id"]): r for r in conn.execute(sa.text(
            "SELECT c.id, c.external_id, c.parent_id, c.depth, t.external_id AS thread FROM comments c "
            "JOIN threads t ON t.id = c.thread_id")).mappings()}
        accounts = int(conn.execute(sa.text("SELECT COUNT(*) FROM accounts WHERE subject LIKE 'import:%'")).scalar_one())
    return rows, accounts


def start(kind: str, path: Path, db_url: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TOWNHALL_POLICY": POLICY, "TOWNHALL_TROLL_INTERVAL_SECONDS": "0"}
    return subprocess.Popen([sys.executable, "-m", "townhall.cli", "import", kind, str(path), "--site", "default",
                             "--json", "--db", db_url], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[bytes]) -> dict[str, object]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return json.loads(out)  # type: ignore[no-any-return]


def kill_half_way(app: Townhall, proc: subprocess.Popen[bytes], total: int) -> int:
    """SIGKILL the run as soon as it has committed something; the number of comments it left, checked to be
    some but not all of the archive's ``total``."""
    deadline = time.monotonic() + 300
    try:
        while count_comments(app) == 0:
            assert proc.poll() is None, proc.communicate()[1].decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the import committed nothing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL
    before = count_comments(app)
    assert 0 < before < total, before  # killed half-way: some batches in, not all
    return before
