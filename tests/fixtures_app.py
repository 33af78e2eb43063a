"""Application fixtures: a Townhall on a real SQLite file or a real PostgreSQL database, driven through
an in-process HTTP client (``client``) or a real server on a loopback port (``live_server``)."""

from __future__ import annotations

import os
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
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
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-databases")
        self._dropping: list[Future[None]] = []
        self._released: list[str] = []
        self._made = 0
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.template}"')
        from townhall.store.db import Database

        db = Database(self.url(self.template))
        db.migrate()
        db.dispose()

    def url(self, name: str) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def fresh(self) -> str:
        while self._released:
            self._dropping.append(self._dropper.submit(self._drop, self._released.pop()))
        self._made += 1
        name = f"{self.prefix}_{self._made}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return self.url(name)

    def release(self, url: str) -> None:
        """Drop the database at ``url`` (made by :meth:`fresh`) once its test is over: in the background while the
        next tests run (the server does the work beside this process; dropping a worker's ~700 databases at its end
        took a minute and more, seen as the teardown of whichever test ran last). It is dropped when the next
        database is made, so after every fixture of its test closed (the apps close after ``db_url``'s teardown)."""
        name = url.rsplit("/", 1)[1]
        if name in self.created:
            self.created.remove(name)
            self._released.append(name)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        self._dropper.shutdown(wait=True)
        for done in self._dropping:
            done.result()  # a drop that failed fails here, not silently
        for name in [*self.created, *self._released, self.template]:
            self._drop(name)
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
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'townhall.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    url = databases.fresh()
    yield url
    databases.release(url)  # after the test's apps closed (set up after this fixture, torn down before it)


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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest revision once per test process; an app on a new SQLite file starts
    from a copy of it, as PostgreSQL's tests start from a template database (migrating each of a run's ~1,500
    SQLite files cost ~0.1 s of CPU apiece). The migrations themselves are tested in tests/ops."""
    from townhall.store.db import Database

    path = tmp_path_factory.mktemp("template") / "townhall.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


def _from_template(database_url: str, template: Path) -> bool:
    """Copy ``template`` to the file of ``database_url`` where it names a SQLite file not there yet."""
    if not database_url.startswith("sqlite:///"):
        return False
    target = Path(database_url.removeprefix("sqlite:///"))
    if target.exists() or not target.parent.is_dir() or "?" in database_url:
        return False
    shutil.copyfile(template, target)
    return True


@pytest.fixture
def make_app(tmp_path: Path, clock: Clock, model_resources: dict[Any, Resources],
             sqlite_template: Path) -> Iterator[AppFactory]:
    apps: list[Townhall] = []

    def factory(database_url: str, **overrides: Any) -> Townhall:
        values: dict[str, Any] = {"database_url": database_url, "data_dir": str(tmp_path / "data"), "sso_secret": SSO_SECRET,
                                  "rate_limit_per_minute": 0, "troll_interval_seconds": 0}
        values.update(overrides)
        settings = Settings(**values)
        fresh = policy_resources(settings)
        resources = model_resources.setdefault((fresh.model_dir, fresh.route_at), fresh)
        migrated = _from_template(settings.resolved_database_url, sqlite_template)
        app = create_app(settings, clock=clock, resources=resources, migrate=not migrated)
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
