"""Regression tests from an audit of the operations features: a backup of a busy SQLite database finishes,
a site export is one consistent snapshot also on PostgreSQL, and e-mail never goes to the addresses of
imported accounts (typed into another system's comment form, confirmed by no one)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import archive, enforcement
from townhall.service.identity import Actor
from townhall.settings import Settings
from townhall.store import people
from townhall.store.backup import sqlite_backup
from townhall.store.schema import AccountState, ActorKind, Role
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.test_mail import Inbox, smtp  # noqa: F401 - the fixture


def test_backup_of_a_database_written_to_all_the_time_finishes(tmp_path: Path) -> None:
    """Copied page by page, every write by another connection restarted the copy from the first page: on a
    database written to more often than a whole copy takes, `townhall backup` never finished."""
    source = tmp_path / "busy.db"
    setup = sqlite3.connect(source)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, v TEXT)")
    setup.executemany("INSERT INTO filler (v) VALUES (?)", [("x" * 1000,) for _ in range(6000)])  # ~1,800 pages
    setup.commit()
    writer = sqlite3.connect(source)
    steps = 0

    def progress(_done: int, _total: int) -> None:  # a reader's comment arrives between every two steps
        nonlocal steps
        steps += 1
        if steps > 100:
            raise RuntimeError("the backup keeps starting again")
        writer.execute("INSERT INTO filler (v) VALUES ('new')")
        writer.commit()

    assert sqlite_backup(source, tmp_path / "copy.db", progress) == "ok"
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM filler").fetchone()[0] >= 6000
    copy.close()
    writer.close()
    setup.close()


def test_a_failed_backup_leaves_no_file_that_looks_like_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from townhall.service import maintenance

    db = tmp_path / "townhall.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()

    def broken(source: Any, target: Any, progress: Any = None) -> str:
        Path(target).write_bytes(b"half a database")
        raise OSError("disk full")

    monkeypatch.setattr(maintenance, "sqlite_backup", broken)
    out = tmp_path / "backups" / "th.db"
    with pytest.raises(OSError):
        maintenance.backup(Settings(database_url=f"sqlite:///{db}"), out)
    assert list(out.parent.iterdir()) == []  # and the next run is not refused with "exists"


def test_a_site_export_is_one_snapshot_while_readers_write(make_app: Any, db_url: str) -> None:
    """On PostgreSQL each query of the export saw the rows committed by then (READ COMMITTED): a comment
    written by a new reader during the export was exported without its author, and the file could not be
    imported."""
    app: Townhall = make_app(db_url, policy=POLICY)
    with TestClient(app, client=("203.0.113.9", 50000)) as client:
        first = client.post("/api/v1/threads/t1/comments", json={"text": "First"}, headers=auth("alice"))
        assert first.status_code == 201
        exported: list[dict[str, Any]] = []
        wrote = False
        for record in archive.records(app.services, "default"):
            exported.append(record)
            if record["type"] == "account" and not wrote:  # accounts are being read: a newcomer writes now
                wrote = True
                late = client.post("/api/v1/threads/t1/comments", json={"text": "Late", "parent_id": first.json()["comment"]["id"]},
                                   headers=auth("newcomer"))
                assert late.status_code == 201
    assert wrote
    accounts = {r["id"] for r in exported if r["type"] == "account"}
    comments = [r for r in exported if r["type"] == "comment"]
    assert [c["body"] for c in comments] == ["First"]  # the export shows the site as it was when it began
    assert all(c["account_id"] in accounts for c in comments)


def test_no_sanction_notice_to_the_address_of_an_imported_account(make_app: Any, db_url: str,
                                                                 smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """An imported account's address was typed into another system's form: it is kept only so that its owner
    can claim the history. Banning the account must not mail whoever that address belongs to."""
    inbox, port = smtp
    app: Townhall = make_app(db_url, policy=POLICY, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="comments@news.example")
    svc = app.services
    queue = svc.operations.queue
    queue.poll_seconds = 0.05
    with svc.db.write() as conn:
        imported = people.insert_account(
            conn, site_id="default", subject="import:disqus:user:spammer", display_name="Spammer", email="victim@example.org",
            supporter=False, role=Role.READER.value, guest=False, state=AccountState.ACTIVE.value, created_at=svc.now())
    mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
    enforcement.moderator_sanction(svc, mod, imported, "ban", "Spam from the old system")
    with TestClient(app) as client:  # a reader with an address the publisher vouched for still gets theirs
        reader = client.get("/api/v1/me", headers=auth("rita", email="rita@example.org", email_verified=True)).json()["id"]
    enforcement.moderator_sanction(svc, mod, reader, "warn", "Tone")
    [notice] = inbox.wait(1)
    deadline = time.time() + 10
    while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in queue.list()):
        assert time.time() < deadline
        time.sleep(0.05)
    assert [m["To"] for m in inbox.messages] == ["rita@example.org"]
    assert notice["To"] == "rita@example.org"


def test_a_readers_export_does_not_name_the_moderators(make_app: Any, db_url: str) -> None:
    """The export of a reader's data named the moderators who sanctioned them, decided their appeal and wrote
    notes about them (their e-mail addresses): other people's data, which the reader's own view of a
    sanction (``sanction_details``) deliberately leaves out."""
    from townhall.service import appeals, featured, moderation, privacy
    from townhall.service.identity import Identity

    app: Townhall = make_app(db_url, policy=POLICY)
    svc = app.services
    with TestClient(app, client=("203.0.113.9", 50000)) as client:
        me = auth("rita", name="Rita", email="rita@example.org", email_verified=True)
        posted = client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=me)
        assert posted.status_code == 201
        rita = client.get("/api/v1/me", headers=me).json()["id"]
    mod = Actor(ActorKind.MODERATOR, "moderator.private@newsroom.example", Role.MODERATOR, None)
    featured.set_featured(svc, mod, int(posted.json()["comment"]["id"]), True)
    action = enforcement.moderator_sanction(svc, mod, rita, "warn", "Tone")
    appeal = appeals.appeal(svc, Identity(rita, "default", "rita", "Rita"), action, "Please")
    appeals.decide(svc, mod, appeal["appeal_id"], reverse=False, response="Upheld")
    moderation.add_note(svc, mod, rita, "Watch this one")
    data = privacy.export_account(svc, rita)
    assert data["account"]["email"] == "rita@example.org"  # theirs, all of it
    assert [a["reason"] for a in data["actions"]] == ["Tone"] and data["actions"][0]["actor_kind"] == "moderator"
    assert data["appeals"][0]["response"] == "Upheld" and data["moderator_notes"][0]["text"] == "Watch this one"
    assert data["comments"][0]["featured_at"] is not None and "featured_by" not in data["comments"][0]
    assert "moderator.private" not in repr(data)
