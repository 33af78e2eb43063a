"""Shared test fixtures. Tests use real parts: real SQLite files, a real PostgreSQL database, real Chromium.

Under CI (``CI=true``) no test may be skipped: a missing PostgreSQL, Chromium or ``../shared/data`` fails
the run instead of passing quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytest_plugins = ["tests.fixtures_app"] if (ROOT / "tests" / "fixtures_app.py").exists() else []


def unavailable(reason: str) -> None:
    """Skip for a developer, fail under CI: a capability CI must exercise is missing."""
    if IN_CI:
        pytest.fail(f"required under CI but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public labelled data sets beside the repository (``../shared/data``)."""
    if not (SHARED_DATA / "README.md").exists():
        unavailable(f"needs the public data sets at {SHARED_DATA} (absent in a user's clone)")
    return SHARED_DATA


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\nCI: {skipped} test(s) were skipped; under CI every test must run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
