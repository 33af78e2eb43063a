"""Application fixtures: a Townhall on a real SQLite file or a real PostgreSQL database, driven through
an in-process HTTP client (``client``) or a real server on a loopback port (``live_server``)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import jwt
import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall, create_app
from townhall.policy.rules.base import Resources
from townhall.service.core import policy_resources
from townhall.testing import LiveServer, free_port  # noqa: F401 - re-exported for tests
from townhall.settings import Settings
from tests.conftest import unavailable

SSO_SECRET = "test-sso-secret-which-is-long-enough-for-hs256"
PG_ADMIN_URL = os.environ.get("TOWNHALL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Clock:
    """A clock the test moves by hand; the app reads it through ``clock()``."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


def make_token(sub: str, name: str | None = None, *, role: str | None = None, supporter: bool = False,
               secret: str = SSO_SECRET, exp_in: float = 3600, now: datetime | None = None, **extra: Any) -> str:
    issued = now or datetime.now(UTC)
    # Without ``now``, "issued" ten minutes early: the app's test clock stands where the test's fixtures were
    # made, and a test slowed down on a loaded machine (a fresh PostgreSQL database, the model's first reads)
    # would otherwise send a token issued in the app's future, which is refused (seen at load average 31).
    iat = int(issued.timestamp()) - (600 if now is None else 0)
    claims: dict[str, Any] = {"sub": sub, "name": name or sub.title(), "iat": iat,
                              "exp": int((issued + timedelta(seconds=exp_in)).timestamp()), **extra}
    if role:
        claims["role"] = role
    if supporter:
        claims["supporter"] = True
    return jwt.encode(claims, secret, algorithm="HS256")


def auth(sub: str, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(sub, **kw)}"}


def closing_policy(tmp_path: Path, days: int | str) -> Path:
    """The default policy file with ``[comments] close_after_days = days`` (a string: as written, for the loader's
    checks), written under ``tmp_path``."""
    from importlib import resources as importlib_resources

    text = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
    old = "close_after_days = 0 "
    assert text.count(old) == 1
    path = tmp_path / "closing.policy.toml"
    path.write_text(text.replace(old, f"close_after_days = {days} "), encoding="utf-8")
    return path


class PostgresDatabases:
    """A migrated template database per test session; each test gets a fresh copy of it."""

    def __init__(self) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"th_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_tpl"
        self.created: list[str] = []
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.template}"')
        from townhall.store.db import Database

        db = Database(self.url(self.template))
        db.migrate()
        db.dispose()

    def url(self, name: str) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def fresh(self) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in [*self.created, self.template]:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    try:
        dbs = PostgresDatabases()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
        raise
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'townhall.db'}"
    return request.getfixturevalue("postgres").fresh()  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'townhall.db'}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


AppFactory = Callable[..., Townhall]


@pytest.fixture(scope="session")
def model_resources() -> dict[Any, Resources]:
    """The classifier model, loaded once per test process for each model setting (about 0.2 s of CPU an app
    otherwise, over a thousand apps a run): read-only once loaded, as the threads of one app share it."""
    return {}


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock, model_resources: dict[Any, Resources]) -> Iterator[AppFactory]:
    apps: list[Townhall] = []

    def factory(database_url: str, **overrides: Any) -> Townhall:
        values: dict[str, Any] = {"database_url": database_url, "data_dir": str(tmp_path / "data"), "sso_secret": SSO_SECRET,
                                  "rate_limit_per_minute": 0, "troll_interval_seconds": 0}
        values.update(overrides)
        settings = Settings(**values)
        fresh = policy_resources(settings)
        resources = model_resources.setdefault((fresh.model_dir, fresh.route_at), fresh)
        app = create_app(settings, clock=clock, resources=resources)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    return make_app(db_url)


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def live_server(app: Townhall) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
