"""Second import audit, WordPress side.

* An export that declares ``ISO-8859-1`` (an old blog's charset: WordPress writes the blog's charset into the
  declaration) holds what browsers sent to such a blog: windows-1252, whose curly quotes, dashes and ellipsis
  sit on bytes 0x80–0x9F. Read as ISO-8859-1 they became invisible C1 control characters in readers' text
  (``Don\\x92t``), silently; they are read as windows-1252, as browsers and the WHATWG encoding standard read
  that label.
* Readers' comments on a media (attachment) page — WordPress gives each uploaded image a page where readers
  may comment — were dropped without a word: not imported, not reported, not counted. They are imported
  into a thread for that page, public as the post the media belongs to is.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import wordpress
from townhall.service.importing import run_import
from tests.ops.conftest import POLICY


def _comments(app: Townhall) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT c.external_id AS ext, t.external_id AS thread, t.title, c.body, c.html, a.display_name AS name "
            "FROM comments c JOIN threads t ON t.id = c.thread_id JOIN accounts a ON a.id = c.account_id "
            "ORDER BY c.external_id")).mappings()]


def _comment(cid: int, text: str, author: str = "Bo") -> str:
    return (f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author>{author}</wp:comment_author>"
            f"<wp:comment_date_gmt>2015-01-01 00:00:0{cid % 10}</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
            f"<wp:comment_parent>0</wp:comment_parent></wp:comment>\n")


def _wxr(items: str, encoding: str = "UTF-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
            f'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n{items}</channel>\n</rss>\n')


def test_an_iso_8859_1_export_reads_windows_1252_punctuation(app: Townhall, tmp_path: Path) -> None:
    item = ("<item><title>Caf\xe9 \x93news\x94</title><link>https://blog.example/p/</link><wp:post_id>8</wp:post_id>"
            "<wp:status>publish</wp:status>\n" + _comment(2, "Don\x92t \x96 na\xefve\x85 \x80 5", author="Ren\xe9")
            + "</item>\n")
    path = tmp_path / "old-blog.xml"
    path.write_bytes(_wxr(item, encoding="ISO-8859-1").encode("latin-1"))
    out = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["import", "wordpress", str(path), "--json", "--db", app.services.settings.resolved_database_url])
    assert out.exit_code == 0, out.output
    (row,) = _comments(app)
    assert row["body"] == "Don’t – naïve… € 5"
    assert row["title"] == "Café “news”" and row["name"] == "René"
    assert not any("\x80" <= ch <= "\x9f" for ch in row["body"] + row["html"] + row["title"])


def test_a_genuine_iso_8859_1_export_reads_as_before(app: Townhall, tmp_path: Path) -> None:
    """Bytes 0xA0–0xFF are the same characters in both; a byte windows-1252 leaves undefined is counted and
    reported, as any byte the encoding cannot read."""
    item = ("<item><title>\xc0 la carte</title><link>https://blog.example/q/</link><wp:post_id>9</wp:post_id>"
            "<wp:status>publish</wp:status>\n" + _comment(3, "\xbfQu\xe9 tal? \xa9 2015 \x81") + "</item>\n")
    path = tmp_path / "latin1.xml"
    path.write_bytes(_wxr(item, encoding="iso-8859-1").encode("latin-1"))
    report = run_import(app.services, wordpress.read_file(path), "default")
    problems = [str(p) for p in report.problems]
    assert len(problems) == 1 and "1 character(s) could not be decoded" in problems[0], problems
    (row,) = _comments(app)
    assert row["title"] == "À la carte" and row["body"] == "¿Qué tal? © 2015 \ufffd"


def test_comments_on_a_media_page_are_imported_not_dropped(app: Townhall) -> None:
    """A media page is as public as the post it belongs to: comments on the page of an image in a draft are held
    (and reported), as the draft's own comments are."""
    items = ("<item><title>Photo walk</title><link>https://blog.example/2015/harbour/</link><wp:post_id>6</wp:post_id>"
             "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n" + _comment(3, "Great walk") + "</item>\n"
             "<item><title>Harbour at dawn</title><link>https://blog.example/2015/harbour/dawn-jpg/</link>"
             "<wp:post_id>7</wp:post_id><wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type>"
             "<wp:post_parent>6</wp:post_parent>\n" + _comment(1, "Lovely photo!") + _comment(2, "Which lens?")
             + "</item>\n"
             # an attachment without comments makes no thread
             "<item><title>map.png</title><link>https://blog.example/map-png/</link><wp:post_id>9</wp:post_id>"
             "<wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type></item>\n"
             "<item><title>Draft</title><link>https://blog.example/?p=11</link><wp:post_id>11</wp:post_id>"
             "<wp:status>draft</wp:status><wp:post_type>post</wp:post_type></item>\n"
             "<item><title>draft.jpg</title><link>https://blog.example/?attachment_id=12</link><wp:post_id>12</wp:post_id>"
             "<wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type><wp:post_parent>11</wp:post_parent>\n"
             + _comment(4, "Seen early") + "</item>\n")
    report = run_import(app.services, wordpress.read(_wxr(items)), "default")
    assert report.total == 4 and report.comments_new == 4 and report.threads_new == 3
    assert [str(p) for p in report.problems] == [
        "line 13 <item wp:post_id=12>: the post's status is 'draft'; its 1 comment(s) imported as held"]
    with app.services.db.read() as conn:
        status = {str(r[0]): str(r[1]) for r in conn.execute(sa.text("SELECT external_id, status FROM comments"))}
    assert status == {"wordpress:1": "published", "wordpress:2": "published", "wordpress:3": "published",
                      "wordpress:4": "held"}
    rows = _comments(app)
    assert [(r["ext"], r["thread"], r["title"]) for r in rows] == [
        ("wordpress:1", "https://blog.example/2015/harbour/dawn-jpg/", "Harbour at dawn"),
        ("wordpress:2", "https://blog.example/2015/harbour/dawn-jpg/", "Harbour at dawn"),
        ("wordpress:3", "https://blog.example/2015/harbour/", "Photo walk"),
        ("wordpress:4", "https://blog.example/?attachment_id=12", "draft.jpg")]
