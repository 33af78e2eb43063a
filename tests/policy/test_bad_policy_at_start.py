"""A wrong policy file stops Townhall when it is built — ``create_app``, the multi-worker factory and
``townhall serve`` — with the one-line ``file:line: message`` of ``townhall policy check``, so no server
ever runs on it answering 500 to every comment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from importlib import resources as importlib_resources
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from townhall.policy import PolicyError
from townhall.store import content
from townhall.store.db import Database

from tests.fixtures_app import SSO_SECRET, AppFactory, auth, free_port

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
BAD = '[policy]\nname = "Bad"\n\n[comments]\nmax_length = "long"\n'
MESSAGE = "5: comments.max_length: must be a whole number, not 'long'"


def _bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.policy.toml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_create_app_refuses_a_bad_policy_file(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    bad = _bad(tmp_path)
    before = threading.active_count()
    with pytest.raises(PolicyError) as info:
        make_app(db_url, policy=str(bad))
    assert str(info.value) == f"{bad}:{MESSAGE}"
    assert threading.active_count() == before  # the job queue (and PostgreSQL's relay) it had started are stopped


def test_a_file_made_wrong_while_running_changes_nothing_until_the_next_start(make_app: AppFactory, db_url: str,
                                                                             tmp_path: Path) -> None:
    """Policies are read once, when the application is built: a file edited into a wrong one afterwards (before
    or after the first comment) leaves the running server on the policy it started with, never answering 500;
    the next start refuses the file."""
    path = tmp_path / "house.policy.toml"
    path.write_text(DEFAULT, encoding="utf-8")
    app = make_app(db_url, policy=str(path))
    path.write_text(BAD, encoding="utf-8")
    with TestClient(app, raise_server_exceptions=False) as client:
        posted = client.post("/api/v1/threads/t1/comments", json={"text": "Hello."}, headers=auth("alice"))
        assert posted.status_code == 201 and posted.json()["comment"]["status"] == "published", posted.text
        refused = client.post("/api/v1/threads/t1/comments", json={"text": "What the fuck."}, headers=auth("alice"))
        assert refused.status_code == 422, refused.text
        site = client.get("/api/v1/site")
        assert site.status_code == 200 and site.json()["max_length"] == 5000, site.text
    app.close()
    with pytest.raises(PolicyError, match=f"^{path}:{MESSAGE}$"):
        make_app(db_url, policy=str(path))


def test_create_app_checks_each_sites_own_policy_file(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> None:
    make_app(sqlite_url).close()
    bad = _bad(tmp_path)
    db = Database(sqlite_url)
    with db.write() as conn:
        content.update_site(conn, "default", policy_path=str(bad))
    db.dispose()
    with pytest.raises(PolicyError, match=f"^{bad}:{MESSAGE}$"):
        make_app(sqlite_url)


def _clean_environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@pytest.mark.timeout(120)
def test_serve_with_a_bad_policy_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    bad = _bad(tmp_path)
    port = free_port()
    script = "import click, sys; from townhall.commands.server import register; g = click.Group(); register(g); g(sys.argv[1:])"
    proc = subprocess.run(
        [sys.executable, "-c", script, "serve", "--data-dir", str(tmp_path / "data"), "--policy", str(bad),
         "--port", str(port)],
        capture_output=True, text=True, timeout=90, cwd=tmp_path, env=_clean_environ(TOWNHALL_SSO_SECRET=SSO_SECRET),
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr == f"Townhall could not start: {bad}:{MESSAGE}\n", proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "Townhall on" not in proc.stdout + proc.stderr


def test_the_worker_factory_exits_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """``uvicorn --factory townhall.web.factory:app`` (each worker of ``serve --workers N``)."""
    from townhall.web import factory

    bad = _bad(tmp_path)
    for key in [k for k in os.environ if k.startswith("TOWNHALL_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TOWNHALL_DATABASE_URL", f"sqlite:///{tmp_path / 'townhall.db'}")
    monkeypatch.setenv("TOWNHALL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOWNHALL_SSO_SECRET", SSO_SECRET)
    monkeypatch.setenv("TOWNHALL_POLICY", str(bad))
    before = threading.active_count()
    with pytest.raises(SystemExit) as info:
        factory.app()
    assert info.value.code == 1
    assert capsys.readouterr().err == f"Townhall could not start: {bad}:{MESSAGE}\n"
    assert threading.active_count() == before
