"""Importing Disqus, WordPress and Isso archives: structure, authors, states, problems, idempotence."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, wordpress
from townhall.service.importing import run_import
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.isso_schema import ISSO_TABLES

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(app: Townhall, sql: str, **params: Any) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _comment(app: Townhall, ext: str) -> dict[str, Any]:
    rows = _rows(app, "SELECT c.*, a.subject, a.display_name, a.email, t.external_id AS thread FROM comments c "
                      "JOIN accounts a ON a.id = c.account_id JOIN threads t ON t.id = c.thread_id WHERE c.external_id = :e", e=ext)
    assert len(rows) == 1, ext
    return rows[0]


def test_disqus_import_keeps_structure_states_and_reports_problems(app: Townhall) -> None:
    archive = disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8"))
    dry = run_import(app.services, archive, "default", dry_run=True)
    assert _rows(app, "SELECT id FROM comments") == []  # a dry run changes nothing
    assert dry.comments_new == 9 and dry.threads_new == 2 and dry.accounts_new == 6

    archive = disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8"))
    ticks: list[int] = []
    report = run_import(app.services, archive, "default", progress=ticks.append, batch=4)
    assert sum(ticks) == 9 and len(ticks) == 3
    assert report.to_dict()["comments_new"] == dry.comments_new
    problems = [str(p) for p in report.problems]
    assert any("line 126" in p and "malformed XML at line 133" in p for p in problems)
    assert any("dsq:id=3009" in p and "createdAt" in p for p in problems)
    assert any("dsq:id=3010" in p and "unknown thread" in p for p in problems)

    # reply structure: 3001 <- 3002 <- 3005 <- 3006 <- 3007, although 3005 came first in the file
    chain = [_comment(app, f"disqus:{i}") for i in ("3001", "3002", "3005", "3006", "3007")]
    assert [c["depth"] for c in chain] == [0, 1, 2, 3, 4]
    for parent, child in zip(chain, chain[1:]):
        assert child["parent_id"] == parent["id"] and child["root_id"] == chain[0]["id"]
    first = chain[0]
    assert first["thread"] == "russia-syria-drawdown"
    assert first["body"].startswith("A measured move.") and "\n\nSecond paragraph & a link (https://example.org/analysis)." in first["body"]
    assert str(first["created_at"]).startswith("2016-03-14 18:30")
    assert first["subject"] == "import:disqus:user:annas" and first["display_name"] == "Anna Schmidt"
    assert chain[1]["display_name"] == "Иван Петров" and "🤔" in chain[1]["body"]
    assert _comment(app, "disqus:3003")["status"] == "rejected"
    assert _comment(app, "disqus:3004")["status"] == "deleted"
    cafe = _comment(app, "disqus:3011")
    assert cafe["status"] == "held" and cafe["thread"] == "https://gazette.example/culture/café-reviews"
    closed = _rows(app, "SELECT state, title FROM threads WHERE external_id = :e", e=cafe["thread"])[0]
    assert closed == {"state": "closed", "title": "Zürich's best cafés — reviewed"}

    # the house rules judged every text in report-only mode; the archive's status was kept
    angry = _comment(app, "disqus:3012")
    assert angry["status"] == "published"
    decisions = _rows(app, "SELECT source, verdict FROM decisions WHERE comment_id = :c", c=angry["id"])
    assert decisions == [{"source": "import", "verdict": "reject"}]
    assert report.policy["reject"] >= 1 and any(e["id"] == "3012" for e in report.policy_examples)
    assert len(_rows(app, "SELECT id FROM decisions WHERE source = 'import'")) == 9

    # idempotent: running again adds nothing
    again = run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    assert again.comments_new == 0 and again.comments_existing == 9 and again.threads_new == 0 and again.accounts_new == 0
    assert len(_rows(app, "SELECT id FROM comments")) == 9


def test_import_resumes_after_an_interruption(app: Townhall) -> None:
    text = (FIXTURES / "wordpress.xml").read_text(encoding="utf-8")
    archive = wordpress.read(text)
    calls = 0

    def stop_after_first_batch(_n: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt

    try:
        run_import(app.services, archive, "default", batch=2, progress=stop_after_first_batch)
    except KeyboardInterrupt:
        pass
    assert len(_rows(app, "SELECT id FROM comments")) == 2  # the first batch was committed
    rest = run_import(app.services, wordpress.read(text), "default", batch=2)
    assert rest.comments_existing == 2 and rest.comments_new == 4
    reply = _comment(app, "wordpress:103")
    assert reply["depth"] == 2 and reply["status"] == "held"
    assert _comment(app, "wordpress:102")["subject"] == "import:wordpress:user:gazette.example:7"
    assert _comment(app, "wordpress:104")["status"] == "rejected"
    assert _comment(app, "wordpress:302")["status"] == "deleted"
    assert _comment(app, "wordpress:301")["body"] == "素晴らしい記事です。\n\nThanks — lovely."
    assert not _rows(app, "SELECT id FROM comments WHERE external_id = 'wordpress:105'")  # pingback skipped
    assert any("line 101" in str(p) and "malformed" in str(p) for p in rest.problems)


def _isso_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(ISSO_TABLES + """
        CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
        INSERT INTO threads VALUES (1, '/2023/isso-post/', 'Isso post'), (2, '/empty/', NULL);
        INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author, email, voters) VALUES
            (1, 1, NULL, 1690000000.5, 1, '127.0.0.0', 'First! *markdown*', 'Kim', 'kim@example.org', x''),
            (1, 2, 1, 1690000100.0, 1, '127.0.0.0', 'Reply to Kim', NULL, NULL, x''),
            (1, 3, 2, 1690000200.0, 2, '127.0.0.0', 'Waiting for moderation', 'Kim', 'KIM@example.org', x''),
            (1, 4, NULL, 1690000300.0, 4, '127.0.0.0', '', 'Gone', NULL, x''),
            (7, 5, NULL, 1690000400.0, 1, '127.0.0.0', 'Orphan', 'X', NULL, x''),
            (1, 6, 99, 1690000500.0, 1, '127.0.0.0', 'Parent missing', 'Y', NULL, x'');
    """)
    conn.commit()
    conn.close()


def test_isso_import_through_the_cli(app: Townhall, tmp_path: Path) -> None:
    _isso_db(tmp_path / "isso.db")
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    args = ["import", "isso", str(tmp_path / "isso.db"), "--db", app.settings.database_url, "--json"]
    dry = runner.invoke(build_cli(), [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] and report["comments_new"] == 5 and report["statuses"] == {"published": 3, "held": 1, "deleted": 1}
    assert any("id=5" in p and "unknown thread" in p for p in report["problems"])
    assert any("id=6" in p and "not in the archive" in p for p in report["problems"])
    assert _rows(app, "SELECT id FROM comments") == []
    done = runner.invoke(build_cli(), args)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["comments_new"] == 5
    held = _comment(app, "isso:3")
    assert held["status"] == "held" and held["depth"] == 2 and held["thread"] == "/2023/isso-post/"
    assert held["account_id"] == _comment(app, "isso:1")["account_id"]  # same e-mail, same author
    assert _comment(app, "isso:6")["parent_id"] is None
    human = runner.invoke(build_cli(), args[:-1])
    said = " ".join(human.stdout.split())
    assert human.exit_code == 0 and ": 0 comments" in said and "5 of 5 comments were already imported" in said


def test_sso_sign_in_claims_imported_account_by_email(app: Townhall, client: Any) -> None:
    run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    before = _comment(app, "disqus:3001")
    r = client.get("/api/v1/me", headers=auth("sso-anna", name="Anna S.", email="anna@EXAMPLE.org"))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == before["account_id"]
    assert _comment(app, "disqus:3001")["subject"] == "sso-anna"
    other = client.get("/api/v1/me", headers=auth("sso-nobody", email="nobody@example.org"))
    assert other.json()["id"] != before["account_id"]


def test_a_file_that_is_not_an_isso_database_is_refused_plainly(app: Townhall, tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("these are my notes, not a database")
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    out = runner.invoke(build_cli(), ["import", "isso", str(tmp_path / "notes.db"), "--db", app.settings.database_url])
    assert out.exit_code == 1 and "notes.db" in out.output and "Traceback" not in out.output
    assert _rows(app, "SELECT id FROM comments") == []


NESTED_REFERENCES = """<?xml version="1.0" encoding="ISO-8859-1"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="1"><forum>gazette</forum><title>General</title></category>
  <thread dsq:id="2001"><id>article-one</id><link>https://gazette.example/article-one</link>
    <title>One</title><category dsq:id="1"></category><createdAt>2016-03-14T18:00:00Z</createdAt></thread>
  <post dsq:id="3001"><message><![CDATA[<p>Caf\xe9 Z\xfcrich</p>]]></message><createdAt>2016-03-14T18:30:00Z</createdAt>
    <author><name>Anna</name><isAnonymous>true</isAnonymous></author><thread dsq:id="2001"></thread></post>
  <post dsq:id="3002"><message><![CDATA[<p>Second</p>]]></message><createdAt>2016-03-14T18:40:00Z</createdAt>
    <author><name>Bob</name><isAnonymous>true</isAnonymous></author><thread dsq:id="2001"/></post>
</disqus>
"""


def test_disqus_references_written_open_and_a_declared_charset(app: Townhall, tmp_path: Path) -> None:
    """Disqus may write a post's thread (or a thread's category) as an element with a closing tag; it is a
    reference, not a record. And the file is read in the encoding its XML declaration names."""
    path = tmp_path / "latin1.xml"
    path.write_bytes(NESTED_REFERENCES.encode("latin-1"))
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    done = runner.invoke(build_cli(), ["import", "disqus", str(path), "--db", app.settings.resolved_database_url, "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output[done.output.index("{"):])
    assert report["comments_new"] == 2 and report["problems"] == [], report
    for ext in ("disqus:3001", "disqus:3002"):
        assert _comment(app, ext)["thread"] == "article-one"
    assert _comment(app, "disqus:3001")["body"] == "Café Zürich"


def test_wordpress_comments_on_a_post_that_is_not_public_stay_out_of_sight(app: Townhall) -> None:
    """A draft, private or trashed post's comments were never public; they are imported held, and said so."""
    text = (FIXTURES / "wordpress.xml").read_text(encoding="utf-8")
    private = text.replace("<wp:status><![CDATA[publish]]></wp:status>", "<wp:status><![CDATA[private]]></wp:status>", 1)
    assert private != text
    report = run_import(app.services, wordpress.read(private), "default")
    assert _comment(app, "wordpress:102")["status"] == "held"  # approved, on the now private post
    assert _comment(app, "wordpress:104")["status"] == "rejected"  # spam stays spam
    assert _comment(app, "wordpress:301")["status"] == "published"  # another post, public
    assert any("'private'" in str(p) and "imported as held" in str(p) for p in report.problems)


def test_imported_threads_keyed_by_a_permalink_are_reachable_through_the_api(app: Townhall, client: Any) -> None:
    """A WordPress post's permalink (Isso's path, a Disqus <link>) is the thread id the widget uses: slashes and
    all, percent-encoded in the URL. Reading, posting and closing reach the imported thread."""
    from urllib.parse import quote

    run_import(app.services, wordpress.read((FIXTURES / "wordpress.xml").read_text(encoding="utf-8")), "default")
    key = "https://gazette.example/2024/05/budget-vote/"
    url = f"/api/v1/threads/{quote(key, safe='')}"
    page = client.get(f"{url}/comments")
    assert page.status_code == 200, page.text
    assert page.json()["thread"]["id"] == key and page.json()["comments"]
    posted = client.post(f"{url}/comments", json={"text": "A new comment under the old post."}, headers=auth("reader"))
    assert posted.status_code == 201, posted.text
    assert _comment_thread(app, posted.json()["comment"]["id"]) == key  # the imported thread, not a new one
    closed = client.put(f"/api/v1/mod{url[len('/api/v1'):]}/state", json={"state": "closed"},
                        headers=auth("mod", role="moderator"))
    assert closed.status_code == 200, closed.text
    late = client.post(f"{url}/comments", json={"text": "Too late?"}, headers=auth("reader"))
    assert late.status_code == 422 and late.json()["error"]["code"] == "rejected_by_house_rules"  # closed
    assert client.get("/api/v1/threads//comments").status_code == 422  # still no empty thread id


def _comment_thread(app: Townhall, comment_id: int) -> str:
    rows = _rows(app, "SELECT t.external_id FROM comments c JOIN threads t ON t.id = c.thread_id WHERE c.id = :i", i=comment_id)
    return str(rows[0]["external_id"])
