"""One article's queues (``?thread=``), over HTTP on SQLite and PostgreSQL: the held, reported and rejected lists of
that article only, paging within the filter, the tabs' sizes and ``/admin/queue-sizes`` with and without it, the chip
that clears it, an unknown article, long and odd thread ids, another site's thread of the same id, the links in (the
Articles list's held count, an item's "this article's queue") and bad parameters (4xx, never a 500)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.dashboard.helpers import POLICY
from tests.dashboard.seed import reader, say
from tests.dashboard.test_dashboard_audit import Mod
from tests.fixtures_app import AppFactory, Clock
from townhall.app import Townhall
from townhall.service import comments as svc_comments
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

HTMX = {"HX-Request": "true"}
BUDGET = ("budget-2027", "Budget 2027: what the chancellor announced")
BRIDGE = ("bridge-closure", "Old Town bridge to close for two years")
HELD, REJECTED, PUBLISHED = "What an idiot the minister is.", "This is fucking theft.", "A fair point about the schools."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "thread.policy.toml"  # one report puts a comment in the reported queue
    path.write_text(POLICY + "\n[reports]\nthreshold = 1\nnew_account_days = 0\n", encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=0)


def comment(app: Townhall, thread: tuple[str, str], sub: str, text: str, site: str | None = None) -> int:
    who = reader(app.services, sub, sub.title(), site)
    return int(say(app.services, who, thread, text)["id"])


def reported(app: Townhall, thread: tuple[str, str], sub: str) -> int:
    cid = comment(app, thread, sub, PUBLISHED)
    svc_comments.report(app.services, reader(app.services, f"{sub}-reporter", "Reporter"), cid, "spam")
    return cid


def items(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="item" id="item-(\d+)"', page)]


def tab_counts(page: str) -> dict[str, int]:
    return {q: int(n) for q, n in re.findall(r'<span class="count" data-queue="(\w+)">(\d+)</span>', page)}


def chip(page: str) -> str:
    m = re.search(r'<p class="article-filter">(.*?)</p>', page, re.S)
    return m.group(1) if m else ""


def tab_links(page: str) -> list[str]:
    tabs = page[page.index('<nav class="tabs"'):]
    return [html.unescape(t) for t in re.findall(r'<a href="([^"]+)"', tabs[:tabs.index("</nav>")])]


def hrefs(page: str, cls: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a class="{cls}" href="([^"]+)"', page)]


@pytest.fixture
def morning(app: Townhall, clock: Clock) -> dict[str, list[int]]:
    """Two articles, each with held, rejected and reported comments (interleaved in time)."""
    out: dict[str, list[int]] = {"budget_held": [], "bridge_held": [], "budget_rejected": [], "bridge_rejected": []}
    for n in range(3):
        for key, thread in (("budget", BUDGET), ("bridge", BRIDGE)):
            out[f"{key}_held"].append(comment(app, thread, f"{key}-h{n}", HELD))
            clock.advance(seconds=1)
    for key, thread in (("budget", BUDGET), ("bridge", BRIDGE)):
        out[f"{key}_rejected"].append(comment(app, thread, f"{key}-r", REJECTED))
        clock.advance(seconds=1)
    out["budget_reported"] = [reported(app, BUDGET, "budget-p")]
    out["bridge_reported"] = [reported(app, BRIDGE, "bridge-p"), reported(app, BRIDGE, "bridge-q")]
    return out


def test_each_comment_queue_lists_one_articles_items(app: Townhall, morning: dict[str, list[int]]) -> None:
    mod = Mod(app, "a@news.example")
    everything = mod.client.get("/admin/queue/held").text
    assert sorted(items(everything)) == sorted(morning["budget_held"] + morning["bridge_held"])
    assert chip(everything) == ""
    assert tab_counts(everything) == {"held": 6, "reported": 3, "clusters": 0, "appeals": 0, "rejected": 2}
    for name in ("held", "rejected", "reported"):
        page = mod.client.get(f"/admin/queue/{name}", params={"site": "default", "thread": "budget-2027"})
        assert page.status_code == 200
        assert sorted(items(page.text)) == sorted(morning[f"budget_{name}"]), name
        assert tab_counts(page.text) == {"held": 3, "reported": 1, "clusters": 0, "appeals": 0, "rejected": 1}
        text = chip(page.text)
        assert "Article: <b class=\"article-name\">Budget 2027: what the chancellor announced</b>" in text
        assert "<code class=\"thread-id\">budget-2027</code>" in text and "no such article" not in text
        assert hrefs(page.text, "clear-filter") == [f"/admin/queue/{name}?site=default"]
        # every tab keeps the filter; no item links to "this article's queue" again
        assert tab_links(page.text) == [f"/admin/queue/{t}?site=default&thread=budget-2027" for t in
                                                   ("held", "reported", "clusters", "appeals", "rejected")]
        assert hrefs(page.text, "thread-queue") == []
    bridge = mod.client.get("/admin/queue/held", params={"thread": "bridge-closure"}).text
    assert sorted(items(bridge)) == sorted(morning["bridge_held"])
    assert tab_counts(bridge) == {"held": 3, "reported": 2, "clusters": 0, "appeals": 0, "rejected": 1}


def test_clusters_and_appeals_say_they_ignore_the_filter(app: Townhall, morning: dict[str, list[int]]) -> None:
    mod = Mod(app, "a@news.example")
    for name in ("clusters", "appeals"):
        page = mod.client.get(f"/admin/queue/{name}", params={"thread": "budget-2027"})
        assert page.status_code == 200
        assert "not kept per article: this tab lists the whole site" in chip(page.text)
        assert tab_counts(page.text)["held"] == 3  # the comment tabs still count the article's


def test_sizes_with_and_without_the_filter_follow_decisions(app: Townhall, morning: dict[str, list[int]]) -> None:
    mod = Mod(app, "a@news.example")
    sizes = mod.client.get("/admin/queue-sizes", params={"site": "default", "thread": "budget-2027"})
    assert sizes.status_code == 200 and sizes.headers["cache-control"] == "no-store"
    assert sizes.json() == {"held": 3, "reported": 1, "clusters": 0, "appeals": 0, "rejected": 1}
    assert mod.client.get("/admin/queue-sizes").json() == {"held": 6, "reported": 3, "clusters": 0, "appeals": 0,
                                                            "rejected": 2}
    assert mod.decide(morning["budget_held"][0], "reject", "held", "Personal attack.").status_code == 200
    assert mod.decide(morning["budget_held"][1], "approve", "held").status_code == 200
    assert mod.decide(morning["budget_reported"][0], "approve", "published").status_code == 200  # a Keep
    assert mod.client.get("/admin/queue-sizes", params={"thread": "budget-2027"}).json() == \
        {"held": 1, "reported": 0, "clusters": 0, "appeals": 0, "rejected": 2}
    assert mod.client.get("/admin/queue-sizes", params={"thread": "bridge-closure"}).json() == \
        {"held": 3, "reported": 2, "clusters": 0, "appeals": 0, "rejected": 1}
    # a bulk decision from the filtered page (no script) comes back to it, the filter kept
    back = "http://testserver/admin/queue/held?site=default&thread=budget-2027"
    done = mod.client.post("/admin/bulk", data={"ids": [morning["budget_held"][2]], "expect_status": ["held"],
                                                "decision": "approve", "csrf_token": mod.token},
                           headers={"Referer": back}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/queue/held?site=default&thread=budget-2027"
    assert "Nothing waiting here for this article." in mod.client.get(done.headers["location"]).text


def test_paging_keeps_the_filter(app: Townhall, clock: Clock) -> None:
    mine = []
    for n in range(53):
        mine.append(comment(app, BUDGET, f"b{n}", f"Comment {n}: you idiot."))
        if n % 10 == 0:
            comment(app, BRIDGE, f"x{n}", f"Comment {n} elsewhere: you idiot.")
        clock.advance(seconds=1)
    mod = Mod(app, "a@news.example")
    first = mod.client.get("/admin/queue/held", params={"thread": "budget-2027"}).text
    shown = items(first)
    assert shown == list(reversed(mine))[:50]
    more = re.search(r'hx-get="([^"]+)"', first)
    assert more is not None
    url = html.unescape(more.group(1))
    assert url == f"/admin/queue/held?site=default&before={shown[-1]}&thread=budget-2027"
    rest = mod.client.get(url, headers=HTMX)
    assert "<html" not in rest.text and items(rest.text) == list(reversed(mine))[50:]
    assert "Load more" not in rest.text
    assert tab_counts(first)["held"] == 53


def test_an_unknown_article_is_an_empty_queue_with_the_chip(app: Townhall, morning: dict[str, list[int]]) -> None:
    mod = Mod(app, "a@news.example")
    for name in ("held", "reported", "rejected"):
        page = mod.client.get(f"/admin/queue/{name}", params={"thread": "no-such-story"})
        assert page.status_code == 200 and items(page.text) == []
        assert "no-such-story" in chip(page.text) and "(no such article on this site)" in chip(page.text)
        assert "Nothing waiting here for this article." in page.text
        assert tab_counts(page.text) == {"held": 0, "reported": 0, "clusters": 0, "appeals": 0, "rejected": 0}
    assert mod.client.get("/admin/queue-sizes", params={"thread": "no-such-story"}).json()["held"] == 0
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "default", "no-such-story") is None  # a filter creates no thread
    # a blank filter is none
    assert sorted(items(mod.client.get("/admin/queue/held?thread=").text)) == \
        sorted(morning["budget_held"] + morning["bridge_held"])


def test_long_and_odd_thread_ids(app: Townhall) -> None:
    odd = ("news/2027/budget?page=2&x=1#top ü " + "x" * 300)[:300]
    assert len(odd) == 300
    mine = comment(app, (odd, "An odd one"), "o1", HELD)
    comment(app, BUDGET, "o2", HELD)
    mod = Mod(app, "a@news.example")
    page = mod.client.get("/admin/queue/held", params={"thread": odd})
    assert page.status_code == 200 and items(page.text) == [mine]
    encoded = quote(odd, safe="")
    assert "%2F" in encoded and "%3F" in encoded and "%26" in encoded
    tab = tab_links(page.text)[0]
    assert tab == f"/admin/queue/held?site=default&thread={encoded}"
    assert items(mod.client.get(tab).text) == [mine]  # the page's own links give the same filter back
    unfiltered = mod.client.get("/admin/queue/held").text
    assert f"/admin/queue/held?site=default&thread={encoded}" in hrefs(unfiltered, "thread-queue")
    assert mod.client.get("/admin/queue-sizes", params={"thread": odd}).json()["held"] == 1


@pytest.mark.parametrize("query", [
    {"thread": "x" * 301},  # longer than any thread id
    {"thread": "a\x00b"},  # NUL: no database stores it
    {"thread": "line\nbreak"},  # not printable: no thread has such an id
    {"thread": "budget-2027", "before": "soon"},
    {"thread": "budget-2027", "before": "0"},
])
def test_bad_parameters_are_a_clear_4xx(app: Townhall, query: dict[str, Any]) -> None:
    mod = Mod(app, "a@news.example")
    page = mod.client.get("/admin/queue/held", params=query)
    assert page.status_code == 422, page.text
    sizes = mod.client.get("/admin/queue-sizes", params={"thread": query["thread"]})
    assert sizes.status_code == (200 if "before" in query else 422)


def test_another_sites_thread_of_the_same_id(app: Townhall) -> None:
    svc = app.services
    moderators.add_site(svc, Actor.cli(), "gazette", "The Gazette")
    here = comment(app, BUDGET, "d1", HELD)
    there = comment(app, BUDGET, "g1", HELD, site="gazette")
    mod = Mod(app, "a@news.example")  # moderates the default site only
    page = mod.client.get("/admin/queue/held", params={"site": "default", "thread": "budget-2027"})
    assert items(page.text) == [here]
    assert mod.client.get("/admin/queue-sizes", params={"site": "default", "thread": "budget-2027"}).json()["held"] == 1
    assert mod.client.get("/admin/queue/held", params={"site": "gazette", "thread": "budget-2027"}).status_code == 403
    assert mod.client.get("/admin/queue-sizes", params={"site": "gazette", "thread": "budget-2027"}).status_code == 403
    admin = Mod(app, "root@news.example", admin=True)
    theirs = admin.client.get("/admin/queue/held", params={"site": "gazette", "thread": "budget-2027"}).text
    assert items(theirs) == [there]
    assert hrefs(theirs, "clear-filter") == ["/admin/queue/held?site=gazette"]


def test_links_in_from_the_articles_list_and_an_item(app: Townhall, morning: dict[str, list[int]]) -> None:
    comment(app, ("quiet/one?", "A quiet one"), "q1", PUBLISHED)
    mod = Mod(app, "a@news.example")
    listing = mod.client.get("/admin/articles").text
    assert hrefs(listing, "held-queue") == ["/admin/queue/held?site=default&thread=bridge-closure",
                                            "/admin/queue/held?site=default&thread=budget-2027"]
    quiet = listing[listing.index('data-thread="quiet/one?"'):]
    assert '<td class="num">0</td>' in quiet[:quiet.index("</tr>")]  # no link to an empty queue
    for name in ("held", "reported", "rejected"):
        links = hrefs(mod.client.get(f"/admin/queue/{name}").text, "thread-queue")
        assert f"/admin/queue/{name}?site=default&thread=budget-2027" in links
        assert f"/admin/queue/{name}?site=default&thread=bridge-closure" in links
