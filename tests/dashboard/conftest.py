"""Dashboard fixtures: the app (SQLite and PostgreSQL) with a small wordlist policy, and an admin."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from tests.dashboard.helpers import write_policy
from tests.fixtures_app import AppFactory
from townhall.app import Townhall


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    return make_app(db_url, policy=write_policy(tmp_path))


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
