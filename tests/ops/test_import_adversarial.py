"""Regressions from a second import audit, with small adversarial archives: values PostgreSQL cannot store
(a NUL in an Isso database, an archive id longer than the column) never stop an import half-way, on either
database; an Isso text column holding a BLOB is read as text, not a traceback; a date far in the future is
reported; and a re-import leaves a moderator's decision on an imported comment as it is. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, isso, wordpress
from townhall.service.importing import run_import
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.isso_schema import ISSO_TABLES


def _comments(app: Townhall) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT c.id, c.external_id AS ext, t.external_id AS thread, t.title, c.parent_id, c.depth, c.status, "
            "c.body, c.created_at, a.display_name AS name, a.email FROM comments c JOIN threads t ON t.id = c.thread_id "
            "JOIN accounts a ON a.id = c.account_id ORDER BY c.id")).mappings()]


def _disqus(posts: str) -> str:
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            '<thread dsq:id="1"><link>https://ex.org/t</link><title>T</title></thread>' + posts + "</disqus>")


def _post(pid: str, text: str, *, parent: str | None = None, created: str = "2020-01-01T00:00:00Z") -> str:
    return (f'<post dsq:id="{pid}"><message>{text}</message><createdAt>{created}</createdAt>'
            '<author><name>P</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/>'
            + (f'<parent dsq:id="{parent}"/>' if parent else "") + "</post>")


def _isso(path: Path, rows: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(ISSO_TABLES + rows)
    conn.commit()
    conn.close()
    return path


# --- 1. a NUL in an Isso database ---------------------------------------------------------------------------
def test_nul_characters_in_an_isso_database_are_removed_and_reported(app: Townhall, tmp_path: Path) -> None:
    """PostgreSQL cannot store a NUL: the import stopped at the comment's batch with a DataError (SQLite kept
    the NUL, which no page renders). The NULs are removed, said so, and the comments imported."""
    db = _isso(tmp_path / "isso.db", """
        INSERT INTO threads VALUES (1, '/p' || char(0) || 'ost/', 'Ti' || char(0) || 'tle');
        INSERT INTO comments (tid, id, parent, created, mode, text, author, email, voters) VALUES
            (1, 1, NULL, 1690000000, 1, 'a' || char(0) || 'b', 'Kim', 'k' || char(0) || 'im@example.org', x''),
            (1, 2, 1, 1690000100, 1, 'reply', 'Lee' || char(0), NULL, x'');
    """)
    report = run_import(app.services, isso.read(db), "default")
    assert report.comments_new == 2
    rows = _comments(app)
    assert [(r["ext"], r["body"], r["thread"], r["title"]) for r in rows] == [
        ("isso:1", "ab", "/post/", "Title"), ("isso:2", "reply", "/post/", "Title")]
    assert rows[1]["parent_id"] == rows[0]["id"] and rows[0]["email"] == "kim@example.org" and rows[1]["name"] == "Lee"
    problems = [str(p) for p in report.problems]
    assert "threads row id=1: NUL character(s) removed from column(s) title, uri" in problems
    assert "comments row id=1: NUL character(s) removed from column(s) email, text" in problems
    assert run_import(app.services, isso.read(db), "default").comments_new == 0  # and idempotent


# --- 2. a BLOB in an Isso text column -----------------------------------------------------------------------
def test_a_blob_in_an_isso_text_column_is_read_as_text(app: Townhall, tmp_path: Path) -> None:
    """SQLite keeps a BLOB in a VARCHAR column as bytes: an author name as a BLOB ended the CLI in an
    AttributeError traceback, a text as a BLOB was stored as "b'…'". They are read as UTF-8 text; a BLOB that
    is not UTF-8 is reported and its row skipped, like a text value that is not."""
    db = _isso(tmp_path / "isso.db", """
        INSERT INTO threads VALUES (1, CAST('/post/' AS BLOB), 'Post');
        INSERT INTO comments (tid, id, parent, created, mode, text, author, email, voters) VALUES
            (1, 1, NULL, 1690000000, 1, CAST('Grüße' AS BLOB), CAST('Kim' AS BLOB), CAST('kim@example.org' AS BLOB), x''),
            (1, 2, NULL, 1690000100, 1, x'43616ff9', 'Lee', NULL, x''),
            (1, 3, NULL, 1690000200, 1, 'plain', 'Max', NULL, x'00ff');
    """)
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["import", "isso", str(db), "--db", app.settings.resolved_database_url, "--json"])
    assert done.exit_code == 0 and "Traceback" not in done.output, done.output
    report = json.loads(done.stdout)
    assert report["comments_new"] == 2
    assert report["problems"] == ["comments row id=2: not valid UTF-8 in column(s) text; skipped"]
    rows = _comments(app)
    assert [(r["body"], r["name"], r["email"], r["thread"]) for r in rows] == [
        ("Grüße", "Kim", "kim@example.org", "/post/"), ("plain", "Max", None, "/post/")]


# --- 3. an archive id longer than Townhall stores -----------------------------------------------------------
def test_an_archive_id_too_long_for_the_column_keeps_its_comment_and_replies(app: Townhall) -> None:
    """``comments.external_id`` holds 300 characters: a longer Disqus or WordPress id stopped the import on
    PostgreSQL (value too long) and was stored whole on SQLite. It is stored shortened, with a hash of the
    whole id, so that its replies still find it and a re-import finds it again."""
    long_id, other = "9" * 400, "9" * 399 + "8"  # the same first 300 characters
    text = _disqus(_post(long_id, "long id") + _post(other, "other long id")
                   + _post("2", "reply", parent=long_id) + _post("3", "reply to other", parent=other))
    report = run_import(app.services, disqus.read(text), "default")
    assert report.comments_new == 4
    assert sum("id is longer than" in str(p) for p in report.problems) == 2
    rows = {r["body"]: r for r in _comments(app)}
    assert all(len(r["ext"]) <= 300 for r in rows.values()) and rows["long id"]["ext"] != rows["other long id"]["ext"]
    assert rows["reply"]["parent_id"] == rows["long id"]["id"] and rows["reply"]["depth"] == 1
    assert rows["reply to other"]["parent_id"] == rows["other long id"]["id"]
    again = run_import(app.services, disqus.read(text), "default")
    assert again.comments_new == 0 and again.comments_existing == 4
    wxr = ('<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>P</title>'
           "<link>https://w.ex/p/</link><wp:post_id>1</wp:post_id><wp:comment>"
           f"<wp:comment_id>{'7' * 500}</wp:comment_id><wp:comment_author>W</wp:comment_author>"
           "<wp:comment_date_gmt>2020-01-01 00:00:00</wp:comment_date_gmt><wp:comment_content>wp long id</wp:comment_content>"
           "</wp:comment></item></channel></rss>")
    assert run_import(app.services, wordpress.read(wxr), "default").comments_new == 1
    assert run_import(app.services, wordpress.read(wxr), "default").comments_new == 0


# --- 4. dates in the future -----------------------------------------------------------------------------------
def test_a_date_in_the_future_is_reported(app: Townhall) -> None:
    """A comment dated after the import (a wrong clock, a typo: 2091 for 2019) would stay the newest of its
    thread for ever, silently. It is imported with its date, and reported; a dry run reports it too."""
    text = _disqus(_post("1", "from the future", created="9999-12-31T23:59:59Z") + _post("2", "ordinary"))
    dry = run_import(app.services, disqus.read(text), "default", dry_run=True)
    report = run_import(app.services, disqus.read(text), "default")
    for run in (dry, report):
        assert run.comments_new == 2
        assert [str(p) for p in run.problems] == [
            "line 1 <post dsq:id=1>: dated 9999-12-31 23:59:59 UTC, after the import; imported with that date"]
    assert sorted(r["body"] for r in _comments(app)) == ["from the future", "ordinary"]


# --- 5. a moderator's decision stands ----------------------------------------------------------------------
def test_a_reimport_keeps_a_moderators_decision(app: Townhall) -> None:
    """Checked, not a defect: the comments a moderator rejected or approved after the import keep their state
    when the same archive is imported again."""
    text = _disqus(_post("1", "published in the archive") + _post("2", "held in the archive").replace(
        "</message>", "</message><isApproved>false</isApproved>"))
    run_import(app.services, disqus.read(text), "default")
    ids = {r["ext"]: r["id"] for r in _comments(app)}
    mod = auth("mod", role="moderator")
    with TestClient(app, raise_server_exceptions=False) as client:
        for ext, action in (("disqus:1", "reject"), ("disqus:2", "approve")):
            r = client.post(f"/api/v1/mod/comments/{ids[ext]}/decision", json={"action": action, "reason": "moderated"},
                            headers=mod)
            assert r.status_code == 200, r.text
    again = run_import(app.services, disqus.read(text), "default")
    assert again.comments_new == 0 and again.comments_existing == 2
    assert {r["ext"]: r["status"] for r in _comments(app)} == {"disqus:1": "rejected", "disqus:2": "published"}
