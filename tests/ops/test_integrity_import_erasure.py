"""A reader erased while an import runs must not get their words back.

`townhall import` commits batch by batch (townhall/service/importing.py) and remembers, for the rest of the run,
the account id it found or made for each archive author (``_State.accounts``). An operator who erases that author
(`townhall erase`, the right to erasure; the site's default mode "remove" empties their comments) while the import
is still running sees the erasure done ("account.erased" audited), yet the import's later batches go on inserting the
author's archived comments, with their text, published, under the erased account.

The erasure here runs between two batches of one run (the import's own progress callback, called after each batch
commits): what an operator's `townhall erase` does while a long import runs. Real SQLite and PostgreSQL.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importing import run_import
from townhall.service.privacy import erase_subject


def _archive(posts: list[tuple[int, str]]) -> str:
    body = "".join(
        f'<post dsq:id="{pid}"><message>Words of {who} number {pid}</message>'
        f'<createdAt>2020-01-0{pid}T00:00:00Z</createdAt>'
        f'<author><name>{who}</name><isAnonymous>true</isAnonymous></author><thread dsq:id="1"/></post>'
        for pid, who in posts)
    return ('<?xml version="1.0"?><disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
            f'<thread dsq:id="1"><link>https://ex.org/story</link><title>T</title></thread>{body}</disqus>')


def _rows(app: Townhall, sql: str, **params: Any) -> list[dict[str, Any]]:
    with app.services.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def test_an_author_erased_during_an_import_gets_no_comments_back(app: Townhall) -> None:
    svc = app.services
    archive = disqus.read(_archive([(1, "Ann"), (2, "Bob"), (3, "Ann"), (4, "Ann")]))
    erased: list[dict[str, Any]] = []

    def after_each_batch(_n: int) -> None:
        if erased:
            return
        [ann] = _rows(app, "SELECT a.id, a.subject FROM accounts a JOIN comments c ON c.account_id = a.id "
                           "WHERE c.body = 'Words of Ann number 1'")
        erased.append(erase_subject(svc, "default", str(ann["subject"])))  # the operator's `townhall erase`

    run_import(svc, archive, "default", batch=1, progress=after_each_batch)
    [done] = erased
    assert done["erased"] is True and done["mode"] == "remove"
    left = _rows(app, "SELECT id, status, body FROM comments WHERE account_id = :a ORDER BY id", a=done["account_id"])
    with_words = [r for r in left if r["body"]]
    assert with_words == [], f"the erased reader's archived comments were imported after the erasure: {with_words}"
    erased_name = _rows(app, "SELECT c.body FROM comments c JOIN accounts a ON a.id = c.account_id "
                             "WHERE a.display_name = 'Former reader' AND c.body <> ''")
    assert erased_name == [], erased_name  # no words shown under the erased reader's placeholder name
