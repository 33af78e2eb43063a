"""Fixtures for the operations tests: apps with a house-rules file that needs no trained classifier, and a
client calling from a real IP address (so IP-prefix hashes are stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall

POLICY = str(Path(__file__).parent / "fixtures" / "ops.policy.toml")


@pytest.fixture
def app(make_app: Any, db_url: str) -> Townhall:
    return make_app(db_url, policy=POLICY)  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.9", 50000)) as c:
        yield c
