"""Export a site as JSON Lines, import it into a fresh installation, export again: same content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import appeals, enforcement, moderation
from townhall.service.archive import ArchiveError, canonical, import_jsonl
from townhall.service.identity import Actor, Identity
from townhall.service.importers import disqus
from townhall.service.importing import run_import
from townhall.service.render import RENDER_VERSION, render
from townhall.store.db import Database
from townhall.store.schema import ActorKind, Role, comments
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY

FIXTURES = Path(__file__).parent / "fixtures"


def _populate(app: Townhall, client: Any) -> None:
    run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    first = client.post("/api/v1/threads/t-1/comments", json={"text": "First comment ✓", "title": "T1"}, headers=auth("alice", email="a@example.org"))
    assert first.status_code == 201, first.text
    cid = first.json()["comment"]["id"]
    assert client.post("/api/v1/threads/t-1/comments", json={"text": "A reply", "parent_id": cid}, headers=auth("bob")).status_code == 201
    # text that looks like a time stays text through the round trip
    stamp = client.post("/api/v1/threads/t-1/comments", json={"text": "2024-05-01T10:00:00"},
                        headers=auth("clock", name="2024-05-01T10:00:00Z"))
    assert stamp.status_code == 201, stamp.text
    r = client.put("/api/v1/me/notifications", json={"replies": True}, headers=auth("alice", email="a@example.org"))
    assert r.status_code == 200 and r.json()["replies"] is True
    assert client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth("bob")).status_code == 200
    assert client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=auth("carol")).status_code == 201
    featured = client.put(f"/api/v1/mod/comments/{cid}/featured", json={"featured": True}, headers=auth("mod", role="moderator"))
    assert featured.status_code == 200, featured.text
    bad = client.post("/api/v1/threads/t-1/comments", json={"text": "fuck this"}, headers=auth("bob"))
    assert bad.status_code >= 400
    svc = app.services
    me = client.get("/api/v1/me", headers=auth("bob")).json()
    mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
    action = enforcement.moderator_sanction(svc, mod, me["id"], "suspend", "Cooling off", hours=24)
    appeals.appeal(svc, Identity(me["id"], "default", "bob", "Bob"), action, "Please reconsider")
    moderation.add_note(svc, mod, me["id"], "Watch this one")


def test_export_import_export_round_trip(app: Townhall, client: Any, db_url: str, tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    _populate(app, client)
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    first = tmp_path / "first.jsonl"
    out = runner.invoke(build_cli(), ["export", "--site", "default", "-o", str(first), "--db", db_url])
    assert out.exit_code == 0, out.output
    kinds = {json.loads(line)["type"] for line in first.read_text(encoding="utf-8").splitlines()}
    assert {"townhall-export", "thread", "comment", "account", "decision", "action", "appeal", "note", "audit",
            "reaction", "report", "prefs"} <= kinds

    fresh = (f"sqlite:///{tmp_path / 'fresh.db'}" if db_url.startswith("sqlite")
             else request.getfixturevalue("postgres").fresh())
    done = runner.invoke(build_cli(), ["import", "townhall", str(first), "--db", fresh])
    assert done.exit_code == 0, done.output
    second = tmp_path / "second.jsonl"
    out = runner.invoke(build_cli(), ["export", "-o", str(second), "--db", fresh])
    assert out.exit_code == 0, out.output
    a = canonical(first.read_text(encoding="utf-8").splitlines())
    b = canonical(second.read_text(encoding="utf-8").splitlines())
    assert len(a) == len(b) > 40
    for x, y in zip(a, b):
        assert x == y
    texts = {json.loads(line).get("body") for line in second.read_text(encoding="utf-8").splitlines()}
    names = {json.loads(line).get("display_name") for line in second.read_text(encoding="utf-8").splitlines()}
    assert "2024-05-01T10:00:00" in texts and "2024-05-01T10:00:00Z" in names
    assert [json.loads(x)["notify_replies"] for x in second.read_text(encoding="utf-8").splitlines()
            if json.loads(x)["type"] == "prefs"] == [True]
    # a moderator's pick moves with the site: when, and by whom
    picks = [(json.loads(x)["body"], json.loads(x)["featured_by"], json.loads(x)["featured_at"] is not None)
             for x in second.read_text(encoding="utf-8").splitlines()
             if json.loads(x)["type"] == "comment" and json.loads(x)["featured_at"] is not None]
    assert picks == [("First comment ✓", "sso:default:mod", True)]

    again = runner.invoke(build_cli(), ["import", "townhall", str(first), "--db", fresh])
    assert again.exit_code != 0 and "already has threads" in again.output


def test_import_rejects_broken_files(app: Townhall) -> None:
    with pytest.raises(ArchiveError, match="not a Townhall export"):
        import_jsonl(app.services, ['{"type": "comment"}'])
    with pytest.raises(ArchiveError, match="names no site"):
        import_jsonl(app.services, ['{"type": "townhall-export", "version": 1}'])
    header = json.dumps({"type": "townhall-export", "version": 1, "site": {"id": "x2", "name": "X", "sso_secret": "s",
                                                                         "allow_guests": False, "auto_create_threads": True,
                                                                         "policy_path": None, "origins": [],
                                                                         "created_at": "2024-01-01T00:00:00+00:00"}})
    with pytest.raises(ArchiveError, match="line 2: not JSON"):
        import_jsonl(app.services, [header, "{oops"])
    with pytest.raises(ArchiveError, match="refers to thread 5"):
        import_jsonl(app.services, [header, json.dumps({"type": "comment", "id": 1, "thread_id": 5, "account_id": 1})])


def test_a_moved_site_keeps_its_erasure_mode_and_the_bans_of_erased_readers(make_app: Any, db_url: str, tmp_path: Path,
                                                                           request: pytest.FixtureRequest) -> None:
    """Moving a site (export, then import into another installation, with its own installation secret) keeps
    the site's erasure mode, and a reader who erased their account while banned is still banned there."""
    from starlette.testclient import TestClient

    app = make_app(db_url, policy=POLICY)
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    with TestClient(app) as client:
        mallory = client.post("/api/v1/threads/t/comments", json={"text": "I will be banned."},
                              headers=auth("mallory")).json()["comment"]["author"]["id"]
        r = client.post(f"/api/v1/mod/accounts/{mallory}/sanctions", json={"sanction": "ban", "reason": "Abuse."},
                        headers=auth("mod", role="moderator"))
        assert r.status_code in (200, 201), r.text
        assert client.delete("/api/v1/me", headers=auth("mallory")).status_code in (200, 204)
    assert runner.invoke(build_cli(), ["privacy", "mode", "anonymise", "--db", db_url]).exit_code == 0
    archive = tmp_path / "site.jsonl"
    assert runner.invoke(build_cli(), ["export", "-o", str(archive), "--db", db_url]).exit_code == 0
    fresh = (f"sqlite:///{tmp_path / 'moved.db'}" if db_url.startswith("sqlite")
             else request.getfixturevalue("postgres").fresh())
    done = runner.invoke(build_cli(), ["import", "townhall", str(archive), "--db", fresh])
    assert done.exit_code == 0, done.output
    moved = make_app(fresh, policy=POLICY, data_dir=str(tmp_path / "moved-data"))
    assert moved.services.secret != app.services.secret  # another installation
    from townhall.service.privacy import erasure_mode

    assert erasure_mode(moved.services, "default") == "anonymise"
    with TestClient(moved) as client:
        assert client.get("/api/v1/me", headers=auth("mallory")).json()["state"] == "banned"
        assert client.post("/api/v1/threads/t/comments", json={"text": "I am back."},
                           headers=auth("mallory")).status_code == 403
    # imported under another site id, too (the site's key, not its id, keys the subject)
    import_jsonl(moved.services, archive.read_text(encoding="utf-8").splitlines(), site_id="gazette")
    with TestClient(moved) as client:
        assert client.get("/api/v1/me", params={"site": "gazette"}, headers=auth("mallory")).json()["state"] == "banned"


def test_an_archives_own_html_never_reaches_readers(app: Townhall, client: Any, db_url: str, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    """A comment's HTML goes to readers' pages as it is stored (the widget inserts it): an export file whose
    ``html`` was changed (a script, from an installation someone else ran) must not put its markup there. The import
    makes the HTML from the comment's text, as a post does; a body that is not text is refused, naming its line."""
    r = client.post("/api/v1/threads/t-x/comments", json={"text": "Read https://example.com/a first.", "title": "T"},
                    headers=auth("alice"))
    assert r.status_code == 201, r.text
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    exported = tmp_path / "site.jsonl"
    assert runner.invoke(build_cli(), ["export", "-o", str(exported), "--db", db_url]).exit_code == 0
    records = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    [comment] = [r for r in records if r["type"] == "comment"]
    comment["html"] = '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>'
    comment["render_version"] = 99
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    fresh = (f"sqlite:///{tmp_path / 'fresh.db'}" if db_url.startswith("sqlite")
             else request.getfixturevalue("postgres").fresh())
    done = runner.invoke(build_cli(), ["import", "townhall", str(tampered), "--db", fresh])
    assert done.exit_code == 0, done.output
    moved = Database(fresh)
    try:
        with moved.read() as conn:
            [(body, html, version)] = conn.execute(sa.select(comments.c.body, comments.c.html, comments.c.render_version)).all()
    finally:
        moved.dispose()
    assert (body, html, version) == ("Read https://example.com/a first.", render(body), RENDER_VERSION)

    comment["body"] = 5
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    other = (f"sqlite:///{tmp_path / 'other.db'}" if db_url.startswith("sqlite")
             else request.getfixturevalue("postgres").fresh())
    refused = runner.invoke(build_cli(), ["import", "townhall", str(broken), "--db", other])
    assert refused.exit_code != 0 and "a comment's 'body' must be text" in refused.output, refused.output


def test_an_export_saved_with_a_byte_order_mark_imports(make_app: Any, sqlite_url: str, tmp_path: Path) -> None:
    """An export opened and saved in a Windows editor starts with a UTF-8 byte order mark; it was refused as
    "line 1: not JSON". A file that is not UTF-8 at all is refused naming that, not with a traceback."""
    from starlette.testclient import TestClient

    with TestClient(make_app(sqlite_url, policy=POLICY)) as client:
        assert client.post("/api/v1/threads/t/comments", json={"text": "Grüße"}, headers=auth("u")).status_code == 201
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    exported = tmp_path / "export.jsonl"
    assert runner.invoke(build_cli(), ["export", "-o", str(exported), "--db", sqlite_url]).exit_code == 0
    assert exported.stat().st_mode & 0o777 == 0o600  # secrets and readers' data: the owner's only
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + exported.read_bytes())
    done = runner.invoke(build_cli(), ["import", "townhall", str(marked), "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert done.exit_code == 0, done.output
    assert "comment 1" in done.output
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(exported.read_text(encoding="utf-8").encode("latin-1"))
    done = runner.invoke(build_cli(), ["import", "townhall", str(latin), "--db", f"sqlite:///{tmp_path / 'b.db'}"])
    assert done.exit_code == 1 and "not UTF-8" in done.output and "Traceback" not in done.output
