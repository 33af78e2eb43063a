"""Shared test fixtures. Tests use real parts: real SQLite files, a real PostgreSQL database, real Chromium.

Under CI (``CI=true``) no test may be skipped: a missing PostgreSQL, Chromium or ``../shared/data`` fails
the run instead of passing quietly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

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


# FastAPI keeps, in module-level caches of up to 4,096 entries each (fastapi.dependencies.models), every endpoint
# function it has classified; our endpoints are closures over their app's services, so every app a test made
# stayed in memory with its classifiers (~40 MB each): one CI worker grew to 18.6 GB of this machine's 23.
# A server has one app and is not affected; tests forget them after each test.
_FASTAPI_CALLABLE_CACHES = ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached")


@pytest.fixture(autouse=True)
def _forget_apps_fastapi_cached() -> Iterator[None]:
    yield
    from fastapi.dependencies import models

    for name in _FASTAPI_CALLABLE_CACHES:
        cache = getattr(models, name, None)
        if cache is not None and hasattr(cache, "cache_clear"):
            cache.cache_clear()


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
