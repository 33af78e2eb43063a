"""Second import audit: a `townhall import disqus` process killed with SIGKILL half-way (no cleanup, no rollback
but the database's own) and run again ends with every comment of the archive exactly once, its reply structure
whole, each thread and author once; a third run adds nothing. On SQLite and PostgreSQL.

The kill comes once the first batches are committed and before the last one is: the test waits for that
(it polls the database), it does not sleep a fixed time.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from townhall.app import Townhall
from tests.ops.import_runs import count_comments, finish, kill_half_way, start

THREADS = 4
POSTS_PER_THREAD = 750  # 3,000 comments: a few seconds of importing, batches of 200


def _export(path: Path) -> None:
    """Threads of posts where every post but each third replies to the one before it in its thread; authors
    repeat (ten per thread), with their addresses in mixed case."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n'
                  '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n')
        for t in range(THREADS):
            out.write(f'<thread dsq:id="t{t}"><id>story-{t}</id><link>https://news.example/{t}</link>'
                      f"<title>Story {t}</title><createdAt>2020-01-01T00:00:00Z</createdAt></thread>\n")
        for t in range(THREADS):
            for n in range(POSTS_PER_THREAD):
                parent = f'<parent dsq:id="p{t}-{n - 1}"/>' if n % 3 else ""
                email = f"Reader{n % 10}@Example.org" if n % 2 else f"reader{n % 10}@example.org"
                out.write(f'<post dsq:id="p{t}-{n}"><message><![CDATA[<p>comment {t}/{n}</p>]]></message>'
                          f"<createdAt>2020-01-02T00:{n // 60 % 60:02d}:{n % 60:02d}Z</createdAt>"
                          f"<author><name>Reader {n % 10}</name><email>{email}</email><isAnonymous>true</isAnonymous>"
                          f'</author><thread dsq:id="t{t}"/>{parent}</post>\n')
        out.write("</disqus>\n")


def test_an_import_killed_half_way_and_run_again_has_every_comment_once(app: Townhall, db_url: str,
                                                                         tmp_path: Path) -> None:
    total = THREADS * POSTS_PER_THREAD
    export = tmp_path / "export.xml"
    _export(export)

    before = kill_half_way(app, start("disqus", export, db_url, tmp_path), total)

    report = finish(start("disqus", export, db_url, tmp_path))
    assert report["comments_in_archive"] == total
    assert report["comments_already_imported"] == before
    assert report["comments_new"] == total - before
    assert report["problems"] == []

    with app.services.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.text(
            "SELECT c.id, c.external_id, c.parent_id, c.root_id, c.depth, c.body, t.external_id AS thread, "
            "a.subject FROM comments c JOIN threads t ON t.id = c.thread_id JOIN accounts a ON a.id = c.account_id"
        )).mappings()]
        threads = conn.execute(sa.text("SELECT external_id FROM threads")).scalars().all()
        subjects = conn.execute(sa.text("SELECT subject FROM accounts WHERE subject LIKE 'import:%'")).scalars().all()
    assert len(rows) == total
    by_ext = {r["external_id"]: r for r in rows}
    assert len(by_ext) == total  # no archive id twice
    assert sorted(threads) == [f"story-{t}" for t in range(THREADS)]
    assert len(subjects) == len(set(subjects)) == 10  # one account per address, whatever its case
    for t in range(THREADS):
        for n in range(POSTS_PER_THREAD):
            row = by_ext[f"disqus:p{t}-{n}"]
            assert row["thread"] == f"story-{t}" and row["body"] == f"comment {t}/{n}"
            if n % 3:
                parent = by_ext[f"disqus:p{t}-{n - 1}"]
                assert row["parent_id"] == parent["id"], (t, n)
                assert row["depth"] == n % 3 and row["root_id"] == by_ext[f"disqus:p{t}-{n - n % 3}"]["id"]
            else:
                assert row["parent_id"] is None and row["depth"] == 0

    again = finish(start("disqus", export, db_url, tmp_path))
    assert again["comments_new"] == 0 and again["threads_new"] == 0 and again["accounts_new"] == 0
    assert again["comments_already_imported"] == total
    assert count_comments(app) == total
