"""TOWNHALL_ALLOW_GUESTS sets the default site's guest commenting only where the operator sets it: a command run
from a shell without it, or a restart, keeps what an admin chose on the dashboard. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.cli import build_cli
from townhall.service.core import build_services
from townhall.settings import Settings
from tests.fixtures_app import SSO_SECRET

T = "/api/v1/threads/guests/comments"


def _guests_allowed(db_url: str, tmp_path: Any) -> bool:
    svc = build_services(Settings(database_url=db_url, data_dir=str(tmp_path / "data"), sso_secret=SSO_SECRET))
    try:
        site = svc.site("default")
        assert site is not None
        return bool(site["allow_guests"])
    finally:
        svc.db.dispose()


def test_only_an_explicit_setting_changes_guest_commenting(make_app: Any, db_url: str, tmp_path: Any) -> None:
    app = make_app(db_url, allow_guests=True)
    with TestClient(app) as client:
        assert client.post(T, json={"text": "hello", "guest_name": "Gus"}).status_code == 201
        # an operator runs a read-only command from a shell without TOWNHALL_ALLOW_GUESTS
        result = CliRunner().invoke(build_cli(), ["jobs", "list", "--db", db_url], env={"TOWNHALL_ALLOW_GUESTS": None})
        assert result.exit_code == 0, result.output
        assert _guests_allowed(db_url, tmp_path)
        assert client.post(T, json={"text": "still here", "guest_name": "Gus"}).status_code == 201
    # a restart without the setting keeps it; an explicit false turns it off
    assert make_app(db_url).services.site("default")["allow_guests"]
    assert not make_app(db_url, allow_guests=False).services.site("default")["allow_guests"]
    assert not _guests_allowed(db_url, tmp_path)


def test_a_new_installation_starts_without_guests(make_app: Any, db_url: str) -> None:
    assert not make_app(db_url).services.site("default")["allow_guests"]
