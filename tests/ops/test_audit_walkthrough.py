"""An operator's walkthrough from the docs alone (README, docs/operations.md, docs/dashboard.md), where it let them
down: each test follows the printed or documented step literally."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy.engine import make_url

from townhall.cli import build_cli
from townhall.store.db import Database
from tests.fixtures_app import PG_ADMIN_URL
from tests.ops.conftest import POLICY


def _as_superuser() -> dict[str, str]:
    """The environment of an operator's shell that runs PostgreSQL's client tools as the superuser."""
    admin = make_url(PG_ADMIN_URL)
    env = dict(os.environ, PGHOST=admin.host or "127.0.0.1", PGPORT=str(admin.port or 5432), PGUSER=admin.username or "postgres")
    if admin.password:
        env["PGPASSWORD"] = str(admin.password)
    return env


def test_postgres_backup_restored_as_its_advice_says_serves_the_user_townhall_connects_as(postgres: Any, tmp_path: Path) -> None:
    """A newsroom's Townhall connects as its own database user (README: ``postgresql+psycopg://townhall@db/townhall``);
    the operator restores as the superuser. `townhall backup` printed ``createdb NEW && pg_restore --no-owner
    --dbname=NEW FILE``: ``--no-owner`` made the superuser the owner of every table, and Townhall on the restored
    database stopped at start with "permission denied for table alembic_version". The advice now names the user."""
    role = f"th_walk_{uuid.uuid4().hex[:8]}"
    source, restored = f"{postgres.prefix}_walk_src", f"{postgres.prefix}_walk_new"
    with postgres.admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'CREATE DATABASE "{source}" OWNER "{role}"')
    postgres.created.append(source)
    try:
        as_role = make_url(postgres.url(source)).set(username=role, password=None).render_as_string(hide_password=False)
        runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATABASE_URL": as_role})
        fixture = Path(__file__).parent / "fixtures" / "disqus.xml"
        done = runner.invoke(build_cli(), ["import", "disqus", str(fixture), "--site", "default"])
        assert done.exit_code == 0, done.output
        out = tmp_path / "townhall.dump"
        done = runner.invoke(build_cli(), ["backup", "--out", str(out)])
        assert done.exit_code == 0, done.output
        advice = next(line for line in done.output.splitlines() if line.startswith("Restore"))
        step = re.search(r"(createdb .*? && pg_restore .*?), then point", advice)
        assert step is not None, advice
        command = step.group(1).replace("NEW", restored).replace("FILE", shlex.quote(str(out)))  # FILE: the advice before
        postgres.created.append(restored)
        subprocess.run(command, shell=True, check=True, env=_as_superuser(), capture_output=True)  # noqa: S602 - the printed advice, verbatim

        restored_url = make_url(postgres.url(restored)).set(username=role, password=None).render_as_string(hide_password=False)
        db = Database(restored_url)
        try:
            with db.read() as conn:  # what `townhall serve` does first on the restored database
                assert conn.exec_driver_sql("SELECT count(*) FROM comments").scalar() == 9
            assert db.migrate() == []
        finally:
            db.dispose()
        doctor = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATABASE_URL": restored_url}).invoke(build_cli(), ["doctor"])
        assert doctor.exit_code == 0, doctor.output

        # restored the way the advice said before (the superuser owns the tables): the doctor, which an operator runs
        # after a restore, stopped at "Error: the database refused: …" and checked nothing else
        subprocess.run(f"pg_restore --clean --if-exists --no-owner --dbname={restored} {shlex.quote(str(out))}", shell=True,  # noqa: S602
                       check=True, env=_as_superuser(), capture_output=True)
        doctor = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATABASE_URL": restored_url}).invoke(build_cli(), ["doctor"])
        assert doctor.exit_code == 1, doctor.output
        assert re.search(r"migrations: cannot read the schema version: permission denied for table alembic_version: the "
                         r"tables belong to another database user", doctor.output), doctor.output
        assert "policy and models" in doctor.output and "Traceback" not in doctor.output, doctor.output
    finally:
        with postgres.admin.connect() as conn:
            for name in (restored, source):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if name in postgres.created:
                    postgres.created.remove(name)
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def _not_a_database(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "townhall.db").write_text("not a database: a file copied over it by mistake\n" * 20, encoding="utf-8")
    return data


def test_a_database_that_refuses_is_one_line_from_migrate_serve_and_doctor(tmp_path: Path) -> None:
    """`townhall migrate` and `townhall serve` printed SQLAlchemy's "(Background on this error at: https://sqlalche.me…)"
    (and, for a refused query, its "[SQL: …]" lines) under the database's words; the doctor's check did too."""
    data = _not_a_database(tmp_path)
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(data)})
    for args in (["migrate"], ["serve", "--port", "1"], ["doctor"]):
        done = runner.invoke(build_cli(), args)
        assert done.exit_code == 1, (args, done.output)
        said = [line for line in done.output.splitlines() if "file is not a database" in line]
        assert len(said) == 1, (args, done.output)
        assert "sqlalche.me" not in done.output and "[SQL:" not in done.output and "Traceback" not in done.output, done.output


def test_serve_refuses_a_worker_count_below_one(tmp_path: Path) -> None:
    """`--workers 0` (or -3) started one process without a word; a count is at least 1."""
    data = _not_a_database(tmp_path)  # were the option taken, the server would stop at the database, not at it
    for count in ("0", "-3"):
        done = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(data)}).invoke(
            build_cli(), ["serve", "--workers", count, "--port", "1"])
        assert done.exit_code == 2 and "--workers" in done.output, done.output


def test_the_import_report_keeps_each_finding_on_one_line_in_a_file(tmp_path: Path) -> None:
    """The report goes to stdout for logs and scripts (docs/operations.md); rich cut it at 80 columns wherever stdout
    was not a terminal, so a finding was split in two mid-phrase ("policy would reject (f_word, " / "abusive)")."""
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(tmp_path / "data")})
    fixture = Path(__file__).parent / "fixtures" / "disqus.xml"
    done = runner.invoke(build_cli(), ["import", "disqus", str(fixture)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert any(re.fullmatch(r"Imported from disqus into site default: \d+ comments, \d+ threads, \d+ accounts "
                            r"\(0 of \d+ comments were already imported\)\.", line) for line in lines), done.output
    assert "  line 134 <post dsq:id=3009>: bad createdAt: Invalid isoformat string: 'yesterday-ish'; skipped" in lines, done.output

