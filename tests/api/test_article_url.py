"""A thread's article address (``url``), on SQLite and PostgreSQL: the first comment of a thread names it, and any
reader can send any text there. Only an absolute http(s) address with a host, or a path on the publisher's site
(``/…``), is taken (anything else: 422 naming the field, nothing written); where the site names its pages'
origins, an absolute address on another origin is not kept (the comment is: a reader is not refused for the
publisher's configuration). Whatever is stored (rows from before the check, imports), the comments list gives
only an address a page may link."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

TABLES = ("threads", "accounts", "comments", "decisions", "audit_log")


def counts(app: Townhall) -> dict[str, int]:
    with app.services.db.read() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}


def send(client: TestClient, thread: str, url: Any, sub: str = "alice") -> Any:
    return client.post(f"/api/v1/threads/{thread}/comments", json={"text": "A remark.", "url": url, "title": "Article"},
                       headers=auth(sub))


def listed_url(client: TestClient, thread: str, since: int | None = None) -> Any:
    page = client.get(f"/api/v1/threads/{thread}/comments", params={"since": since} if since else None)
    assert page.status_code == 200, page.text
    return page.json()["thread"]["url"]


REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)//https://news.example/",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "mailto:editor@news.example",
    "vbscript:msgbox(1)",
    "ftp://news.example/a",
    " javascript:alert(1)",  # a browser drops leading spaces and control characters before reading the scheme
    " https://news.example/a",
    "https://news.example/a ",
    "\x01javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "https://news.example/a b",
    "https://news.example/\x7f",
    "https://news.example/\x85",  # a C1 control
    "https://news.example/\u202egnp.exe",  # right-to-left override: shows another address than it is
    "https://news.example/\u00a0",
    "https:alert(1)",  # no host
    "https:///news.example/a",
    "news.example/a",  # neither absolute nor a path: a page would read it relative to itself
    "//evil.example/a",  # not a path: another host
    "/\\evil.example/a",  # which browsers read as //evil.example/a
    "https://news.example@evil.example/a",  # a user name that reads like the host
    "https://news.example:99999/a",
    "https://[::1/a",
]


@pytest.mark.parametrize("url", REFUSED)
def test_an_address_that_is_no_web_address_is_refused_naming_the_field(app: Townhall, client: TestClient, url: str) -> None:
    client.get("/api/v1/me", headers=auth("alice"))  # the account exists: a refused request writes nothing
    before = counts(app)
    r = send(client, "fresh", url)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert set(r.json()) == {"error"} and error["code"] == "invalid"
    assert [d["loc"] for d in error["details"]] == [["body", "url"]]
    assert "http" in error["details"][0]["message"]
    assert counts(app) == before


@pytest.mark.parametrize("url", [
    "https://news.example/politics/budget-2027?ref=home#top",
    "HTTP://News.Example/b?x=1",
    "http://news.example:8080/c",
    "https://bücher.example/ärger",
    "/demo",  # the demo page's data-url
    "/articles/c?x=1#y",
    "/",
])
def test_an_http_address_or_a_path_is_taken(client: TestClient, url: str) -> None:
    r = send(client, "taken", url)
    assert r.status_code == 201, r.text
    assert listed_url(client, "taken") == url


@pytest.mark.parametrize("url", [None, ""])
def test_no_address_is_fine(client: TestClient, url: Any) -> None:
    assert send(client, "bare", url).status_code == 201
    assert listed_url(client, "bare") is None


def test_the_first_comment_names_the_address_later_ones_change_nothing(client: TestClient) -> None:
    assert send(client, "once", "/news/1").status_code == 201
    assert send(client, "once", "https://news.example/other", sub="bob").status_code == 201
    assert listed_url(client, "once") == "/news/1"


def test_an_address_on_another_origin_than_the_sites_is_not_kept_but_the_comment_is(app: Townhall, client: TestClient) -> None:
    """The widget sends its ``data-url``, set by the publisher: a reader's comment is not refused for it. Only
    the address is left out, as it would be from every output anyway."""
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example", "https://www.news.example/"])
    sent = {"ours": "https://news.example/a", "www": "HTTPS://WWW.news.example/b", "path": "/c",
            "theirs": "https://news.example.evil.example/d", "port": "https://news.example:8443/e",
            "plain": "http://news.example/f"}
    for name, url in sent.items():
        r = send(client, f"origin-{name}", url)
        assert r.status_code == 201, r.text
        assert r.json()["verdict"] == "published"
        page = client.get(f"/api/v1/threads/origin-{name}/comments").json()
        assert [c["id"] for c in page["comments"]] == [r.json()["comment"]["id"]]  # the comment is there
    shown = {name: listed_url(client, f"origin-{name}") for name in sent}
    assert shown == {"ours": sent["ours"], "www": sent["www"], "path": "/c", "theirs": None, "port": None, "plain": None}
    with app.services.db.read() as conn:
        stored = {name: content.get_thread(conn, "default", f"origin-{name}")["url"] for name in sent}  # type: ignore[index]
    assert stored == shown  # not kept, not only hidden


@pytest.mark.parametrize("stored", [
    "javascript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/a",
    "https://news.example@evil.example/a",
])
def test_an_address_stored_before_the_check_is_not_listed(app: Townhall, client: TestClient, stored: str) -> None:
    """A thread created before addresses were checked (or imported): its address is given only if a page may
    link it."""
    with app.services.db.write() as conn:
        content.insert_thread(conn, site_id="default", external_id="old", url=stored, title="Old", now=app.services.now())
    assert send(client, "old", "https://news.example/new").status_code == 201  # the thread exists: changes nothing
    assert listed_url(client, "old") is None


def test_a_stored_address_off_the_sites_origins_is_not_listed(app: Townhall, client: TestClient) -> None:
    with app.services.db.write() as conn:
        content.insert_thread(conn, site_id="default", external_id="old-off", url="https://phishing.example/a", title="Old",
                              now=app.services.now())
        content.insert_thread(conn, site_id="default", external_id="old-on", url="https://news.example/a", title="Old",
                              now=app.services.now())
    assert listed_url(client, "old-off") == "https://phishing.example/a"  # a site naming no origins takes any
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example"])
    for thread, shown in (("old-off", None), ("old-on", "https://news.example/a")):
        posted = send(client, thread, None)
        assert posted.status_code == 201
        # a page built after this comment (not one cached for signed-out readers before the site changed)
        assert listed_url(client, thread, since=posted.json()["comment"]["id"]) == shown


def test_the_sites_origins_are_compared_as_browsers_write_them(app: Townhall, client: TestClient) -> None:
    """An origin listed in upper case, with a trailing slash, with its scheme's default port or with a Unicode
    host is the origin a browser writes without them (``https://news.example``, punycode): the widget's page
    address on it is kept, and only another port or host is not."""
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://News.Example:443/", "https://bücher.example", "http://[::1]:80"])
    sent = {"plain": "https://news.example/a", "port": "https://news.example:443/b",
            "idn": "https://xn--bcher-kva.example/c", "unicode": "https://bücher.example/d", "ipv6": "http://[::1]/e",
            "other-port": "https://news.example:8443/f", "other-host": "https://www.news.example/g"}
    for name, url in sent.items():
        assert send(client, f"browser-{name}", url).status_code == 201
    shown = {name: listed_url(client, f"browser-{name}") for name in sent}
    assert shown == {**sent, "other-port": None, "other-host": None}
