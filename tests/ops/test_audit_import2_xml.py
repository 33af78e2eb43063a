"""Second import audit, XML side: what an archive's XML may hold beyond what Disqus and WordPress write today.

* A named HTML entity (``&rsquo;``, ``&nbsp;``, ``&mdash;``, ``&eacute;``) outside CDATA — what hand-made exports,
  converters and older exporters write in titles and messages — is read as its character. Before, the
  record failed to parse ("undefined entity"): a Disqus thread was skipped and with it every one of its posts.
* A message or comment whose HTML is written as XML elements (``Hello <b>world</b>, more``) rather than
  escaped or in CDATA is imported whole. Before, only the text before the first element was kept, and
  nothing was reported.
* Entity expansion (billion laughs) and external entities (XXE) in the file's DTD stay refused record by
  record, in bounded time, and no file's content is read (a guard: this already held).

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, wordpress
from townhall.service.importing import run_import
from tests.ops.conftest import POLICY

DISQUS_NS = 'xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals"'


def _comments(app: Townhall) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT c.external_id AS ext, t.external_id AS thread, t.title, c.body, c.html FROM comments c "
            "JOIN threads t ON t.id = c.thread_id ORDER BY c.external_id")).mappings()]


def _disqus(title: str, *messages: str, doctype: str = "") -> str:
    posts = "".join(
        f'<post dsq:id="{10 + n}"><message>{message}</message><createdAt>2016-01-01T01:0{n}:00Z</createdAt>'
        f'<author><name>Ann</name><email>ann@example.org</email><isAnonymous>true</isAnonymous></author>'
        f'<thread dsq:id="1"/></post>\n'
        for n, message in enumerate(messages))
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}<disqus {DISQUS_NS}>\n'
            f'<thread dsq:id="1"><id>art-1</id><link>https://news.example/a</link><title>{title}</title>'
            f'<createdAt>2016-01-01T00:00:00Z</createdAt></thread>\n{posts}</disqus>\n')


def _wxr(title: str, *contents: str) -> str:
    comments = "".join(
        f"<wp:comment><wp:comment_id>{100 + n}</wp:comment_id><wp:comment_author>Bo</wp:comment_author>"
        f"<wp:comment_date_gmt>2015-01-01 00:0{n}:00</wp:comment_date_gmt><wp:comment_content>{content}"
        f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent>"
        f"</wp:comment>\n"
        for n, content in enumerate(contents))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
            f"<channel>\n<item><title>{title}</title><link>https://blog.example/p1/</link><wp:post_id>1</wp:post_id>"
            f"<wp:status>publish</wp:status>\n{comments}</item>\n</channel></rss>\n")


# --- named HTML entities ----------------------------------------------------------------------------------
def test_a_named_html_entity_in_a_disqus_title_keeps_the_thread_and_its_posts(app: Townhall) -> None:
    text = _disqus("Don&rsquo;t panic&nbsp;&mdash; caf&eacute; &amp; more",
                   "<![CDATA[<p>First</p>]]>", "Second&hellip; &laquo;quoted&raquo;")
    report = run_import(app.services, disqus.read(text), "default")
    assert [str(p) for p in report.problems] == []
    rows = _comments(app)
    assert [r["ext"] for r in rows] == ["disqus:10", "disqus:11"]
    assert rows[0]["title"] == "Don’t panic — café & more"  # the no-break space is a space in a title
    assert rows[1]["body"] == "Second… «quoted»"


def test_a_named_html_entity_in_a_wordpress_item_keeps_its_comments(app: Townhall) -> None:
    text = _wxr("Caf&eacute; society", "Tr&egrave;s bien&nbsp;!", "<![CDATA[Literal &eacute; in CDATA]]>")
    report = run_import(app.services, wordpress.read(text), "default")
    assert [str(p) for p in report.problems] == []
    rows = _comments(app)
    assert [(r["title"], r["body"]) for r in rows] == [("Café society", "Très bien\xa0!"),
                                                        ("Café society", "Literal é in CDATA")]


def test_an_unknown_entity_still_skips_its_record_and_says_so(app: Townhall) -> None:
    """Only HTML's own names are read: ``&nosuchthing;`` is still malformed XML, reported with its line."""
    report = run_import(app.services, disqus.read(_disqus("T", "ok &nosuchthing; here", "fine")), "default")
    problems = [str(p) for p in report.problems]
    assert any("<post>" in p and "undefined entity" in p for p in problems), problems
    assert [r["ext"] for r in _comments(app)] == ["disqus:11"]


# --- markup written as XML elements -------------------------------------------------------------------------
def test_markup_written_as_elements_in_a_disqus_message_is_imported_whole(app: Townhall) -> None:
    text = _disqus("T", 'Hello <b>world</b>, more <i>text</i> after.<p>Second <a href="https://ex.org/x">link</a></p>')
    report = run_import(app.services, disqus.read(text), "default")
    assert [str(p) for p in report.problems] == []
    (row,) = _comments(app)
    assert row["body"] == "Hello world, more text after.\n\nSecond link (https://ex.org/x)"
    assert "<b>" not in row["html"] and 'href="https://ex.org/x"' in row["html"]


def test_markup_written_as_elements_in_a_wordpress_comment_is_imported_whole(app: Townhall) -> None:
    text = _wxr("T", "Agreed <em>entirely</em>.<br/>Next line &amp; <strong>bold</strong> end")
    report = run_import(app.services, wordpress.read(text), "default")
    assert [str(p) for p in report.problems] == []
    (row,) = _comments(app)
    assert row["body"] == "Agreed entirely.\nNext line & bold end"


def test_script_and_handlers_written_as_elements_never_reach_readers(app: Townhall) -> None:
    text = _disqus("T", 'Hi <script>alert(1)</script><img src="x" onerror="alert(2)"/>'
                        '<a href="javascript:alert(3)">click</a> <a href="https://ok.example/">ok</a>')
    run_import(app.services, disqus.read(text), "default")
    (row,) = _comments(app)
    assert row["body"].startswith("Hi")
    for bad in ("<script", "onerror", "javascript:", "<img"):
        assert bad not in row["html"], (bad, row["html"])
    assert 'href="https://ok.example/"' in row["html"]


def test_deeply_nested_elements_in_a_message_are_read_in_bounded_time(app: Townhall) -> None:
    nested = "<div>" * 50_000 + "deep text" + "</div>" * 50_000
    started = time.monotonic()
    report = run_import(app.services, disqus.read(_disqus("T", "Before " + nested)), "default")
    assert time.monotonic() - started < 60
    assert [str(p) for p in report.problems] == []
    (row,) = _comments(app)
    assert row["body"].replace("\n", " ").split() == ["Before", "deep", "text"]


# --- entity expansion and external entities (guard) ----------------------------------------------------------
LAUGHS = ('<!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8)) + "]>\n")


def test_entity_expansion_and_external_entities_are_refused_by_record(app: Townhall, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    xxe = f'<!DOCTYPE disqus [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY y SYSTEM "http://127.0.0.1:9/x">]>\n'
    for doctype, used in ((LAUGHS, "&i;"), (xxe, "&x;"), (xxe, "&y;")):
        path = tmp_path / "attack.xml"
        path.write_text(_disqus("T", f"boom {used}", "kept", doctype=doctype), encoding="utf-8")
        started = time.monotonic()
        out = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
            build_cli(), ["import", "disqus", str(path), "--json", "--db", app.services.settings.resolved_database_url])
        assert time.monotonic() - started < 30
        assert out.exit_code == 0, out.output
        assert "undefined entity" in out.output and "TOP-SECRET" not in out.output
    rows = _comments(app)
    assert [r["ext"] for r in rows] == ["disqus:11"]
    assert all("TOP-SECRET" not in r["body"] and "aaaa" not in r["body"] for r in rows)
