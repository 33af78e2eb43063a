"""Importing in bounded memory: the XML file is decoded and scanned piece by piece and the comments wait in
a spool file, not in memory. Whatever the size of the pieces — a record, a tag or a character cut between
two of them — the import is the same as reading the file whole: same comments, same problems, same lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, wordpress
from townhall.service.importers.model import Archive
from townhall.service.importers.xmlrecords import file_chunks, records
from townhall.service.importing import run_import
from tests.ops.conftest import POLICY

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def _rows(app: Townhall, sql: str, **params: Any) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _contents(archive: Archive) -> tuple[list[str], list[tuple[Any, ...]]]:
    """An archive's problems and its comments in writing order, with their depths."""
    with archive:
        archive.prepare()
        comments = [(c.external_id, c.thread_key, c.parent_external_id, c.author, c.text, c.created_at, c.status,
                     c.position, depth) for batch in archive.batches(3) for c, depth in batch]
        return [str(p) for p in archive.problems], comments


def test_any_piece_size_reads_the_same_as_the_whole_file(tmp_path: Path) -> None:
    """Pieces of 1 byte cut every multi-byte character (Cyrillic, emoji, ü) and every record and tag."""
    for name, reader in (("disqus.xml", disqus.read), ("wordpress.xml", wordpress.read)):
        path = FIXTURES / name
        whole = _contents(reader(path.read_text(encoding="utf-8")))
        assert whole[1] and whole[0]
        for size in (1, 2, 3, 7, 64, 333, 4096):
            assert _contents(reader(file_chunks(path, chunk_bytes=size))) == whole, (name, size)
    chain = [c for c in whole[1] if c[0] == "301"]  # WordPress: 素晴らしい記事です。
    assert chain[0][4] == "素晴らしい記事です。\n\nThanks — lovely."


def test_a_utf16_export_and_a_long_one_report_the_same_lines(app: Townhall, tmp_path: Path) -> None:
    """A UTF-16 file (its byte-order mark wins over the declaration) read through the CLI; then the same
    export with 1.5 MB of padding before the posts: the malformed record, beyond the first piece read, is
    reported at its own line."""
    text = (FIXTURES / "disqus.xml").read_text(encoding="utf-8")
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(text.encode("utf-16"))
    args = ["import", "disqus", "--db", app.settings.database_url, "--json", "--dry-run"]
    done = runner.invoke(build_cli(), [*args[:2], str(utf16), *args[2:]])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["comments_new"] == 9 and report["threads_new"] == 2
    assert any("line 126" in p and "malformed XML at line 133" in p for p in report["problems"])

    padding = "  <!-- " + "padding line\n" * 120_000 + " -->\n"
    long = tmp_path / "long.xml"
    long.write_text(text.replace("  <thread dsq:id=\"2001\">", padding + "  <thread dsq:id=\"2001\">", 1), encoding="utf-8")
    assert long.stat().st_size > 1_500_000
    shift = padding.count("\n")
    done = runner.invoke(build_cli(), [*args[:2], str(long), *args[2:-1]])  # not a dry run
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["comments_new"] == 9
    assert any(f"line {126 + shift}" in p and f"malformed XML at line {133 + shift}" in p for p in report["problems"])
    assert any(f"line {134 + shift} <post dsq:id=3009>" in p and "createdAt" in p for p in report["problems"])
    cafe = _rows(app, "SELECT body FROM comments WHERE external_id = 'disqus:3002'")
    assert cafe[0]["body"] == "Пожалуй, соглашусь — but who verifies it? 🤔"


REPLIES = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <post dsq:id="10"><message>early reply</message><createdAt>2020-01-01T10:05:00Z</createdAt>
    <author><name>A</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/><parent dsq:id="11"/></post>
  <post dsq:id="12"><message>bad date, thread later</message><createdAt>never</createdAt>
    <author><name>A</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post>
  <post dsq:id="13"><message>no such thread</message><createdAt>2020-01-01T10:00:00Z</createdAt>
    <author><name>A</name><isAnonymous>true</isAnonymous></author><thread dsq:id="404"/></post>
  <thread dsq:id="1"><id>t-one</id><link>https://gazette.example/one</link></thread>
  <thread dsq:id="2"><id>t-two</id></thread>
  <post dsq:id="11"><message>root</message><createdAt>2020-01-01T10:00:00Z</createdAt>
    <author><name>B</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post>
  <post dsq:id="11"><message>duplicate</message><createdAt>2020-01-01T10:00:00Z</createdAt>
    <author><name>B</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post>
  <post dsq:id="20"><message>cycle one</message><createdAt>2020-01-01T11:00:00Z</createdAt>
    <author><name>C</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/><parent dsq:id="21"/></post>
  <post dsq:id="21"><message>cycle two</message><createdAt>2020-01-01T11:01:00Z</createdAt>
    <author><name>C</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/><parent dsq:id="20"/></post>
  <post dsq:id="22"><message>below the cycle</message><createdAt>2020-01-01T11:02:00Z</createdAt>
    <author><name>C</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/><parent dsq:id="21"/></post>
  <post dsq:id="30"><message>other thread's parent</message><createdAt>2020-01-01T12:00:00Z</createdAt>
    <author><name>D</name><isAnonymous>true</isAnonymous></author><thread dsq:id="2"/><parent dsq:id="11"/></post>
  <post dsq:id="31"><message>missing parent</message><createdAt>2020-01-01T12:00:00Z</createdAt>
    <author><name>D</name><isAnonymous>true</isAnonymous></author><thread dsq:id="2"/><parent dsq:id="99"/></post>
</disqus>
"""


def test_reply_structure_is_checked_in_the_spool(app: Townhall, tmp_path: Path) -> None:
    """Posts before their thread, duplicates, a reply cycle, parents missing or in another thread: each is
    reported once, by position, and the rest is written parents first. The spool never has a name on disk."""
    spool = tmp_path / "spool"
    spool.mkdir()
    for dry_run in (True, False):
        with disqus.read(REPLIES, spool_dir=spool) as archive:
            assert not list(spool.iterdir())  # unlinked once open: nothing is left, however the process ends
            report = run_import(app.services, archive, "default", dry_run=dry_run, batch=2)
        assert not list(spool.iterdir())
        assert report.comments_new == 7 and report.total == 7 and report.threads_new == 2
        problems = [str(p) for p in report.problems]
        assert problems == [
            "line 5 <post dsq:id=12>: bad createdAt: Invalid isoformat string: 'never'; skipped",
            "line 7 <post dsq:id=13>: refers to unknown thread '404'; skipped",
            "line 13 <post dsq:id=11>: duplicate id '11'; the first one is kept",
            "line 21 <post dsq:id=30>: replies to a comment of another thread; imported as top-level",
            "line 23 <post dsq:id=31>: replies to comment '99', which is not in the archive; imported as top-level",
            "line 15 <post dsq:id=20>: reply cycle in the archive; imported as top-level",
        ], problems
    rows = {r["external_id"]: r for r in _rows(app, "SELECT id, external_id, parent_id, root_id, depth, body FROM comments")}
    assert rows["disqus:10"]["parent_id"] == rows["disqus:11"]["id"] and rows["disqus:11"]["body"] == "root"
    assert [rows[f"disqus:{i}"]["depth"] for i in (20, 21, 22, 30, 31)] == [0, 1, 2, 0, 0]
    assert rows["disqus:22"]["root_id"] == rows["disqus:20"]["id"]
    again = run_import(app.services, disqus.read(REPLIES), "default")
    assert again.comments_new == 0 and again.comments_existing == 7


def test_a_record_that_is_never_closed_is_not_held_whole() -> None:
    """A <thread> left open swallows what follows until its end tag (as before); past the limit its text is
    no longer held, and it is reported; the records after it are read."""
    body = "".join(f'<post dsq:id="{i}"><message>m</message></post>\n' for i in range(200))
    text = f'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n<thread dsq:id="1">\n{body}</thread>\n<post dsq:id="x"></post>\n</disqus>'
    pieces = [text[i:i + 100] for i in range(0, len(text), 100)]
    found = list(records(pieces, {"thread", "post"}, max_record_chars=1000))
    assert [(r.name, r.line, r.error) for r in found[:1]] == [("thread", 2, "<thread> is longer than 1,000 characters")]
    assert [(r.name, r.line, r.error, r.element is not None) for r in found[1:]] == [("post", 204, None, True)]
    whole = list(records(text, {"thread", "post"}))
    assert [(r.name, r.line, r.error) for r in whole] == [("thread", 2, None), ("post", 204, None)]


def test_the_import_memory_bench_runs() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "import_memory.py"), "--mb", "0.5", "--policy", "rules",
                          "--json"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = json.loads(out.stdout)
    assert figures["comments_imported"] == figures["posts_in_file"] > 400 and figures["problems"] == 1, figures
    assert figures["peak_rss_mb"] > figures["idle_rss_mb"] > 0
