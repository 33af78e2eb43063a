"""Several processes starting at once on a new database (``townhall serve --workers N``, or three servers
behind a load balancer): each migrates and creates the installation secret and the default site, and all
must agree on them instead of one failing on a duplicate key. Separate engines in threads stand for the
processes; PostgreSQL and SQLite."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from townhall.service.core import Services, build_services
from townhall.settings import Settings
from townhall.store import content


def start_at_once(settings: Settings, n: int = 6) -> list[Services]:
    barrier = threading.Barrier(n)
    started: list[Services] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            started.append(build_services(settings))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return started


def check_agreement(started: list[Services]) -> None:
    try:
        assert len(started) == 6
        assert len({s.secret for s in started}) == 1
        sites = {s.settings.default_site for s in started}
        with started[0].db.read() as conn:
            rows = [content.get_site(conn, site) for site in sites]
        assert all(r is not None for r in rows)
    finally:
        for s in started:
            s.db.dispose()


@pytest.mark.postgres
def test_first_start_of_several_processes_on_postgresql(postgres: Any, tmp_path: Path) -> None:
    check_agreement(start_at_once(Settings(database_url=postgres.fresh(), data_dir=str(tmp_path))))


def test_first_start_of_several_processes_on_sqlite(tmp_path: Path) -> None:
    check_agreement(start_at_once(Settings(data_dir=str(tmp_path))))
