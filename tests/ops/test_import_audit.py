"""Regressions from the import audit: an archive's unverified addresses link no accounts across sites and hand
no sanction over; a second archive with the same ids stays in its own threads; a resumed import joins the
readers who signed in before; dates, encodings and Isso rows that cannot be read are reported and skipped (or
refused in one line), never a traceback and never silently. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, isso, wordpress
from townhall.service.importing import run_import
from townhall.store import content
from tests.fixtures_app import SSO_SECRET, auth
from tests.ops.conftest import POLICY
from tests.ops.isso_schema import ISSO_TABLES

FIXTURES = Path(__file__).parent / "fixtures"
MOD = auth("mod", role="moderator")
ANNA = "anna@example.org"  # the address of import:disqus:user:annas in the Disqus fixture


def _rows(app: Townhall, sql: str, **params: Any) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _comments(app: Townhall) -> list[dict[str, Any]]:
    return _rows(app, "SELECT c.id, c.external_id AS ext, t.external_id AS thread, c.parent_id, c.root_id, c.depth, "
                      "c.account_id, c.body FROM comments c JOIN threads t ON t.id = c.thread_id ORDER BY c.id")


def _audit(app: Townhall, action: str) -> list[dict[str, Any]]:
    rows = _rows(app, "SELECT subject_id, actor, details FROM audit_log WHERE action = :a ORDER BY id", a=action)
    for row in rows:
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


def _disqus_fixture() -> str:
    return (FIXTURES / "disqus.xml").read_text(encoding="utf-8")


# --- 1. an archive's address is vouched for by no one ------------------------------------------------------
def _installation_policy(tmp_path: Path) -> str:
    text = (resources.files("townhall.policy") / "default.policy.toml").read_text()
    policy = tmp_path / "installation.policy.toml"
    policy.write_text(text.replace('ban_scope = "site"', 'ban_scope = "installation"'))
    return str(policy)


GUEST_WXR = """<?xml version="1.0"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<item><title>P</title><link>https://blog.ex/p1/</link><wp:post_id>1</wp:post_id><wp:status>publish</wp:status>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Troll</wp:comment_author>
<wp:comment_author_email>Victim@Example.org</wp:comment_author_email>
<wp:comment_date_gmt>2015-01-01 00:00:00</wp:comment_date_gmt>
<wp:comment_content>abusive guest comment</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
<wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>
</item></channel></rss>"""


def test_an_address_typed_into_an_archive_links_no_accounts_across_sites(make_app: Any, db_url: str,
                                                                         tmp_path: Path) -> None:
    """A WordPress guest typed a real reader's address; with ``ban_scope = "installation"`` neither a ban of the
    imported account reaches the reader on the sister site, nor a ban of the reader the imported account."""
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    with app.services.db.write() as conn:
        content.insert_site(conn, id="sister", name="sister", sso_secret=SSO_SECRET, allow_guests=False,
                            auto_create_threads=True, policy_path=None, origins=[], created_at=app.services.now())
    victim = auth("victim-sub", email="victim@example.org", email_verified=True)
    with TestClient(app) as client:
        reader = client.get("/api/v1/me", params={"site": "sister"}, headers=victim).json()["id"]
        assert run_import(app.services, wordpress.read(GUEST_WXR), "default").comments_new == 1
        [imported] = _rows(app, "SELECT id, email FROM accounts WHERE subject LIKE 'import:%'")
        assert imported["email"] == "Victim@Example.org"  # kept: the address owner may claim it on this site
        r = client.post(f"/api/v1/mod/accounts/{imported['id']}/sanctions", json={"sanction": "ban", "reason": "abuse"},
                        headers=MOD)
        assert r.status_code == 201, r.text
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"}, headers=victim)
        assert r.status_code == 201, r.text  # the real reader was not banned by the archive's address
        assert _rows(app, "SELECT state FROM accounts WHERE id = :i", i=reader) == [{"state": "active"}]
        # the other way round: banning the real reader leaves the imported account alone (it was lifted first)
        r = client.post(f"/api/v1/mod/accounts/{imported['id']}/restore", json={"reason": "ok"}, headers=MOD)
        assert r.status_code == 200, r.text
        r = client.post(f"/api/v1/mod/accounts/{reader}/sanctions", params={"site": "sister"},
                        json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert r.status_code == 201, r.text
        assert _rows(app, "SELECT state FROM accounts WHERE id = :i", i=imported["id"]) == [{"state": "active"}]


def test_a_sanctioned_imported_account_is_not_handed_over(make_app: Any, db_url: str) -> None:
    """The first sign-in with the address of a banned imported account starts afresh: no ban and no history
    handed over (audited); once the ban is lifted, the next import run joins the history to the reader."""
    app = make_app(db_url, policy=POLICY)
    with TestClient(app) as client:
        run_import(app.services, disqus.read(_disqus_fixture()), "default")
        [imported] = _rows(app, "SELECT id FROM accounts WHERE subject = 'import:disqus:user:annas'")
        r = client.post(f"/api/v1/mod/accounts/{imported['id']}/sanctions", json={"sanction": "ban", "reason": "abuse"},
                        headers=MOD)
        assert r.status_code == 201, r.text
        anna = auth("sso-anna", email=ANNA, email_verified=True)
        me = client.get("/api/v1/me", headers=anna).json()
        assert me["id"] != imported["id"] and me["state"] == "active"
        assert client.post("/api/v1/threads/a/comments", json={"text": "Hello again."}, headers=anna).status_code == 201
        first = _rows(app, "SELECT account_id FROM comments WHERE external_id = 'disqus:3001'")
        assert first == [{"account_id": imported["id"]}]  # the judged history stays with the banned identity
        assert _audit(app, "import.claimed") == []
        [declined] = _audit(app, "import.claim_declined")
        assert declined["details"]["reason"] == "sanctioned" and declined["details"]["imported_accounts"] == [imported["id"]]
        again = run_import(app.services, disqus.read(_disqus_fixture()), "default")
        assert again.accounts_claimed == 0  # still banned: the reader's own account does not take it either
        r = client.post(f"/api/v1/mod/accounts/{imported['id']}/restore", json={"reason": "lifted"}, headers=MOD)
        assert r.status_code == 200, r.text
        assert run_import(app.services, disqus.read(_disqus_fixture()), "default").accounts_claimed == 1
        assert _rows(app, "SELECT account_id FROM comments WHERE external_id = 'disqus:3001'") == [{"account_id": me["id"]}]


# --- 2. the same archive id in another thread is another comment ------------------------------------------
def _wxr(host: str, comments: list[tuple[int, int, str]]) -> str:
    items = "".join(
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author>A{cid}</wp:comment_author>"
        f"<wp:comment_date_gmt>2020-01-0{cid} 00:00:00</wp:comment_date_gmt><wp:comment_content>{body}</wp:comment_content>"
        f"<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        for cid, parent, body in comments)
    return (f'<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>P</title>'
            f"<link>https://{host}/p1/</link><wp:post_id>1</wp:post_id>{items}</item></channel></rss>")


def _disqus(thread: str, posts: list[tuple[int, int | None, str]]) -> str:
    body = "".join(
        f'<post dsq:id="{pid}"><message>{text}</message><createdAt>2020-01-0{pid % 9 + 1}T00:00:00Z</createdAt>'
        f'<author><name>P{pid}</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/>'
        + (f'<parent dsq:id="{parent}"/>' if parent else "") + "</post>"
        for pid, parent, text in posts)
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><link>{thread}</link><title>T</title></thread>{body}</disqus>')


def test_a_second_blog_with_the_same_comment_ids_keeps_its_own_threads(app: Townhall) -> None:
    run_import(app.services, wordpress.read(_wxr("a.ex", [(1, 0, "A first"), (2, 1, "A reply")])), "default")
    blog_b = _wxr("b.ex", [(1, 0, "B first"), (2, 1, "B reply"), (3, 1, "B new reply to 1")])
    report = run_import(app.services, wordpress.read(blog_b), "default")
    assert report.comments_new == 3 and report.comments_existing == 0
    assert sum("imported before into another thread" in str(p) for p in report.problems) == 2
    rows = {(c["thread"], c["body"]): c for c in _comments(app)}
    assert len(rows) == 5
    b_first = rows[("https://b.ex/p1/", "B first")]
    for body in ("B reply", "B new reply to 1"):
        reply = rows[("https://b.ex/p1/", body)]
        assert reply["parent_id"] == b_first["id"] and reply["root_id"] == b_first["id"] and reply["depth"] == 1
    a_first = rows[("https://a.ex/p1/", "A first")]
    assert rows[("https://a.ex/p1/", "A reply")]["parent_id"] == a_first["id"]
    again = run_import(app.services, wordpress.read(blog_b), "default")  # still idempotent, for either blog
    assert again.comments_new == 0 and again.comments_existing == 3 and again.problems == []
    assert run_import(app.services, wordpress.read(_wxr("a.ex", [(1, 0, "A first")])), "default").comments_new == 0


def test_a_thread_exported_again_under_a_new_url_never_links_across_threads(app: Townhall) -> None:
    run_import(app.services, disqus.read(_disqus("https://ex.org/old-url", [(10, None, "original")])), "default")
    moved = _disqus("https://ex.org/new-url", [(10, None, "original"), (11, 10, "new reply")])
    dry = run_import(app.services, disqus.read(moved), "default", dry_run=True)
    report = run_import(app.services, disqus.read(moved), "default")
    assert dry.comments_new == report.comments_new == 2
    assert any("disqus:10" in str(p) and "another thread" in str(p) for p in report.problems)
    by_id = {c["id"]: c for c in _comments(app)}
    for comment in by_id.values():  # a parent and a root are always in the comment's own thread
        for ref in ("parent_id", "root_id"):
            if comment[ref] is not None:
                assert by_id[comment[ref]]["thread"] == comment["thread"], comment
    [reply] = [c for c in by_id.values() if c["ext"] == "disqus:11"]
    assert reply["thread"] == "https://ex.org/new-url" and reply["parent_id"] is not None


# --- 3. a resumed import joins the readers who signed in before ---------------------------------------------
def test_an_import_resumed_after_an_interruption_joins_readers_who_signed_in_before(app: Townhall,
                                                                                  client: TestClient) -> None:
    me = client.get("/api/v1/me", headers=auth("sso-anna", email=ANNA, email_verified=True)).json()
    archive = disqus.read(_disqus_fixture())
    total, done = archive.prepare(), 0

    def killed_before_the_end(n: int) -> None:  # every batch is committed; the run dies before what follows them
        nonlocal done
        done += n
        if done == total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(app.services, archive, "default", batch=4, progress=killed_before_the_end)
    assert _audit(app, "import.run") == [] and _audit(app, "import.claimed") == []
    again = run_import(app.services, disqus.read(_disqus_fixture()), "default")
    assert again.comments_new == 0 and again.accounts_new == 0 and again.accounts_claimed == 1
    assert _rows(app, "SELECT account_id FROM comments WHERE external_id = 'disqus:3001'") == [{"account_id": me["id"]}]
    [run] = _audit(app, "import.run")
    assert run["details"]["accounts_joined_to_readers"] == 1
    assert run_import(app.services, disqus.read(_disqus_fixture()), "default").accounts_claimed == 0  # once only
    assert len(_audit(app, "import.claimed")) == 1


# --- 4. dates out of range in UTC -------------------------------------------------------------------------
def test_dates_that_overflow_in_utc_are_reported_and_skipped(app: Townhall) -> None:
    posts = _disqus("https://ex.org/t", [(1, None, "early"), (2, None, "late"), (3, None, "fine")])
    posts = (posts.replace("2020-01-02T00:00:00Z", "0001-01-01T00:00:00+05:00", 1)
             .replace("2020-01-03T00:00:00Z", "9999-12-31T23:59:59-01:00", 1)
             .replace("<title>T</title>", "<title>T</title><createdAt>0001-01-01T00:00:00+05:00</createdAt>", 1))
    report = run_import(app.services, disqus.read(posts), "default")
    assert report.comments_new == 1 and [c["body"] for c in _comments(app)] == ["fine"]
    problems = [str(p) for p in report.problems]
    assert any("dsq:id=1" in p and "out of range" in p for p in problems)
    assert any("dsq:id=2" in p and "out of range" in p for p in problems)
    wxr = _wxr("w.ex", [(1, 0, "early"), (2, 0, "fine")]).replace("2020-01-01 00:00:00", "0001-01-01T00:00:00+05:00")
    wxr = wxr.replace("<wp:post_id>", "<wp:post_date_gmt>9999-12-31T23:59:59-01:00</wp:post_date_gmt><wp:post_id>")
    report = run_import(app.services, wordpress.read(wxr), "default")
    assert report.comments_new == 1
    assert any("comment_id=1" in str(p) and "out of range" in str(p) for p in report.problems)


# --- 5. and 8. the declared encoding ---------------------------------------------------------------------
def _cli(app: Townhall, *args: str) -> Any:
    return CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["import", *args, "--db", app.settings.resolved_database_url, "--json"])


@pytest.mark.parametrize("codec", ["zlib", "base64", "hex", "bz2", "uu", "rot13", "idna"])
def test_a_declared_codec_that_is_not_a_text_encoding_is_refused_in_one_line(app: Townhall, tmp_path: Path,
                                                                              codec: str) -> None:
    for kind, text in (("disqus", _disqus("https://ex.org/t", [(1, None, "hi")])), ("wordpress", _wxr("w.ex", [(1, 0, "hi")]))):
        path = tmp_path / f"{kind}.xml"
        path.write_bytes(text.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{codec}"?>').encode())
        done = _cli(app, kind, str(path))
        assert done.exit_code == 1 and isinstance(done.exception, SystemExit), done.output
        assert done.output.strip().splitlines() == [f"Error: {path}: unsupported encoding {codec!r} in the XML "
                                                    "declaration: not a character set a file is written in"]
    assert _comments(app) == []


def test_bytes_the_declared_encoding_cannot_decode_are_counted_and_reported(app: Townhall, tmp_path: Path) -> None:
    text = _disqus("https://ex.org/t", [(1, None, "LATIN-1"), (2, None, "a real \ufffd stays unreported")])
    path = tmp_path / "latin1.xml"  # declares UTF-8 (by default), holds Latin-1 bytes
    path.write_bytes(text.encode("utf-8").replace(b"LATIN-1", "Zo\xeb Caf\xe9".encode("latin-1")))
    done = _cli(app, "disqus", str(path))
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["comments_new"] == 2
    assert report["problems"] == ["file: 2 character(s) could not be decoded as utf-8 and were replaced with U+FFFD "
                                  "(the first at line 1); is the declared encoding right?"]
    assert sorted(c["body"] for c in _comments(app)) == ["Zo\ufffd Caf\ufffd", "a real \ufffd stays unreported"]
    good = tmp_path / "good.xml"  # a U+FFFD written in the file is text, not a decoding error
    good.write_bytes(text.encode("utf-8"))
    archive = disqus.read_file(good)
    assert archive.problems == []
    archive.close()


# --- 6. and 7. Isso -----------------------------------------------------------------------------------------
def _isso(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(ISSO_TABLES + """
        INSERT INTO threads VALUES (1, '/post/', 'Post'), (2, CAST(x'2f62ff2f' AS TEXT), 'Bad uri');
        INSERT INTO comments (tid, id, parent, created, mode, text, author, email, voters) VALUES
            (1, 1, NULL, 1690000000, 1, 'First', 'Kim', NULL, x''),
            (1, 2, NULL, 1690000100, 1, CAST(x'43616ff9' AS TEXT), 'Lee', NULL, x''),
            (1, 3, NULL, 1690000200, 1, 'Third', 'Max', NULL, x''),
            (2, 4, NULL, 1690000300, 1, 'On the thread with a bad uri', 'Max', NULL, x'');
    """)
    conn.commit()
    conn.close()


def test_an_isso_row_that_is_not_utf8_is_reported_and_skipped(app: Townhall, tmp_path: Path) -> None:
    _isso(tmp_path / "isso.db")
    report = run_import(app.services, isso.read(tmp_path / "isso.db"), "default")
    assert report.comments_new == 2 and sorted(c["body"] for c in _comments(app)) == ["First", "Third"]
    problems = [str(p) for p in report.problems]
    assert "comments row id=2: not valid UTF-8 in column(s) text; skipped" in problems
    assert any("threads row id=2" in p and "not valid UTF-8" in p for p in problems)
    assert any("comments row id=4" in p and "unknown thread" in p for p in problems)


@pytest.mark.parametrize("name", ["comments#old.db", "q?x.db", "100%25.db"])
def test_an_isso_path_with_uri_characters_opens_that_file_read_only(app: Townhall, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "isso"
    folder.mkdir()
    _isso(folder / name)
    before = (folder / name).read_bytes()
    done = _cli(app, "isso", str(folder / name))
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["comments_new"] == 2
    assert sorted(p.name for p in folder.iterdir()) == [name]  # no stray file beside it
    assert (folder / name).read_bytes() == before
