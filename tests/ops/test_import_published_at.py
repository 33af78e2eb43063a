"""An import that dates an existing thread (the archive's article date becomes its ``published_at``) does what a
publisher's change of the date does (townhall.service.thread_metadata.update_thread): one ``thread.updated`` audit
entry per thread it dated, with the old and new value and the import as the actor, and where the date closes the
thread by the site's ``close_after_days`` (or opens it), ``thread.closed`` / ``thread.opened`` to its live readers.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importing import run_import
from townhall.store import content
from tests.fixtures_app import AppFactory, Clock, closing_policy

FIXTURES = Path(__file__).parent / "fixtures"
THREAD = "russia-syria-drawdown"  # the Disqus fixture's article of 2016-03-14T18:00:00Z
ARCHIVE_DATE = "2016-03-14T18:00:00Z"
DAYS = 30


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    return make_app(db_url, policy=str(closing_policy(tmp_path, DAYS)), page_cache_seconds=0)


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def published(app: Townhall, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What the event bus is given to send to live readers (after the commit), in order."""
    bus = app.services.events
    sent: list[tuple[str, dict[str, Any]]] = []
    original = bus.publish

    def publish(channel: str, event: dict[str, Any]) -> None:
        sent.append((channel, event))
        original(channel, event)

    monkeypatch.setattr(bus, "publish", publish)
    return sent


def _archive(article_date: str = ARCHIVE_DATE) -> Any:
    text = (FIXTURES / "disqus.xml").read_text(encoding="utf-8")
    assert text.count(ARCHIVE_DATE) == 1  # the thread's date, not a post's
    return disqus.read(text.replace(ARCHIVE_DATE, article_date))


def _thread_entries(app: Townhall) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.text(
            "SELECT subject_id, actor_kind, actor, site_id, details FROM audit_log WHERE action = 'thread.updated' "
            "ORDER BY id")).mappings()]
    for row in rows:
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


def _insert(app: Townhall, external_id: str, created: datetime, published_at: datetime | None = None) -> None:
    with app.services.db.write() as conn:
        content.insert_thread(conn, site_id="default", external_id=external_id, url=None, title=None, now=created,
                              published_at=published_at)


def _events(app: Townhall, sent: list[tuple[str, dict[str, Any]]], thread: str = THREAD) -> list[dict[str, Any]]:
    channel = app.services.events.channel("default", thread)
    return [event for ch, event in sent if ch == channel and str(event.get("type", "")).startswith("thread.")]


def _state(client: TestClient, thread: str = THREAD) -> dict[str, Any]:
    r = client.get(f"/api/v1/threads/{thread}/comments")
    assert r.status_code == 200, r.text
    return r.json()["thread"]  # type: ignore[no-any-return]


def test_dating_an_open_thread_past_the_limit_is_audited_and_closes_it_for_live_readers(
        app: Townhall, client: TestClient, clock: Clock, published: list[tuple[str, dict[str, Any]]]) -> None:
    _insert(app, THREAD, clock.now)
    assert _state(client)["state"] == "open"
    report = run_import(app.services, _archive(), "default")
    assert report.threads_new == 1  # the fixture's other article, created by the import: not "changed"
    assert _state(client)["closed_reason"] == "age"
    assert _thread_entries(app) == [{
        "subject_id": THREAD, "actor_kind": "system", "actor": "import", "site_id": "default",
        "details": {"changed": {"published_at": {"from": None, "to": "2016-03-14T18:00:00+00:00"}},
                    "source": "disqus"}}]
    assert _events(app, published) == [{"type": "thread.closed", "closed_reason": "age"}]
    # a second run (a resumed import) dates nothing: no entry, nothing to tell
    run_import(app.services, _archive(), "default")
    assert len(_thread_entries(app)) == 1 and len(_events(app, published)) == 1


def test_a_date_that_opens_a_thread_closed_by_its_age_is_told_as_opened(
        app: Townhall, client: TestClient, clock: Clock, published: list[tuple[str, dict[str, Any]]]) -> None:
    # stored long ago without a date: closed by its own age; the archive says the article is two days old
    _insert(app, THREAD, clock.now - timedelta(days=DAYS + 10))
    assert _state(client)["closed_reason"] == "age"
    recent = (clock.now - timedelta(days=2)).astimezone(UTC)
    run_import(app.services, _archive(recent.strftime("%Y-%m-%dT%H:%M:%SZ")), "default")
    assert _state(client)["state"] == "open"
    (entry,) = _thread_entries(app)
    assert entry["details"]["changed"] == {"published_at": {"from": None, "to": recent.isoformat()}}
    assert _events(app, published) == [{"type": "thread.opened"}]


def test_a_date_that_leaves_the_state_as_it_was_is_audited_and_not_announced(
        app: Townhall, client: TestClient, clock: Clock, published: list[tuple[str, dict[str, Any]]]) -> None:
    _insert(app, THREAD, clock.now)
    recent = (clock.now - timedelta(days=2)).astimezone(UTC)
    run_import(app.services, _archive(recent.strftime("%Y-%m-%dT%H:%M:%SZ")), "default")
    assert _state(client)["state"] == "open"
    assert [e["subject_id"] for e in _thread_entries(app)] == [THREAD]
    assert _events(app, published) == []


def test_a_publishers_date_is_kept_and_a_dry_run_changes_nothing(
        app: Townhall, client: TestClient, clock: Clock, published: list[tuple[str, dict[str, Any]]]) -> None:
    _insert(app, THREAD, clock.now)
    run_import(app.services, _archive(), "default", dry_run=True)
    assert _state(client)["published_at"] is None and _thread_entries(app) == [] and _events(app, published) == []
    with app.services.db.write() as conn:
        row = content.get_thread(conn, "default", THREAD)
        assert row is not None
        content.update_thread(conn, int(row["id"]), published_at=clock.now - timedelta(days=1))
    run_import(app.services, _archive(), "default")
    assert _state(client)["state"] == "open"
    assert _thread_entries(app) == [] and _events(app, published) == []
