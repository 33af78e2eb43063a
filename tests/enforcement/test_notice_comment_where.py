"""The reader's notices name the comment and the article they were for (GET /api/v1/me, SQLite and PostgreSQL):
``sanction``, ``warning`` and ``premoderation`` carry the comment themselves (as ``actions[].comment`` does),
and the comment names its thread's article, its address and title, so that a notice shown on another
article can link to it. Only an address a page can follow safely is given: an http(s) one, or a path on the
publisher's site; never a ``javascript:`` or ``data:`` one, which the first commenter of a thread could send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content
from tests.enforcement.test_ladder import T, abusive_texts
from tests.enforcement.test_reader_notices import _me, _post, _sanction
from tests.fixtures_app import AppFactory, auth
from tests.policy.test_premoderate_new_accounts import _policy

Headers = dict[str, str]


def _post_on(client: TestClient, reader: Headers, thread: str, text: str, **article: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text, **article}, headers=reader)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def _action(me: dict[str, Any], action_id: int) -> dict[str, Any]:
    return {a["id"]: a for a in me["actions"]}[action_id]  # type: ignore[no-any-return]


def test_the_notices_carry_the_comment_and_its_article(client: TestClient) -> None:
    """A warning for a comment on one article, a premoderation for one on an article created without an
    address, then a ban for the first: each notice names its comment as its action does, with the article."""
    reader = auth("noticed-reader")
    account = _me(client, reader)["id"]
    budget = _post_on(client, reader, "budget-2027", "The budget is a disgrace.",
                      url="https://news.example/politics/budget-2027?ref=home#top", title="The “budget” of 2027")
    bare = _post(client, reader, "A remark on an article created without an address.")
    warned = _sanction(client, account, "warn", "Tone", comment_id=budget["id"])
    premod = _sanction(client, account, "premoderate", "Watching", comment_id=bare["id"])
    me = _me(client, reader)

    named = me["warning"]["comment"]
    assert named == _action(me, warned)["comment"]
    assert named["id"] == budget["id"] and named["thread"] == "budget-2027" and named["status"] == "published"
    assert named["url"] == "https://news.example/politics/budget-2027?ref=home#top"
    assert named["title"] == "The “budget” of 2027"

    held = me["premoderation"]
    assert held["source"] == "sanction" and held["comment"] == _action(me, premod)["comment"]
    assert held["comment"]["id"] == bare["id"] and held["comment"]["thread"] == "article-1"
    assert held["comment"]["url"] is None and held["comment"]["title"] is None  # created without them

    banned = _sanction(client, account, "ban", "Enough", comment_id=budget["id"])
    me = _me(client, reader)
    assert me["sanction"]["action_id"] == banned and me["sanction"]["comment"] == named
    assert me["warning"]["comment"] == named and me["premoderation"]["comment"] == held["comment"]


def test_a_sanction_on_the_account_as_a_whole_names_no_comment(client: TestClient) -> None:
    reader = auth("whole-account")
    account = _me(client, reader)["id"]
    _post(client, reader, "Hello.")
    _sanction(client, account, "warn", "Tone")
    _sanction(client, account, "suspend", "Cooling off", hours=24)
    me = _me(client, reader)
    assert me["sanction"]["sanction"] == "suspend" and me["sanction"]["comment"] is None
    assert me["warning"]["comment"] is None


def test_the_ladders_warning_carries_the_refused_comment(app: Townhall, client: TestClient) -> None:
    """The rules refuse an abusive comment with a strike and the ladder warns: the warning notice names the
    refused comment itself, on the article the widget sent with it."""
    reader = auth("ladder-reader")
    r = client.post(T, json={"text": abusive_texts(app)[0], "url": "http://news.example/a1", "title": "Article one"},
                    headers=reader)
    assert r.status_code == 422, r.text
    me = _me(client, reader)
    comment = me["warning"]["comment"]
    assert comment == me["actions"][0]["comment"] and comment["status"] == "rejected"
    assert comment["url"] == "http://news.example/a1" and comment["title"] == "Article one"


def test_a_new_accounts_premoderation_names_no_comment(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    """``premoderate_new_accounts``: holding a new reader's comments is no action and was for no comment."""
    app = make_app(db_url, policy=str(_policy(tmp_path, True)))
    with TestClient(app, raise_server_exceptions=False) as client:
        reader = auth("new-reader")
        assert _post(client, reader, "My first comment.")["status"] == "held"
        held = _me(client, reader)["premoderation"]
        assert held["source"] == "new_account" and held["comment"] is None


@pytest.mark.parametrize("url, shown", [
    ("https://news.example/a", "https://news.example/a"),
    ("HTTP://News.Example/b?x=1", "HTTP://News.Example/b?x=1"),
    ("/articles/c", "/articles/c"),  # a path on the publisher's site (the demo page's data-url is one)
    ("javascript:alert(document.cookie)", None),
    ("JavaScript:alert(1)//https://news.example/", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("java\nscript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("\u0001javascript:alert(1)", None),
    (" javascript:alert(1)", None),
    ("https:alert(1)", None),  # no host
    ("news.example/d", None),  # neither absolute nor a path: a page would read it relative to itself
    ("mailto:editor@news.example", None),
    ("//elsewhere.example/e", None),  # not a path: another host
    ("/\\elsewhere.example/f", None),  # which browsers read as //elsewhere.example/f
])
def test_only_an_address_a_page_can_follow_safely_is_given(app: Townhall, client: TestClient, url: str,
                                                           shown: str | None) -> None:
    """The first commenter of a thread sends its address (the API refuses one that is no web address since:
    tests/api/test_article_url.py); whatever a thread stored before, the notice gets a safe one or none (the
    title is text, shown as such)."""
    with app.services.db.write() as conn:  # a thread stored before the API checked its address
        content.insert_thread(conn, site_id="default", external_id="addressed", url=url, title="<b>Title</b>",
                              now=app.services.now())
    reader = auth("address-reader")
    account = _me(client, reader)["id"]
    comment = _post_on(client, reader, "addressed", "Hello there.")
    _sanction(client, account, "warn", "Tone", comment_id=comment["id"])
    named = _me(client, reader)["warning"]["comment"]
    assert named["url"] == shown and named["title"] == "<b>Title</b>"


def test_the_title_is_one_line_without_control_or_bidirectional_characters(app: Townhall, client: TestClient) -> None:
    """The title is the first commenter's text (or an archive's): a right-to-left override in it would show the
    rest of the notice backwards, and a line break or a control character is nothing a title needs."""
    with app.services.db.write() as conn:  # an imported title, or one sent through the API (it takes any text)
        content.insert_thread(conn, site_id="default", external_id="odd-title", url="/a", now=app.services.now(),
                              title="Budget\n\u202egnp.exe\u202c\r\n\x1b[2Jvote\x07 \u2066x\u2069\u200f")
        content.insert_thread(conn, site_id="default", external_id="no-title", url="/b", now=app.services.now(),
                              title="\u202e \n\x07")
    reader = auth("title-reader")
    account = _me(client, reader)["id"]
    for thread in ("odd-title", "no-title"):
        comment = _post_on(client, reader, thread, "Hello there.")
        _sanction(client, account, "warn", f"Tone on {thread}", comment_id=comment["id"])
    titles = {a["comment"]["thread"]: a["comment"]["title"] for a in _me(client, reader)["actions"]}
    assert titles == {"odd-title": "Budget gnp.exe [2Jvote x", "no-title": None}


def test_where_a_site_names_its_pages_only_an_address_on_them_is_given(app: Townhall, client: TestClient) -> None:
    moderators.update_site(app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example", "https://www.news.example/"])
    reader = auth("origins-reader")
    account = _me(client, reader)["id"]
    sent = {"ours": "https://news.example/a", "www": "HTTPS://WWW.news.example/b", "path": "/c",
            "theirs": "https://news.example.evil.example/d", "port": "https://news.example:8443/e",
            "plain": "http://news.example/f"}
    ids = {}
    for name, url in sent.items():
        comment = _post_on(client, reader, f"origin-{name}", "Hello.", url=url)
        ids[_sanction(client, account, "warn", f"Tone on {name}", comment_id=comment["id"])] = name
    shown = {ids[a["id"]]: a["comment"]["url"] for a in _me(client, reader)["actions"]}
    assert shown == {"ours": sent["ours"], "www": sent["www"], "path": "/c", "theirs": None, "port": None, "plain": None}


def test_openapi_describes_the_notices_comment_and_its_article(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    ref = {"$ref": "#/components/schemas/ActionCommentOut"}
    for name in ("SanctionOut", "PremoderationOut", "ActionOut"):
        assert ref in schemas[name]["properties"]["comment"]["anyOf"], name
    out = schemas["ActionCommentOut"]
    assert set(out["required"]) == {"id", "thread", "url", "title", "created_at", "status", "excerpt"}
    assert {"type": "null"} in out["properties"]["url"]["anyOf"] and {"type": "null"} in out["properties"]["title"]["anyOf"]
