"""``DELETE /api/v1/me`` (erase your account) is rate limited like every other write of a reader (per account and
per network prefix). After an erasure the same token signs in as a new account at its next request: without the
limit one token, in a loop, made an account row, anonymised it and appended ``account.erased`` to the append-only
audit log as fast as the server answered, from one address, with no 429 ever (found by an audit, 2026-11-28).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import AppFactory, auth
from tests.security.conftest import assert_envelope

POLICY = """
[policy]
name = "Security test rules"

[[rules]]
name = "f_word"
type = "wordlist"
description = "No F word."
action = "reject"
words = ["fuck"]
"""


@pytest.fixture
def limited(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "test.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return make_app(sqlite_url, rate_limit_per_minute=3, policy=str(path))


def _count_erasures(app: Townhall) -> int:
    from sqlalchemy import func, select

    from townhall.store.schema import audit_log
    with app.services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == "account.erased")).scalar_one())


def test_erasing_your_account_is_rate_limited_like_every_other_write(limited: Townhall) -> None:
    c = TestClient(limited, raise_server_exceptions=False, client=("203.0.113.10", 40000))
    answers: list[Any] = []
    for _ in range(8):  # the limit is 3 a minute
        answers.append(c.delete("/api/v1/me", headers=auth("eraser")))
    statuses = [r.status_code for r in answers]
    assert 429 in statuses, (statuses, _count_erasures(limited))
    assert_envelope(next(r for r in answers if r.status_code == 429), 429, "rate_limited")
    assert _count_erasures(limited) <= 3
