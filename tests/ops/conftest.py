"""Fixtures for the operations tests: apps with a house-rules file that needs no trained classifier."""

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
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
