"""`townhall backup` and `townhall doctor`, for people."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.store.db import Database
from tests.fixtures_app import auth, free_port
from tests.ops.conftest import POLICY


def test_backup_of_a_live_sqlite_database(make_app: Any, sqlite_url: str, tmp_path: Path) -> None:
    app: Townhall = make_app(sqlite_url, policy=POLICY)
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        for i in range(5):
            assert client.post("/api/v1/threads/t/comments", json={"text": f"comment {i}"}, headers=auth("u")).status_code == 201
        runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
        out = tmp_path / "backups" / "th.db"
        done = runner.invoke(build_cli(), ["backup", "--out", str(out), "--db", sqlite_url])
        assert done.exit_code == 0, done.output
        assert "integrity ok" in done.output
        assert out.stat().st_mode & 0o777 == 0o600  # secrets and readers' data: the owner's only
        copy = sqlite3.connect(out)
        assert copy.execute("SELECT count(*) FROM comments").fetchone()[0] == 5
        copy.close()
        again = runner.invoke(build_cli(), ["backup", "--out", str(out), "--db", sqlite_url])
        assert again.exit_code != 0 and "exists" in again.output
    head = Database(sqlite_url).head_revision()
    assert f"schema {head}" in done.output


def test_backup_when_the_data_folder_has_a_hash_in_its_name(tmp_path: Path) -> None:
    """The source is opened as a read-only SQLite URI; a "#" in the path once cut it short, and the backup
    was an empty database reported as a success."""
    data = tmp_path / "news#1"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(data)})
    done = runner.invoke(build_cli(), ["import", "disqus", str(Path(__file__).parent / "fixtures" / "disqus.xml")])
    assert done.exit_code == 0, done.output
    out = tmp_path / "copy.db"
    done = runner.invoke(build_cli(), ["backup", "--out", str(out)])
    assert done.exit_code == 0, done.output
    copy = sqlite3.connect(out)
    assert copy.execute("SELECT count(*) FROM comments").fetchone()[0] > 0
    copy.close()
    assert not (tmp_path / "news").exists()  # nothing created beside it


def test_backup_of_a_postgres_database_restores(make_app: Any, postgres: Any, tmp_path: Path) -> None:
    """On PostgreSQL the command writes a pg_dump file (it printed advice and exited 0 without one, so a
    scheduled `townhall backup && upload` uploaded nothing); the password travels outside the command line."""
    import subprocess

    url = postgres.fresh()
    app: Townhall = make_app(url, policy=POLICY)
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        for i in range(5):
            assert client.post("/api/v1/threads/t/comments", json={"text": f"comment {i}"}, headers=auth("u")).status_code == 201
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    out = tmp_path / "backups" / "th.dump"
    done = runner.invoke(build_cli(), ["backup", "--out", str(out), "--db", url.replace("postgres@", "postgres:s3cret@")])
    assert done.exit_code == 0, done.output
    head = Database(url).head_revision()
    assert f"schema {head}" in done.output and "pg_restore" in done.output and "s3cret" not in done.output
    assert out.is_file() and not out.with_name("th.dump.partial").exists() and out.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(build_cli(), ["backup", "--out", str(out), "--db", url])
    assert again.exit_code != 0 and "exists" in again.output

    restored = f"{postgres.prefix}_restored"
    with postgres.admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{restored}"')
    postgres.created.append(restored)
    target = postgres.url(restored).replace("postgresql+psycopg", "postgresql")
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={target}", str(out)], check=True, capture_output=True)
    db = Database(postgres.url(restored))
    try:
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM comments").scalar() == 5
        assert db.current_revision() == head
    finally:
        db.dispose()


def test_backup_of_postgres_without_pg_dump_or_server_writes_nothing(postgres: Any, tmp_path: Path) -> None:
    out = tmp_path / "th.dump"
    no_tools = CliRunner(env={"TOWNHALL_POLICY": POLICY, "PATH": str(tmp_path)})
    done = no_tools.invoke(build_cli(), ["backup", "--out", str(out), "--db", postgres.fresh()])
    assert done.exit_code == 1 and "pg_dump is not installed" in done.output
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/townhall"
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["backup", "--out", str(out), "--db", nowhere])
    assert done.exit_code == 1 and "cannot reach the database" in done.output and "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("smtp_up", [True, False])
def test_doctor(db_url: str, tmp_path: Path, smtp_up: bool) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, *args: Any) -> str:  # noqa: N802
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    if smtp_up:
        controller.start()
    try:
        env = {"TOWNHALL_POLICY": POLICY, "TOWNHALL_SMTP_URL": f"smtp://127.0.0.1:{port}", "TOWNHALL_PUBLIC_URL": "https://c.example"}
        runner = CliRunner(env=env)
        Database(db_url).migrate()
        ok = runner.invoke(build_cli(), ["doctor", "--db", db_url])
        lines = " ".join(ok.output.split())
        assert "database: " in lines and "migrations: at head" in lines and "policy and models:" in lines
        if smtp_up:
            assert ok.exit_code == 0, ok.output
            assert "smtp: 127.0.0.1" in lines and "All checks passed" in lines
            assert "classifier encoder: loaded and answered in" in lines
        else:
            assert ok.exit_code == 1 and "unreachable" in lines and "needs attention" in lines
    finally:
        if smtp_up:
            controller.stop()


def test_doctor_finds_an_encoder_that_does_not_run(tmp_path: Path) -> None:
    import shutil

    from townhall.policy.classifiers import ARTIFACTS

    models = tmp_path / "models"
    shutil.copytree(ARTIFACTS, models)
    (models / "encoder" / "model.onnx").write_bytes(b"not an onnx model")
    url = f"sqlite:///{tmp_path / 'th.db'}"
    Database(url).migrate()
    env = {"TOWNHALL_POLICY": POLICY, "TOWNHALL_MODEL_DIR": str(models)}
    broken = CliRunner(env=env).invoke(build_cli(), ["doctor", "--db", url])
    lines = " ".join(broken.output.split())
    assert broken.exit_code == 1 and "classifier encoder: the encoder does not run" in lines, broken.output
    off = CliRunner(env={**env, "TOWNHALL_MODEL_DIR": "", "TOWNHALL_CLASSIFIER_ROUTE_AT": "1"}).invoke(
        build_cli(), ["doctor", "--db", url])
    assert "but off (classifier_route_at 1.0)" in " ".join(off.output.split()), off.output


def test_doctor_finds_an_old_schema_and_a_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    from alembic import command

    from townhall.store.db import _alembic_config

    cfg = _alembic_config(url)
    with db.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002_audit_append_only")
    db.dispose()
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    old = runner.invoke(build_cli(), ["doctor", "--db", url])
    assert old.exit_code == 1 and "0002_audit_append_only" in old.output and "townhall migrate" in old.output
    gone = runner.invoke(build_cli(), ["doctor", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert gone.exit_code == 1 and "cannot connect" in " ".join(gone.output.split())


def test_commands_fail_in_one_line_on_bad_input(tmp_path: Path) -> None:
    """A missing site, a broken export, a database that cannot be reached: one "Error:" line and exit 1,
    never a traceback."""
    header_only = tmp_path / "header.jsonl"
    header_only.write_text('{"type": "townhall-export", "version": 1}\n', encoding="utf-8")
    gzipped = tmp_path / "export.jsonl.gz"
    gzipped.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(tmp_path / "data")})
    for args in (["mail", "digest", "--site", "nope", "--dry-run"], ["privacy", "mode", "remove", "--site", "nope"],
                 ["import", "townhall", str(header_only)], ["import", "townhall", str(gzipped)],
                 ["users", "list-moderators", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x"]):
        done = runner.invoke(build_cli(), args)
        assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (args, done.output, done.exception)
        assert done.output.startswith("Error: ") and done.output.count("\n") == 1, (args, done.output)


def test_export_from_a_database_that_is_not_there_is_refused(tmp_path: Path) -> None:
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    missing = tmp_path / "typo" / "townhall.db"
    done = runner.invoke(build_cli(), ["export", "-o", str(tmp_path / "out.jsonl"), "--db", f"sqlite:///{missing}"])
    assert done.exit_code == 1 and "no database at" in done.output
    assert not missing.exists() and not (tmp_path / "out.jsonl").exists()
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_DATA_DIR": str(tmp_path / "data")})
    assert runner.invoke(build_cli(), ["import", "disqus", str(Path(__file__).parent / "fixtures" / "disqus.xml")]).exit_code == 0
    done = runner.invoke(build_cli(), ["export", "--site", "nope", "-o", str(tmp_path / "out.jsonl")])
    assert done.exit_code == 1 and "no site" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no empty or partial export left behind
