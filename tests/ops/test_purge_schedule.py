"""The daily signal purge keeps itself going whoever runs it: `townhall jobs run` (services without the
server's operations), a purge that fails its last attempt, and processes that start together and each
make sure a purge is queued (one is queued, not one per process)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.core import build_services
from townhall.service.jobs import JobQueue
from townhall.service.operations import handlers
from townhall.service.privacy import PURGE_EVERY, PURGE_JOB, schedule_purge
from townhall.settings import Settings
from townhall.store.ops_tables import jobs
from tests.fixtures_app import SSO_SECRET, Clock
from tests.ops.conftest import POLICY


def _purges(app: Townhall) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        q = sa.select(jobs).where(jobs.c.kind == PURGE_JOB).order_by(jobs.c.id)
        return [dict(r) for r in conn.execute(q).mappings()]


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def test_jobs_run_from_the_command_line_queues_the_next_purge(app: Townhall) -> None:
    app.services.operations.queue.stop()  # only the command below runs jobs
    [first] = _purges(app)
    assert first["state"] == "queued"
    with app.services.db.write() as conn:  # the purge comes due, as it does every day
        conn.execute(sa.update(jobs).where(jobs.c.id == first["id"]).values(run_at=datetime(2020, 1, 1, tzinfo=UTC)))
    cli = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    ran = cli.invoke(build_cli(), ["jobs", "run", "--db", app.settings.database_url])
    assert ran.exit_code == 0, ran.output
    assert "ran 1 job(s)" in ran.output
    after = _purges(app)
    assert [j["state"] for j in after] == ["done", "queued"]
    tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=23)
    assert _naive(after[1]["run_at"]) > tomorrow
    assert after[1]["payload"] == {"repeat": True}


def _settings(url: str) -> Settings:
    return Settings(database_url=url, sso_secret=SSO_SECRET, policy=POLICY, troll_interval_seconds=0)


def test_a_purge_that_fails_its_last_attempt_still_queues_the_next_one(db_url: str) -> None:
    """The database refuses the purge (here: a table it writes to is gone) on every attempt; the failed job
    stays visible, and tomorrow's purge is queued all the same."""
    svc = build_services(_settings(db_url))
    try:
        clock = Clock(datetime.now(UTC))
        queue = JobQueue(svc, handlers(), clock=clock, backoff=lambda n: 0.0, max_attempts=2)
        schedule_purge(svc, queue)
        with svc.db.write() as conn:
            conn.exec_driver_sql("DROP TABLE ended_sessions")
        clock.advance(minutes=2)
        assert queue.run_until_idle(limit=2) == 2  # two attempts, both failed; the next one is a day away
        rows = queue.list(kind=PURGE_JOB)
        assert [r["state"] for r in rows] == ["queued", "failed"]  # newest first
        assert "ended_sessions" in rows[1]["last_error"]
        assert _naive(rows[0]["run_at"]) == _naive(clock.now + PURGE_EVERY)
        schedule_purge(svc, queue)  # a process starting later adds no second one
        assert len(queue.list(kind=PURGE_JOB, state="queued")) == 1
    finally:
        svc.db.dispose()


def test_a_retried_purge_joins_the_chain_instead_of_starting_a_second_one(app: Townhall) -> None:
    queue = app.services.operations.queue
    queue.stop()
    [first] = queue.list(kind=PURGE_JOB)
    runner = JobQueue(app.services, handlers(), clock=lambda: queue.clock() + timedelta(minutes=2))
    assert runner.run_until_idle() == 1
    extra = queue.enqueue(PURGE_JOB, {"repeat": True})  # e.g. `townhall jobs retry` of an old failed purge
    assert runner.run_until_idle() == 1
    states = {j["id"]: j["state"] for j in queue.list(kind=PURGE_JOB)}
    assert states[first["id"]] == states[extra] == "done"
    assert sorted(states.values()) == ["done", "done", "queued"]


def test_processes_starting_together_queue_one_purge(postgres: Any) -> None:
    """On PostgreSQL (READ COMMITTED) a check-then-insert without a lock let each process starting at the
    same moment queue its own daily purge, and each chain then went on for ever."""
    url = postgres.fresh()
    services = [build_services(_settings(url)) for _ in range(6)]
    try:
        for _ in range(8):  # the window is narrow: try a few times
            barrier = threading.Barrier(len(services))

            def start(svc: Any) -> None:
                barrier.wait()
                schedule_purge(svc, JobQueue(svc))

            threads = [threading.Thread(target=start, args=(s,)) for s in services]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            with services[0].db.write() as conn:
                queued = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(
                    jobs.c.kind == PURGE_JOB, jobs.c.state == "queued")).scalar_one()
                conn.execute(sa.delete(jobs).where(jobs.c.kind == PURGE_JOB))
            assert queued == 1
    finally:
        for s in services:
            s.db.dispose()
