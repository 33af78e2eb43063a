"""An article's message (Coral's per-story "Message box"): a moderator or the publisher sets a short plain text shown
above the article's comments (``PATCH /api/v1/mod/threads/{thread} {"message": …}``, ``townhall threads set
--message``); the thread object of the comments list carries it, signed-out readers' cached pages drop it at once,
and open widgets are told (``thread.message``). With it, the gaps closed in the same call: an empty body is refused
instead of registering an empty thread, and titles refuse tabs, other control characters and bidirectional
controls. Through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.api.test_live_audit import Stream, subscribed
from tests.fixtures_app import AppFactory, LiveServer, auth
from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.store import content

THREAD = "debate-2026"
PATH = "/api/v1/mod/threads/" + THREAD
COMMENTS = f"/api/v1/threads/{THREAD}/comments"
MOD = auth("editor", role="moderator")
TOPIC = "Please keep to the topic: the candidates' debate."
QUESTION = "What did you make of it?\nTell us below."


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    return make_app(db_url, page_cache_seconds=0)  # signed-out pages read afresh


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def patch(client: TestClient, body: Any, who: dict[str, str] = MOD) -> Any:
    return client.patch(PATH, json=body, headers=who)


def ok(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = patch(client, body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def thread(client: TestClient) -> dict[str, Any]:
    r = client.get(COMMENTS)
    assert r.status_code == 200, r.text
    return r.json()["thread"]  # type: ignore[no-any-return]


def audit(client: TestClient) -> list[dict[str, Any]]:
    lines = client.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=MOD).text.splitlines()
    return [json.loads(line) for line in lines]


def stored(app: Townhall) -> Any:
    with app.services.db.read() as conn:
        return content.get_thread(conn, "default", THREAD)


def test_the_message_is_set_shown_normalised_changed_and_cleared_and_audited(client: TestClient) -> None:
    assert thread(client)["message"] is None  # no thread yet: none
    shown = ok(client, {"message": TOPIC})  # creates the thread
    assert shown["message"] == TOPIC and thread(client)["message"] == TOPIC
    # paragraphs: \r\n as \n, trailing spaces of a line, more than one empty line and the ends trimmed
    sent = "  \r\n" + TOPIC + "   \r\n\r\n\r\n\r\nWhat did you make of it?\rTell us below.\u2029Thanks.  \n\n"
    assert ok(client, {"message": sent})["message"] == TOPIC + "\n\n" + QUESTION + "\nThanks."
    assert ok(client, {"message": TOPIC + "\n\n" + QUESTION + "\nThanks."})["message"] == TOPIC + "\n\n" + QUESTION + "\nThanks."
    assert ok(client, {"title": "The debate"})["message"] == TOPIC + "\n\n" + QUESTION + "\nThanks."  # left out: stays
    assert ok(client, {"message": None})["message"] is None
    ok(client, {"message": QUESTION})
    for blank in ("", "  \n\t \r\n "):  # "" or nothing but whitespace: cleared
        assert ok(client, {"message": blank})["message"] is None
        ok(client, {"message": QUESTION})
    assert thread(client)["message"] == QUESTION
    entries = audit(client)
    assert all(e["action"] == "thread.updated" and e["actor"] == "sso:default:editor" for e in entries)
    changes = [e["details"]["changed"] for e in entries]
    assert entries[0]["details"] == {"created": True, "changed": {"message": {"from": None, "to": TOPIC}}}
    assert changes[1] == {"message": {"from": TOPIC, "to": TOPIC + "\n\n" + QUESTION + "\nThanks."}}
    assert changes[2] == {"title": {"from": None, "to": "The debate"}}  # the same text again: no entry
    assert changes[3] == {"message": {"from": TOPIC + "\n\n" + QUESTION + "\nThanks.", "to": None}}
    on, off = {"message": {"from": None, "to": QUESTION}}, {"message": {"from": QUESTION, "to": None}}
    assert changes[4:] == [on, off, on, off, on]


def test_a_thousand_characters_after_trimming_and_no_more(client: TestClient, app: Townhall) -> None:
    longest = "\n\n".join(["x" * 498, "y" * 500])  # 1,000 with the line breaks
    assert ok(client, {"message": "\r\n " + longest.replace("\n", "\r\n") + "  \r\n"})["message"] == longest
    r = patch(client, {"message": longest + "z"})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid" and err["details"]["field"] == "message" and err["details"]["max_length"] == 1000
    assert "1000" in err["message"] and stored(app)["message"] == longest


@pytest.mark.parametrize(("text", "character"), [
    ("Keep to\tthe topic.", "U+0009"),
    ("Keep to the topic.\x1b[31m", "U+001B"),
    ("Keep to the topic.\x07", "U+0007"),
    ("Keep to the topic.\x85More.", "U+0085"),
    ("Keep \u202eto the topic.", "U+202E"),
    ("Keep \u2066to\u2069 the topic.", "U+2066"),
    ("Keep to the \u200ftopic.", "U+200F"),
    ("Keep to the \u061ctopic.", "U+061C"),
])
def test_control_and_bidi_characters_are_refused_in_a_message(client: TestClient, app: Townhall, text: str,
                                                               character: str) -> None:
    r = patch(client, {"message": text})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert set(err) == {"code", "message", "details"} and err["code"] == "invalid", err
    assert err["details"]["field"] == "message" and err["details"]["character"] == character, err
    assert "'message'" in err["message"] and character in err["message"], err
    assert stored(app) is None  # nothing stored, no thread made


@pytest.mark.parametrize("body", [{"message": 5}, {"message": ["a"]}, {"message": "x" * 4001}, {"message": "a\x00b"}])
def test_a_message_that_is_no_text_is_refused_by_the_body_schema(client: TestClient, app: Townhall, body: Any) -> None:
    r = patch(client, body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"][:2] == ["body", "message"]
    assert stored(app) is None
    assert ok(client, {"message": "a" * 1000})["message"] == "a" * 1000  # text is taken


@pytest.mark.parametrize(("title", "character"), [
    ("Budget\tvote", "U+0009"), ("Budget vote\x1b[2J", "U+001B"), ("Budget \u202eetov", "U+202E"),
    ("Budget \u2067vote\u2069", "U+2067"), ("\u200eBudget vote", "U+200E"), ("Budget\x7fvote", "U+007F"),
])
def test_titles_refuse_tabs_control_characters_and_bidi_controls(client: TestClient, app: Townhall, title: str,
                                                                  character: str) -> None:
    r = patch(client, {"title": title})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["details"]["field"] == "title" and err["details"]["character"] == character and "'title'" in err["message"]
    assert stored(app) is None
    assert ok(client, {"title": "Budget vote – ünïcode, 😀 and \u200d joiners"})["title"].startswith("Budget vote")


def test_an_empty_body_is_refused_and_registers_nothing(client: TestClient, app: Townhall) -> None:
    r = patch(client, {})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert set(err) == {"code", "message", "details"} and err["code"] == "invalid", err
    assert "No field was given" in err["message"] and "message" in err["details"]["fields"], err
    assert stored(app) is None and audit(client) == []
    assert patch(client, {}, who=auth("alice")).status_code == 403  # a reader is refused first, as before
    # one field, null included, is enough to register the article
    assert ok(client, {"message": None}) == {**thread(client), "message": None}
    assert stored(app) is not None
    assert patch(client, {}).status_code == 422  # nor does an existing thread take an empty change


def test_only_the_sites_moderators_may_set_it(client: TestClient, app: Townhall) -> None:
    assert patch(client, {"message": TOPIC}, who=auth("alice")).status_code == 403
    assert stored(app) is None
    assert ok(client, {"message": TOPIC})["message"] == TOPIC
    assert patch(client, {"message": None}, who=auth("alice")).status_code == 403
    assert thread(client)["message"] == TOPIC


def test_signed_out_readers_cached_page_shows_a_new_message_at_once(make_app: AppFactory, db_url: str) -> None:
    """Signed-out readers' first pages are cached (page_cache_seconds); the message's event drops them, as a change
    of premoderation or a closing does."""
    app = make_app(db_url, page_cache_seconds=300)
    with TestClient(app, raise_server_exceptions=False) as client:
        ok(client, {"title": "Before"})
        assert thread(client)["message"] is None  # the first page, now cached
        with app.services.db.write() as conn:  # a change that tells no one: the cached page still shows the old
            content.update_thread(conn, int(stored(app)["id"]), title="After")
        assert thread(client)["title"] == "Before"
        ok(client, {"message": TOPIC})
        assert thread(client)["message"] == TOPIC and thread(client)["title"] == "After"
        ok(client, {"message": None})
        assert thread(client)["message"] is None


def test_open_widgets_are_told(make_app: AppFactory, db_url: str) -> None:
    """Over a real server's live stream: ``thread.message`` with the new text (null once cleared), and nothing for
    no change."""
    app = make_app(db_url, page_cache_seconds=0)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        stream = Stream(server, thread=THREAD)  # a widget open on an article nobody has commented on yet
        try:
            subscribed(app, 1, thread=THREAD)

            def send(body: dict[str, Any]) -> None:
                assert http.patch(PATH, json=body, headers=MOD).status_code == 200

            send({"message": " " + TOPIC + "\r\n"})
            assert [(k, d) for k, _, d in stream.events(bool)] == [
                ("thread.message", {"type": "thread.message", "message": TOPIC})]
            send({"message": TOPIC, "title": "The debate"})  # a title only: nothing to tell
            send({"message": None})
            assert [(k, d) for k, _, d in stream.events(bool)] == [
                ("thread.message", {"type": "thread.message", "message": None})]
        finally:
            stream.close()


def test_the_command_line_sets_and_clears_it(app: Townhall, client: TestClient, db_url: str) -> None:
    def cli(*args: str) -> Any:
        return CliRunner().invoke(build_cli(), ["threads", "set", THREAD, "--db", db_url, *args])

    on = cli("--message", TOPIC + "\n\n" + QUESTION)
    assert on.exit_code == 0 and json.loads(on.output)["message"] == TOPIC + "\n\n" + QUESTION, on.output
    assert thread(client)["message"] == TOPIC + "\n\n" + QUESTION
    shown = json.loads(on.output)  # the thread as the API shows it, the site's announcement included
    assert shown == {**thread(client), "count": shown["count"]} and shown["announcement"] is None
    bad = cli("--message", "Keep \u202eto the topic.")
    assert bad.exit_code == 1 and "'message'" in bad.output and "U+202E" in bad.output, bad.output
    both = cli("--message", TOPIC, "--clear-message")
    assert both.exit_code == 2 and "--clear-message" in both.output, both.output
    off = cli("--clear-message")
    assert off.exit_code == 0 and json.loads(off.output)["message"] is None, off.output
    assert [(e["actor"], e["details"]["changed"]) for e in audit(client)] == [
        ("cli", {"message": {"from": None, "to": TOPIC + "\n\n" + QUESTION}}),
        ("cli", {"message": {"from": TOPIC + "\n\n" + QUESTION, "to": None}})]
