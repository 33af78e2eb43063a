"""An app that is closed and dropped leaves nothing of itself behind in the process: no thread, no module-level
state of ours holds its services (the project keeps no module-level mutable state). FastAPI's own caches of
endpoint functions are cleared after every test (tests/conftest.py), as they are here."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

from starlette.testclient import TestClient

from townhall.app import create_app
from townhall.settings import Settings
from tests.conftest import _FASTAPI_CALLABLE_CACHES
from tests.fixtures_app import SSO_SECRET, auth


def _used_and_closed(tmp_path: Path) -> weakref.ref[object]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'th.sqlite'}", data_dir=str(tmp_path / "data"),
                        sso_secret=SSO_SECRET, rate_limit_per_minute=0)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        r = client.post("/api/v1/threads/lifecycle/comments", json={"text": "A fair point about the budget."},
                        headers=auth("reader"))
        assert r.status_code == 201, r.text
        assert client.get("/api/v1/threads/lifecycle/comments").status_code == 200
    app.close()
    return weakref.ref(app.services)


def test_a_closed_app_is_freed(tmp_path: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    services = _used_and_closed(tmp_path)
    from fastapi.dependencies import models

    for name in _FASTAPI_CALLABLE_CACHES:
        getattr(models, name).cache_clear()
    gc.collect()
    assert services() is None, [type(r).__name__ for r in gc.get_referrers(services())]
    assert {t.ident for t in threading.enumerate() if t.is_alive()} <= before


def test_apps_of_one_process_can_share_the_loaded_model(tmp_path: Path) -> None:
    """``create_app(resources=…)``: a second app with the same model settings uses the first one's loaded model
    (the test session does this); resources loaded with other model settings are refused, not silently used."""
    from townhall.service.core import policy_resources

    def settings(name: str, **extra: object) -> Settings:
        return Settings(database_url=f"sqlite:///{tmp_path / name}", data_dir=str(tmp_path / name) + ".data",
                        sso_secret=SSO_SECRET, rate_limit_per_minute=0, **extra)

    first = create_app(settings("a.sqlite"))
    shared = first.services.policies.resources
    second = create_app(settings("b.sqlite"), resources=shared)
    try:
        assert shared.classifier_model() is second.services.policies.resources.classifier_model()
        with TestClient(second) as client:
            r = client.post("/api/v1/threads/shared/comments", json={"text": "You are a worthless idiot."},
                            headers=auth("reader"))
            assert r.status_code in (201, 422) and "abusive" in r.text, r.text  # the shared model judged it
        other = settings("c.sqlite", classifier_route_at=0.5)
        assert policy_resources(other).route_at == 0.5
        try:
            create_app(other, resources=shared)
        except ValueError as exc:
            assert "other model settings" in str(exc)
        else:
            raise AssertionError("resources of other model settings were used")
    finally:
        second.close()
        first.close()
