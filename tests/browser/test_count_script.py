"""count.js, as a newsroom's listing pages use it: a front page on the publisher's own origin (a second loopback
server) with links marked ``data-townhall-count``, Townhall's real server and Chromium. The texts, German,
the publisher's own wording, a server that fails (the links keep their text, the page no error), batches of 50,
elements added later, no cookies sent, the demo article's link, and the file as it is served."""

from __future__ import annotations

import gzip
import http.server
import re
import threading
from importlib import resources
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Api
from tests.fixtures_app import LiveServer, make_token
from townhall.app import Townhall
from townhall.store import content

pytestmark = pytest.mark.browser

COUNT_JS = (resources.files("townhall.web") / "static" / "count.js").read_bytes()


class Publisher:
    """The publisher's web server: pages by path; ``/broken/api/v1/counts`` answers as a proxy in trouble (502,
    HTML) and ``/broken/count.js`` is count.js, so that a page loading it from there asks that address."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path
                if path == "/broken/count.js":
                    status, ctype, body = 200, "application/javascript; charset=utf-8", COUNT_JS
                elif path in pages:
                    status, ctype, body = 200, "text/html; charset=utf-8", pages[path].encode()
                else:
                    status, ctype, body = 502, "text/html", b"<html><body>Bad gateway</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, path: str, body: str, *, lang: str = "en", script: str = "") -> str:
        self.pages[path] = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Front page</title>'
                            f"</head><body><h1>Today</h1>{body}{script}</body></html>")
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    pub = Publisher()
    yield pub
    pub.close()


def script(server: LiveServer, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<script src="{server.url}/count.js"{extra} async></script>'


def link(thread: str, label: str = "Comments", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<p><a href="/{thread}#comments" data-townhall-count="{thread}"{extra}>{label}</a></p>'


def post(api: Api, thread: str, who: str, text: str, parent_id: int | None = None) -> int:
    r = api.http.post(f"/api/v1/threads/{thread}/comments", json={"text": text, "parent_id": parent_id},
                      headers=api.headers(make_token(who)))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def seed(app: Townhall, api: Api) -> None:
    """``one`` 1 comment; ``three`` 3 (a reply among them) and a deleted one; ``many`` 1,000; ``none`` no thread."""
    post(api, "one", "ann", "The only comment.")
    first = post(api, "three", "ann", "A first comment.")
    post(api, "three", "bob", "A reply.", parent_id=first)
    post(api, "three", "cat", "Another comment.")
    gone = post(api, "three", "dan", "Soon deleted.")
    assert api.http.delete(f"/api/v1/comments/{gone}", headers=api.headers(make_token("dan"))).status_code == 204
    model = post(api, "many", "eve", "The first of a thousand.")
    with app.services.db.write() as conn:  # 999 more rows like it, in one transaction (posting each takes a while)
        row = dict(content.get_comment(conn, model) or {})
        row.pop("id")
        for _ in range(999):
            content.insert_comment(conn, **row)


def counts_requests(page: Any) -> list[list[str]]:
    """The thread ids of each request to the counts API the page makes (appended as they are sent)."""
    seen: list[list[str]] = []
    page.on("request", lambda req: seen.append(parse_qs(urlsplit(req.url).query).get("thread", []))
            if "/api/v1/counts" in req.url else None)
    return seen


def texts(page: Any) -> list[str]:
    return page.eval_on_selector_all("[data-townhall-count]", "els => els.map(e => e.textContent)")  # type: ignore[no-any-return]


def test_a_front_page_gets_each_threads_count(page: Any, server: LiveServer, api: Api, app: Townhall,
                                              publisher: Publisher) -> None:
    seed(app, api)
    sent = counts_requests(page)
    body = "".join(link(t) for t in ("one", "three", "many", "none", "one")) + '<p><a href="/x">Other link</a></p>'
    page.goto(publisher.page("/", body, script=script(server)))
    expect(page.locator("[data-townhall-count='none']")).to_have_text("0 comments")
    assert texts(page) == ["1 comment", "3 comments", "1,000 comments", "0 comments", "1 comment"]
    assert page.locator("[data-townhall-count='many']").get_attribute("data-townhall-count-n") == "1000"
    assert page.get_by_role("link", name="3 comments").get_attribute("href") == "/three#comments"
    assert page.locator("[data-townhall-count='one']").first.get_attribute("aria-label") is None
    assert sent == [["one", "three", "many", "none"]]  # one request, each thread once
    assert page.get_by_role("link", name="Other link").is_visible()

    # elements added later are counted when the page calls refresh() (a resolved promise, never a rejection)
    page.evaluate("""() => { const p = document.createElement('p');
      p.innerHTML = '<a href="/late" data-townhall-count="three">Comments</a>'; document.body.append(p); }""")
    post(api, "one", "fay", "A second comment on one.")
    assert page.evaluate("async () => (await TownhallCount.refresh()) === undefined") is True
    assert len(sent) == 2 and sorted(sent[1]) == ["many", "none", "one", "three"]
    expect(page.locator("[data-townhall-count='three']").last).to_have_text("3 comments")
    expect(page.locator("[data-townhall-count='one']").first).to_have_text(re.compile(r"^[12] comments?$"))  # page cache


def test_german_pages_and_elements(page: Any, server: LiveServer, api: Api, app: Townhall, publisher: Publisher) -> None:
    seed(app, api)
    body = "".join(link(t, "Kommentare") for t in ("none", "one", "three", "many"))
    page.goto(publisher.page("/de", body, lang="de-DE", script=script(server)))
    expect(page.locator("[data-townhall-count='many']")).to_have_text("1.000 Kommentare")
    assert texts(page) == ["0 Kommentare", "1 Kommentar", "3 Kommentare", "1.000 Kommentare"]
    # an English page with a German teaser, and a language we have no words for (English, in English's plurals)
    body = link("one", lang="de") + f'<div lang="fr">{link("one")}{link("none")}</div>' + link("many", lang="not a tag!")
    page.goto(publisher.page("/mixed", body, script=script(server)))
    expect(page.locator("[data-townhall-count]").first).to_have_text("1 Kommentar")
    expect(page.locator("[data-townhall-count]").nth(2)).to_have_text("0 comments")
    assert texts(page) == ["1 Kommentar", "1 comment", "0 comments", "1,000 comments"]


def test_the_publishers_own_wording(page: Any, server: LiveServer, api: Api, app: Townhall, publisher: Publisher) -> None:
    seed(app, api)
    own = {"data_townhall_count_zero": "Be the first to comment", "data_townhall_count_one": "{n} reader comment",
           "data_townhall_count_many": "{n} reader comments"}
    body = "".join(link(t, **own) for t in ("none", "one", "many"))
    body += link("three", data_townhall_count_many="💬 {n}") + link("none", data_townhall_count_many="{n}")
    body += link("three")  # the script tag's wording
    page.goto(publisher.page("/own", body, script=script(server, data_townhall_count_many="{n} Leserbriefe",
                                                         data_townhall_count_one="{n} Leserbrief")))
    expect(page.locator("[data-townhall-count]").last).to_have_text("3 Leserbriefe")
    assert texts(page) == ["Be the first to comment", "1 reader comment", "1,000 reader comments", "💬 3", "0",
                           "3 Leserbriefe"]


def test_a_failing_server_leaves_the_links_as_they_were(page: Any, server: LiveServer, api: Api, app: Townhall,
                                                         publisher: Publisher) -> None:
    """No such site (404), no network (the request aborted), a proxy's 502 page: the links keep their text and
    the page gets no error (the ``page`` fixture fails the test on any)."""
    seed(app, api)
    body = link("one", "Read the comments") + link("three", "Read the comments")
    counts_api = re.compile(r"/api/v1/counts\?")
    with page.expect_response(counts_api) as answer:
        page.goto(publisher.page("/nosite", body, script=script(server, data_site="nowhere")))
    assert answer.value.status == 404
    assert page.evaluate("TownhallCount.refresh().then(() => 'done')") == "done"
    assert texts(page) == ["Read the comments"] * 2

    page.route(counts_api, lambda route: route.abort())
    with page.expect_event("requestfailed", lambda req: "/api/v1/counts" in req.url):
        page.goto(publisher.page("/offline", body, script=script(server)))
    assert page.evaluate("TownhallCount.refresh().then(() => 'done')") == "done"
    assert texts(page) == ["Read the comments"] * 2
    page.unroute(counts_api)

    broken = f'<script src="{publisher.url}/broken/count.js" async></script>'
    with page.expect_response(counts_api) as answer:
        page.goto(publisher.page("/proxy", body, script=broken))
    assert answer.value.status == 502 and answer.value.url.startswith(publisher.url)
    assert page.evaluate("TownhallCount.refresh().then(() => 'done')") == "done"
    assert texts(page) == ["Read the comments"] * 2

    # and then the right server: the same page's links get their counts
    page.goto(publisher.page("/fine", body, script=script(server)))
    expect(page.locator("[data-townhall-count='three']")).to_have_text("3 comments")


def test_sixty_threads_take_two_requests(page: Any, server: LiveServer, api: Api, app: Townhall,
                                         publisher: Publisher) -> None:
    seed(app, api)
    threads = ["one", "three", "many"] + [f"story-{n}" for n in range(57)]
    body = "".join(link(t) for t in threads) + link("one")  # 61 elements, 60 threads
    sent = counts_requests(page)
    page.goto(publisher.page("/busy", body, script=script(server)))
    expect(page.locator("[data-townhall-count='story-56']")).to_have_text("0 comments")
    expect(page.locator("[data-townhall-count='story-0']")).to_have_text("0 comments")
    assert [len(ids) for ids in sent] == [50, 10]
    assert sorted(sent[0] + sent[1]) == sorted(threads)
    assert texts(page)[:3] == ["1 comment", "3 comments", "1,000 comments"] and texts(page)[-1] == "1 comment"


def test_the_demo_article_links_its_count_and_follows_the_widget(page: Any, server: LiveServer, api: Api) -> None:
    api.post(make_token("bob", "Bob"), "A comment before the reader arrives.")
    page.context.add_cookies([{"name": "session", "value": "secret", "url": server.url}])
    requests: list[Any] = []
    page.on("request", lambda req: requests.append(req) if "/api/v1/" in req.url else None)
    page.goto(server.url + "/demo")
    count = page.locator(".byline [data-townhall-count]")
    expect(count).to_have_text("1 comment")
    # no cookie sent, though the page is Townhall's own (a plain fetch from it carries the cookie)
    asked = [r for r in requests if "/api/v1/counts" in r.url]
    assert len(asked) == 1 and asked[0].all_headers().get("cookie") is None
    page.evaluate("() => fetch('/api/v1/site')")
    assert [r.all_headers().get("cookie") for r in requests if r.url.endswith("/api/v1/site")] == ["session=secret"]
    assert count.get_attribute("href") == "#comments"
    page.wait_for_function("() => !!window.Townhall")
    page.evaluate("""t => new Promise(done => {
      document.getElementById('townhall').addEventListener('townhall:loaded', () => done(), {once: true});
      Townhall.login(t);
    })""", make_token("alice", "Alice"))
    widget = page.locator("#townhall")
    widget.get_by_label("Add a comment").fill("My own comment, counted at once.")
    widget.get_by_role("button", name="Post comment").click()
    expect(count).to_have_text("2 comments")  # the widget's townhall:count, without asking the server


def test_count_js_is_served_small_and_self_contained(server: LiveServer, api: Api) -> None:
    r = api.http.get("/count.js")
    assert r.status_code == 200 and r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert r.headers["cache-control"] == api.http.get("/embed.js").headers["cache-control"] == "public, max-age=300"
    assert r.content == COUNT_JS
    assert len(gzip.compress(r.content, 9)) <= 3 * 1024
    assert not re.search(r"https?://(?!HOST/)[a-z0-9.-]+", r.text.split("*/", 1)[1])
    assert api.http.head("/count.js").status_code == 200

