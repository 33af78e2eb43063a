"""The Articles list's reported column, over HTTP on SQLite and PostgreSQL: each article's comments in the reported
queue (published, with unresolved reports weighing the house rules' threshold), linked to that article's reported
queue, which lists as many; the row swapped in after Close / Open has it too; and the page stays one query for
its threads however many there are."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import event, insert

from tests.dashboard.helpers import POLICY
from tests.dashboard.seed import reader, say
from tests.dashboard.test_dashboard_articles import HTMX, cell_numbers, row, rows, thread
from tests.dashboard.test_dashboard_audit import Mod
from tests.fixtures_app import AppFactory
from townhall.app import Townhall
from townhall.service import comments as svc_comments
from townhall.service import thread_admin
from townhall.service.identity import Actor
from townhall.store.schema import reports

PUBLISHED, HELD = "A fair point about the schools.", "What an idiot the minister is."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "reported.policy.toml"  # two reports (of weight 1) put a comment in the reported queue
    path.write_text(POLICY + "\n[reports]\nthreshold = 2\nnew_account_days = 0\n", encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=0)


def _comment(app: Townhall, tid: str, sub: str, text: str = PUBLISHED) -> int:
    return int(say(app.services, reader(app.services, sub, sub.title()), (tid, tid.title()), text)["id"])


def _report(app: Townhall, cid: int, *subs: str) -> None:
    for sub in subs:
        svc_comments.report(app.services, reader(app.services, sub, sub.title()), cid, "spam")


def _queue_items(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="item" id="item-(\d+)"', page)]


def test_the_reported_column_counts_the_reported_queue_and_links_it(app: Townhall) -> None:
    thread(app, "quiet", "A quiet article")
    queued = _comment(app, "busy", "ann")
    _report(app, queued, "r1", "r2")  # weighs 2: in the queue
    _report(app, _comment(app, "busy", "ben"), "r1")  # weighs 1: below the threshold
    kept = _comment(app, "busy", "cat")
    _report(app, kept, "r1", "r2")
    held = _comment(app, "busy", "dan", HELD)
    with app.services.db.write() as conn:  # reports on a held comment: the held queue's, not the reported one's
        conn.execute(insert(reports), [{"comment_id": held, "account_id": 1, "reason": "spam", "weight": 5.0,
                                        "resolved": False, "created_at": app.services.now()}])
    other = _comment(app, "other", "eve")
    _report(app, other, "r1", "r2", "r3")
    mod = Mod(app, "a@news.example")
    assert mod.decide(kept, "approve", "published").status_code == 200  # a Keep resolves its reports
    page = mod.client.get("/admin/articles")
    assert page.status_code == 200
    assert rows(page.text) == ["other", "busy", "quiet"]
    assert '<th scope="col">Reported</th>' in page.text
    assert cell_numbers(row(page.text, "busy")) == [3, 1, 1]  # published, held, reported
    assert cell_numbers(row(page.text, "other")) == [1, 0, 1]
    assert cell_numbers(row(page.text, "quiet")) == [0, 0, 0]
    assert 'class="reported-queue"' not in row(page.text, "quiet")  # nothing to link
    link = re.search(r'<a class="reported-queue" href="([^"]+)"', row(page.text, "busy"))
    assert link and html.unescape(link.group(1)) == "/admin/queue/reported?site=default&thread=busy"
    queue = mod.client.get(html.unescape(link.group(1)))
    assert queue.status_code == 200 and _queue_items(queue.text) == [queued]  # the queue lists as many

    # the article's own page says so too, with links to its held and reported queues
    article = mod.client.get("/admin/articles/busy").text
    assert "3 published · 1 held · 1 reported" in article
    assert "/admin/queue/reported?site=default&amp;thread=busy" in article
    assert "/admin/queue/held?site=default&amp;thread=busy" in article
    quiet = mod.client.get("/admin/articles/quiet").text
    assert "0 published · 0 held · 0 reported" in quiet and 'class="reported-queue"' not in quiet

    # the row swapped in after Close has the count too
    r = mod.client.post("/admin/articles/busy/state", data={"state": "closed", "view": "row", "csrf_token": mod.token},
                        headers=HTMX)
    assert r.status_code == 200 and r.text.startswith('<tr id="thread-'), r.text
    assert cell_numbers(r.text) == [3, 1, 1] and "/admin/queue/reported?site=default&amp;thread=busy" in r.text
    assert mod.decide(queued, "approve", "published").status_code == 200
    assert cell_numbers(row(mod.client.get("/admin/articles").text, "busy")) == [3, 1, 0]
    view = thread_admin.thread_view(app.services, Actor.cli(), "default", "busy")
    assert view["thread"]["reported"] == 0


@pytest.fixture
def statements(app: Townhall) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = app.services.db.read_engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_the_page_is_one_query_for_its_threads(app: Townhall, statements: list[str]) -> None:
    def listed(n: int) -> int:
        statements.clear()
        data = thread_admin.list_threads(app.services, Actor.cli(), "default")
        assert len(data["threads"]) == n
        return len(statements)

    cid = _comment(app, "first", "ann")
    _report(app, cid, "r1", "r2")
    few = listed(1)
    for n in range(12):
        _report(app, _comment(app, f"more-{n}", f"author-{n}"), "r1", "r2")
    assert listed(13) == few  # no query per thread
    assert [t["reported"] for t in thread_admin.list_threads(app.services, Actor.cli(), "default")["threads"]] == [1] * 13
