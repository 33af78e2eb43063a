"""SQLite and PostgreSQL agree: the dashboard counts comments per UTC day whatever PostgreSQL's TimeZone
setting, and only an account whose subject starts with "import:" in lower case is an unclaimed imported one
(SQLite's LIKE ignores case; a sign-in that names a reserved prefix in any case is refused)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.service import stats
from townhall.service.identity import Actor
from townhall.store.db import Database
from townhall.store.schema import accounts
from tests.fixtures_app import Clock, auth
from tests.ops.conftest import POLICY

NEW_YORK = "America/New_York"


def _new_york(request: pytest.FixtureRequest, url: str) -> None:
    """Give a PostgreSQL test database a server time zone other than UTC (SQLite has none)."""
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        with request.getfixturevalue("postgres").admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO '{NEW_YORK}'")


def test_comments_per_day_are_counted_in_utc(request: pytest.FixtureRequest, db_url: str, make_app: Any,
                                             clock: Clock) -> None:
    _new_york(request, db_url)
    clock.now = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 21:30 the day before in New York
    app = make_app(db_url, policy=POLICY)
    with TestClient(app) as client:
        posted = client.post("/api/v1/threads/t/comments", json={"text": "posted at 02:30 UTC"},
                             headers=auth("alice", now=datetime(2026, 1, 1, tzinfo=UTC), exp_in=10 * 365 * 86400))
        assert posted.status_code == 201, posted.text
    daily = stats.numbers(app.services, Actor.cli(), "default", days=2)["daily"]
    assert {row.pop("day"): sum(row.values()) for row in daily} == {"2026-11-26": 0, "2026-11-27": 1}


def test_postgres_connections_use_utc(request: pytest.FixtureRequest, postgres: Any) -> None:
    url = postgres.fresh()
    _new_york(request, url)
    db = Database(url)
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar_one() == "UTC"
            day = conn.exec_driver_sql("SELECT date(timestamptz '2026-11-27 02:30+00')").scalar_one()
            assert day.isoformat() == "2026-11-27"
        with db.write() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar_one() == "UTC"
    finally:
        db.dispose()


@pytest.mark.parametrize("sub", ["IMPORT:x", "Import:disqus:user:x", "GUEST:1", "Erased:abc", "SANCTIONED:z"])
def test_reserved_subject_prefixes_are_refused_in_any_case(client: TestClient, sub: str) -> None:
    r = client.post("/api/v1/threads/t/comments", json={"text": "hello"}, headers=auth(sub, email="x@example.org"))
    assert r.status_code == 401, r.text


def test_an_account_named_IMPORT_in_capitals_is_not_claimed_by_another_reader(app: Any, client: TestClient) -> None:
    """An account whose subject is "IMPORT:x" (signed in before such subjects were refused) is a reader's
    own account, not an imported one: another reader's first sign-in with the same address leaves it alone."""
    shared = "shared@example.org"
    x = client.post("/api/v1/threads/t/comments", json={"text": "written by X"},
                    headers=auth("x-original", name="Xavier", email=shared))
    assert x.status_code == 201, x.text
    x_id = x.json()["comment"]["author"]["id"]
    with app.services.db.write() as conn:
        conn.execute(sa.update(accounts).where(accounts.c.id == x_id).values(subject="IMPORT:x"))
    y = client.get("/api/v1/me", headers=auth("y", name="Yvonne", email=shared))
    assert y.status_code == 200, y.text
    assert y.json()["id"] != x_id
    authors = [c["author"] for c in client.get("/api/v1/threads/t/comments").json()["comments"]]
    assert [(a["id"], a["name"]) for a in authors] == [(x_id, "Xavier")]
