"""The dashboard's Articles page and an article's page, over HTTP on SQLite and PostgreSQL: the list (newest
started first, paged, searched, filtered by effective state, with published and held counts), closing and
opening (htmx row, audited, CSRF, other sites), the article form (title, address, publication date in UTC; a
refused field as a 422 fragment naming it), the latest audit entries, unknown threads and bad parameters."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from tests.dashboard.helpers import POLICY, add_moderator, csrf_token, sign_in
from tests.dashboard.seed import reader, say
from tests.dashboard.test_dashboard_audit import Mod, audited
from tests.fixtures_app import AppFactory, Clock
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service import thread_metadata as meta
from townhall.service.identity import Actor
from townhall.store import content

DAYS = 30
HTMX = {"HX-Request": "true"}
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "articles.policy.toml"
    path.write_text(POLICY + f"\n[comments]\nclose_after_days = {DAYS}\n", encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=0)


def thread(app: Townhall, tid: str, title: str | None = None, *, url: str | None = None) -> None:
    """Register an article through the service the API uses (a publisher's PATCH)."""
    meta.update_thread(app.services, Actor.cli(), app.settings.default_site, tid,
                       meta.ThreadChanges(title=title, url=url))


def post(app: Townhall, tid: str, sub: str, text: str) -> str:
    return str(say(app.services, reader(app.services, sub, sub.title()), (tid, tid.title()), text)["status"])


def rows(html: str) -> list[str]:
    """The thread ids of the list's rows, in order."""
    return re.findall(r'<tr id="thread-\d+" data-thread="([^"]*)"', html)


def row(html: str, tid: str) -> str:
    start = html.index(f'data-thread="{tid}"')
    return html[start:html.index("</tr>", start)]


def cell_numbers(row_html: str) -> list[int]:
    """The row's counts; a held count over 0 links to the article's held queue (``<a …>2<span …>…</span></a>``)."""
    return [int(n) for n in re.findall(r'<td class="num[^"]*">(?:<a [^>]*>)?(\d+)', row_html)]


def test_the_list_newest_first_with_published_and_held_counts(app: Townhall, clock: Clock) -> None:
    thread(app, "quiet", "A quiet article")
    clock.advance(minutes=1)
    assert [post(app, "busy", s, t) for s, t in [("ann", "Fair point about the schools budget."),
                                                   ("ben", "The figures on page 40 add up."),
                                                   ("cat", "What an idiot the minister is."),
                                                   ("dan", "Only a moron believes this."),
                                                   ("eve", "This is fucking theft.")]] == \
        ["published", "published", "held", "held", "rejected"]
    mod = Mod(app, "a@news.example")
    page = mod.client.get("/admin/articles")
    assert page.status_code == 200
    assert rows(page.text) == ["busy", "quiet"]  # newest started first
    assert cell_numbers(row(page.text, "busy")) == [2, 2, 0]  # published, held, reported; rejected counted in none
    assert cell_numbers(row(page.text, "quiet")) == [0, 0, 0]
    assert 'href="/admin/articles?site=default">Articles</a>' in page.text  # the nav link
    nav = page.text.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert nav.index(">Queues<") < nav.index(">Articles<") < nav.index(">House rules<")
    # the count the list gives is the one readers' listing pages get
    assert mod.client.get("/api/v1/counts", params={"thread": "busy"}).json()["counts"]["busy"] == 2


def test_paging_search_and_filters(app: Townhall, clock: Clock) -> None:
    for n in range(53):
        thread(app, f"t-{n:02d}", f"Story number {n:02d}" + (" about the Budget" if n % 10 == 0 else ""))
        clock.advance(seconds=1)
    mod = Mod(app, "a@news.example")
    first = mod.client.get("/admin/articles")
    assert rows(first.text) == [f"t-{n:02d}" for n in range(52, 2, -1)]  # 50 a page
    older = re.search(r'href="(/admin/articles\?[^"]+)">Older articles', first.text)
    assert older is not None
    second = mod.client.get(older.group(1).replace("&amp;", "&"))
    assert rows(second.text) == ["t-02", "t-01", "t-00"] and "Older articles" not in second.text

    found = mod.client.get("/admin/articles", params={"q": "bUDGET"})  # title, any case
    assert rows(found.text) == ["t-50", "t-40", "t-30", "t-20", "t-10", "t-00"]
    assert rows(mod.client.get("/admin/articles", params={"q": "T-4"}).text) == [f"t-{n}" for n in range(49, 39, -1)]
    assert rows(mod.client.get("/admin/articles", params={"q": "%"}).text) == []  # a LIKE wildcard is a character
    assert "No articles match." in mod.client.get("/admin/articles", params={"q": "nothing like it"}).text

    svc = app.services
    mod_actor = Actor.cli()
    from townhall.service import moderation as svc_mod

    svc_mod.set_thread_state(svc, mod_actor, "default", "t-05", "closed")
    meta.update_thread(svc, mod_actor, "default", "t-06",
                       meta.ThreadChanges(published_at=clock.now - timedelta(days=DAYS, minutes=1)))
    meta.update_thread(svc, mod_actor, "default", "t-07",
                       meta.ThreadChanges(published_at=clock.now - timedelta(days=DAYS + 5)))
    svc_mod.set_thread_state(svc, mod_actor, "default", "t-07", "open")  # kept open past the limit
    assert rows(mod.client.get("/admin/articles?state=closed").text) == ["t-05"]
    aged = mod.client.get("/admin/articles?state=aged")
    assert rows(aged.text) == ["t-06"] and "closed by age" in row(aged.text, "t-06")
    opened = rows(mod.client.get("/admin/articles?state=open").text)
    assert "t-07" in opened and "t-05" not in opened and "t-06" not in opened and len(opened) == 50
    assert "kept open by a moderator" in row(mod.client.get("/admin/articles?q=t-07").text, "t-07")
    # the states the list shows are the API's
    api = mod.client.get("/api/v1/threads/t-06/comments").json()["thread"]
    assert (api["state"], api["closed_reason"]) == ("closed", "age")
    assert rows(mod.client.get("/admin/articles?state=aged&q=story").text) == ["t-06"]  # filters combine


def test_age_filter_follows_the_clock(app: Townhall, clock: Clock) -> None:
    thread(app, "ageing", "Ageing article")
    mod = Mod(app, "a@news.example")
    assert rows(mod.client.get("/admin/articles?state=aged").text) == []
    clock.advance(days=DAYS)  # exactly at the limit: closed (as the rule has it)
    mod = Mod(app, "b@news.example")  # a month later: a new session
    assert rows(mod.client.get("/admin/articles?state=aged").text) == ["ageing"]
    assert rows(mod.client.get("/admin/articles?state=open").text) == []


def test_close_and_open_from_the_list_are_audited(app: Townhall) -> None:
    thread(app, "news/2026/bridge?x=1", "Old Town bridge")  # a slash and a question mark in the id
    mod = Mod(app, "a@news.example")
    tid = "news/2026/bridge?x=1"
    url = f"/admin/articles/{quote(tid, safe='')}/state"
    assert f'hx-post="{url}?site=default"' in mod.client.get("/admin/articles").text
    r = mod.client.post(url, data={"state": "closed", "view": "row", "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.startswith('<tr id="thread-') and 'data-state="closed"' in r.text
    assert "closed by a moderator" in r.text and 'name="state" value="open"' in r.text and ">Open<" in r.text
    assert [e["actor"] for e in audited(app.services, "thread.closed", tid)] == [mod.actor]
    r = mod.post(url, {"state": "open"})  # the dashboard's script: JSON
    assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["closed_reason"] is None
    assert [e["actor"] for e in audited(app.services, "thread.open", tid)] == [mod.actor]
    r = mod.client.post(url, data={"state": "closed", "csrf_token": mod.token},
                        headers={"Referer": "http://testserver/admin/articles?site=default&q=bridge"},
                        follow_redirects=False)  # a plain form: back to the list it came from
    assert r.status_code == 303 and r.headers["location"] == "/admin/articles?site=default&q=bridge"
    r = mod.post(url, {"state": "maybe"})
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "state"}


def test_csrf_and_other_sites_are_refused(app: Townhall, client: TestClient) -> None:
    thread(app, "budget", "Budget")
    mod = Mod(app, "a@news.example")
    r = mod.client.post("/admin/articles/budget/state", data={"state": "closed"}, headers=HTMX)
    assert r.status_code == 403 and "expired" in r.text
    r = mod.client.post("/admin/articles/budget/article", data={"title": "Changed"}, headers=HTMX)
    assert r.status_code == 403
    r = client.post("/admin/articles/budget/state", data={"state": "closed"}, headers=HTMX)  # signed out
    assert r.status_code == 401
    assert client.get("/admin/articles", follow_redirects=False).status_code == 303  # to the sign-in page

    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    add_moderator(app.services, "o@other.example", sites=("other",))
    other = TestClient(app, raise_server_exceptions=False)
    assert sign_in(other, "o@other.example").status_code == 303
    token = csrf_token(other.get("/admin/articles?site=other").text)
    assert other.get("/admin/articles?site=default").status_code == 403
    assert other.get("/admin/articles/budget?site=default").status_code == 403
    r = other.post("/admin/articles/budget/state?site=default", data={"state": "closed", "csrf_token": token},
                   headers=HTMX)
    assert r.status_code == 403 and "You do not moderate this site." in r.text
    r = other.post("/admin/articles/budget/article?site=default", data={"title": "Mine", "csrf_token": token},
                   headers=HTMX)
    assert r.status_code == 403
    assert other.post("/admin/articles/budget/state?site=other", data={"state": "closed", "csrf_token": token},
                      headers=HTMX).status_code == 404  # its own site has no such thread; none is created
    with app.services.db.read() as conn:
        row_ = content.get_thread(conn, "default", "budget")
        assert row_["state"] == "open" and row_["title"] == "Budget"
        assert content.get_thread(conn, "other", "budget") is None
    assert audited(app.services, "thread.closed", "budget") == []


def test_the_article_page_and_its_form(app: Townhall, clock: Clock) -> None:
    moderators.update_site(app.services, Actor.cli(), "default", name="Demo Gazette", allow_guests=False,
                           origins=["https://news.example"])
    thread(app, "budget", "Budget 2027", url="https://news.example/budget")
    post(app, "budget", "ann", "Fair point about the schools budget.")
    mod = Mod(app, "a@news.example")
    page = mod.client.get("/admin/articles/budget")
    assert page.status_code == 200
    assert '<a href="https://news.example/budget" rel="noopener noreferrer">' in page.text
    assert "1 published · 0 held" in page.text and 'type="datetime-local"' in page.text and "(UTC)" in page.text
    form = {"title": "Budget 2027: what the chancellor announced", "url": "/budget-2027",
            "published_at": (clock.now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "csrf_token": mod.token}
    r = mod.client.post("/admin/articles/budget/article", data=form, headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.startswith('<section id="article-panel"') and "Saved." in r.text
    assert '<a href="https://news.example/budget-2027" rel="noopener noreferrer">' in r.text  # a path, on the origin
    with app.services.db.read() as conn:
        stored = content.get_thread(conn, "default", "budget")
    assert stored["title"] == form["title"] and stored["url"] == "/budget-2027"
    entries = audited(app.services, "thread.updated", "budget")
    assert [e["actor"] for e in entries] == ["cli", mod.actor]
    assert set(entries[-1]["details"]["changed"]) == {"title", "url", "published_at"}
    assert "thread.updated" in r.text  # the page's latest changes

    r = mod.client.post("/admin/articles/budget/article", data=form, headers=HTMX)  # sent again as shown
    assert r.status_code == 200 and len(audited(app.services, "thread.updated", "budget")) == 2  # nothing changed

    # older than the site's limit: closed by age, as the API says
    r = mod.client.post("/admin/articles/budget/article", headers=HTMX, data={
        **form, "published_at": (clock.now - timedelta(days=DAYS + 1)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 200 and 'data-reason="age"' in r.text and "closed by age" in r.text
    assert mod.client.get("/api/v1/threads/budget/comments").json()["thread"]["closed_reason"] == "age"
    r = mod.client.post("/admin/articles/budget/article", data={**form, "published_at": ""}, headers=HTMX)
    assert r.status_code == 200 and 'data-state="open"' in r.text  # cleared: counts from the thread's start


@pytest.mark.parametrize(("field", "value", "says"), [
    ("published_at", "27.11.2026 08:00", "in UTC"),
    ("published_at", "1989-12-31T23:59", "1 January 1990 or later"),
    ("published_at", "2026-11-27T08:00+01:00", "without a time zone"),
    ("url", "https://evil.example/budget", "not on the site's origins"),
    ("url", "javascript:alert(1)", "http"),
    ("title", "x" * 501, "at most 500"),
])
def test_a_refused_field_is_a_422_fragment_naming_it(app: Townhall, field: str, value: str, says: str) -> None:
    moderators.update_site(app.services, Actor.cli(), "default", name="Demo Gazette", allow_guests=False,
                           origins=["https://news.example"])
    thread(app, "budget", "Budget 2027")
    mod = Mod(app, "a@news.example")
    form = {"title": "Budget 2027", "url": "", "published_at": "", field: value, "csrf_token": mod.token}
    r = mod.client.post("/admin/articles/budget/article", data=form, headers=HTMX)
    assert r.status_code == 422, r.text
    assert r.text.startswith('<section id="article-panel"')
    error = re.search(r'<p class="error field-error" id="article-([a-z_]+)-error" data-field="([a-z_]+)" role="alert">'
                      r'([^<]*)</p>', r.text)
    assert error is not None and error.group(1) == error.group(2) == field, r.text
    assert says in html.unescape(error.group(3))
    assert f'id="article-{field}" name="{field}" value="{value}"' in html.unescape(r.text)  # as sent
    assert 'aria-invalid="true"' in r.text
    r = mod.client.post("/admin/articles/budget/article", data=form)  # without scripts: the page with the error
    assert r.status_code == 422 and "<!doctype html>" in r.text and f'data-field="{field}"' in r.text
    r = mod.post("/admin/articles/budget/article", form)  # the dashboard's script: the error envelope
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field
    assert audited(app.services, "thread.updated", "budget")[-1]["actor"] == "cli"  # nothing saved


def test_the_article_page_lists_the_latest_audit_entries(app: Townhall, clock: Clock) -> None:
    thread(app, "budget", "Budget")
    mod = Mod(app, "a@news.example")
    for n in range(12):
        clock.advance(minutes=1)
        r = mod.post("/admin/articles/budget/state", {"state": "closed" if n % 2 == 0 else "open"})
        assert r.status_code == 200
    thread(app, "other-thread", "Not this one")
    page = mod.client.get("/admin/articles/budget").text
    listed = re.findall(r"<code>(thread\.[a-z]+)</code>", page)
    assert len(listed) == 13 and listed[0] == "thread.open" and listed[-1] == "thread.updated"  # newest first
    for n in range(10):  # changes each (a closing of a closed thread is not audited)
        mod.post("/admin/articles/budget/state", {"state": "closed" if n % 2 == 0 else "open"})
    assert len(re.findall(r"<code>(thread\.[a-z]+)</code>", mod.client.get("/admin/articles/budget").text)) == 20


def test_unknown_threads_and_bad_parameters(app: Townhall) -> None:
    thread(app, "budget", "Budget")
    mod = Mod(app, "a@news.example")
    r = mod.client.get("/admin/articles/no-such-thread")
    assert r.status_code == 404 and "No such article on this site." in r.text and "<!doctype html>" in r.text
    assert mod.post("/admin/articles/no-such-thread/state", {"state": "closed"}).status_code == 404
    assert mod.post("/admin/articles/no-such-thread/article", {"title": "New"}).status_code == 404
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "default", "no-such-thread") is None  # the dashboard creates none
    for url in ("/admin/articles?state=sideways", "/admin/articles?before=0", "/admin/articles?before=abc",
                f"/admin/articles?before={2**31}", "/admin/articles?q=" + "x" * 201, "/admin/articles?q=%00",
                "/admin/articles/" + "x" * 301, "/admin/articles/a%00b"):
        r = mod.client.get(url)
        assert r.status_code == 422, (url, r.status_code, r.text[:200])
    assert mod.client.get("/admin/articles?site=nowhere").status_code in (403, 404)
    assert mod.client.get("/admin/articles?before=2147483647").status_code == 200  # an unknown cursor: the end


def test_an_admin_sees_the_threads_of_another_site(app: Townhall) -> None:
    moderators.add_site(app.services, Actor.cli(), "sport", "Sport Daily")
    meta.update_thread(app.services, Actor.cli(), "sport", "final", meta.ThreadChanges(title="The final"))
    thread(app, "budget", "Budget")
    admin = Mod(app, "root@news.example", admin=True)
    page = admin.client.get("/admin/articles?site=sport")
    assert page.status_code == 200 and rows(page.text) == ["final"]
    assert "Articles on Sport Daily" in page.text
    r = admin.post("/admin/articles/final/state?site=sport", {"state": "closed"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "sport", "final")["state"] == "closed"
        assert content.get_thread(conn, "default", "budget")["state"] == "open"



@pytest.mark.parametrize(("field", "value", "says"), [
    ("published_at", "1989-12-31T23:59", "Publication date must be 1 January 1990 or later."),
    ("published_at", "2030-01-01T00:00", "Publication date may be at most a day ahead (until "),
    ("url", "javascript:alert(1)", "Address (URL) must be an absolute http:// or https:// address"),
    ("url", "https://evil.example/budget", "Address (URL) is not on the site's origins"),
    ("title", "x" * 501, "Title is at most 500 characters."),
])
def test_a_refused_field_is_named_by_its_label_and_takes_the_focus(app: Townhall, field: str, value: str,
                                                                   says: str) -> None:
    """The form says "Publication date", not the API's 'published_at' (the API keeps its wording), and the
    refused field has the focus when the panel or page comes back (``autofocus``, which htmx honours too)."""
    moderators.update_site(app.services, Actor.cli(), "default", name="Demo Gazette", allow_guests=False,
                           origins=["https://news.example"])
    thread(app, "budget", "Budget 2027")
    mod = Mod(app, "a@news.example")
    form = {"title": "Budget 2027", "url": "", "published_at": "", field: value, "csrf_token": mod.token}
    for headers in (HTMX, {}):
        r = mod.client.post("/admin/articles/budget/article", data=form, headers=headers)
        assert r.status_code == 422, r.text
        error = re.search(r'id="article-[a-z_]+-error" data-field="[a-z_]+" role="alert">([^<]*)</p>', r.text)
        assert error is not None and html.unescape(error.group(1)).startswith(says), r.text
        assert f"'{field}'" not in html.unescape(error.group(1))
        assert re.findall(r'<input [^>]*id="article-([a-z_]+)"[^>]*\bautofocus\b', r.text) == [field]
    r = mod.post("/admin/articles/budget/article", form)  # the dashboard's script: the API's own wording
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(f"'{field}'")
    assert "autofocus" not in mod.client.get("/admin/articles/budget").text


def test_an_address_that_cannot_be_linked_is_shown_as_text(app: Townhall) -> None:
    """The demo thread's address is /demo on a site that names no origins: no link, but not "—" either."""
    thread(app, "demo-thread", "The demo article", url="/demo")
    mod = Mod(app, "a@news.example")
    page = mod.client.get("/admin/articles/demo-thread").text
    article = re.search(r"<dt>Article</dt><dd>(.*?)</dd>", page)
    assert article is not None
    assert '<span class="article-address">/demo</span>' in article.group(1) and "<a " not in article.group(1)
    assert "not linked" in article.group(1)
    thread(app, "no-address", "No address")
    page = mod.client.get("/admin/articles/no-address").text
    assert re.search(r"<dt>Article</dt><dd>—</dd>", page)


def test_the_audit_details_say_what_changed_and_tables_scroll_in_their_own_box(app: Townhall) -> None:
    thread(app, "budget", "Budget")
    mod = Mod(app, "a@news.example")
    r = mod.client.post("/admin/articles/budget/article", data={"title": "Budget 2027", "url": "/budget",
                                                                "published_at": "", "csrf_token": mod.token})
    assert r.status_code == 200
    page = mod.client.get("/admin/articles/budget").text
    details = re.findall(r'<td class="details long">(.*?)</td>', page, re.S)
    assert "<span><b>title</b>: Budget → Budget 2027</span>" in details[0]
    assert "<span><b>url</b>: — → /budget</span>" in details[0]
    assert "<span><b>created</b></span>" in details[-1] and "{" not in "".join(details)
    assert '<div class="table-scroll" tabindex="0" role="region" aria-label="Latest changes">' in page
    listing = mod.client.get("/admin/articles").text
    assert '<div class="table-scroll" tabindex="0" role="region" aria-label="Articles">\n<table class="grid articles">' \
        in listing
