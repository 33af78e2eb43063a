"""Premoderating one article (Coral's per-story "Pre-moderate all comments"): a moderator sets
``PATCH /api/v1/mod/threads/{thread} {"premoderated": true}`` (or ``townhall threads set --premoderate``), and every
new comment, reply or edit of a reader on that article the house rules would publish waits for a moderator, with
the hit ``article_premoderated``; the house rules still refuse what they refuse, moderators' own comments are not
held, no strike is counted, and other articles are not touched. Through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.api.test_live_audit import Stream, subscribed
from tests.fixtures_app import AppFactory, LiveServer, auth
from townhall.app import Townhall
from townhall.cli import build_cli

THREAD = "court-case"
OTHER = "weather"
PATH = "/api/v1/mod/threads/" + THREAD
MOD = auth("editor", role="moderator")
ADMIN = auth("chief", role="admin")
FINE = "The hearing is on Tuesday; the court will publish its ruling afterwards."
REASON = "Comments on this article are reviewed by a moderator before they appear."


def comments_of(thread: str) -> str:
    return f"/api/v1/threads/{thread}/comments"


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    return make_app(db_url, page_cache_seconds=0)  # signed-out pages read afresh


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def premoderate(client: TestClient, on: bool) -> dict[str, Any]:
    r = client.patch(PATH, json={"premoderated": on}, headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def post(client: TestClient, who: dict[str, str], text: str = FINE, thread: str = THREAD,
         parent_id: int | None = None) -> dict[str, Any]:
    r = client.post(comments_of(thread), json={"text": text, "parent_id": parent_id}, headers=who)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def visible(client: TestClient, who: dict[str, str] | None = None, thread: str = THREAD) -> list[int]:
    r = client.get(comments_of(thread), headers=who or {})
    assert r.status_code == 200, r.text
    out = []
    for c in r.json()["comments"]:
        out += [c["id"]] + [reply["id"] for reply in c["replies"]]
    return out


def held_queue(client: TestClient) -> dict[int, list[str]]:
    r = client.get("/api/v1/mod/queues/held", headers=MOD)
    assert r.status_code == 200, r.text
    return {c["id"]: [h["rule"] for h in c["decision"]["hits"]] for c in r.json()["items"]}


def decide(client: TestClient, comment_id: int, action: str = "approve") -> None:
    r = client.post(f"/api/v1/mod/comments/{comment_id}/decision", json={"action": action, "reason": "Checked."},
                    headers=MOD)
    assert r.status_code == 200, r.text


def test_a_comment_the_rules_publish_is_held_with_the_reason_until_a_moderator_approves_it(client: TestClient) -> None:
    shown = premoderate(client, True)
    assert shown["premoderated"] is True and shown["id"] == THREAD
    assert client.get(comments_of(THREAD)).json()["thread"]["premoderated"] is True
    alice = auth("alice")
    comment = post(client, alice)
    assert (comment["status"], comment["verdict"]) == ("held", "held")
    [hit] = comment["hits"]
    assert (hit["rule"], hit["action"], hit["description"], hit["strike"]) == ("article_premoderated", "hold", REASON, False)
    # its author sees it, awaiting review; nobody else does
    assert visible(client, alice) == [comment["id"]]
    assert visible(client) == [] and visible(client, auth("bob")) == []
    assert held_queue(client)[comment["id"]] == ["article_premoderated"]
    me = client.get("/api/v1/me", headers=alice).json()
    assert me["state"] == "active" and me["active_strikes"] == 0 and me["premoderation"] is None  # no sanction
    decide(client, comment["id"])
    assert visible(client) == [comment["id"]]


def test_a_reply_is_held_too_and_moderators_own_comments_are_not(client: TestClient) -> None:
    premoderate(client, True)
    note = post(client, MOD, "A note from the editors: comments here are checked first.")
    assert note["status"] == "published" and note["hits"] == []
    assert post(client, ADMIN, "And one from the editor-in-chief.")["status"] == "published"
    reply = post(client, auth("alice"), "Thank you for saying so.", parent_id=note["id"])
    assert reply["status"] == "held" and [h["rule"] for h in reply["hits"]] == ["article_premoderated"]
    assert reply["id"] not in visible(client)
    decide(client, reply["id"])
    assert reply["id"] in visible(client)


def test_a_premoderated_accounts_comment_carries_both_holds(client: TestClient) -> None:
    """Releasing the account's premoderation alone (an appeal, evasion found wrong) must not publish a comment the
    article still holds: it names both holds, so it is not among those the account's alone held."""
    premoderate(client, True)
    alice = auth("alice")
    first = post(client, alice, thread=OTHER)
    r = client.post(f"/api/v1/mod/accounts/{first['author']['id']}/sanctions",
                    json={"sanction": "premoderate", "reason": "Checked first for a while."}, headers=MOD)
    assert r.status_code == 201, r.text
    comment = post(client, alice)
    assert comment["status"] == "held"
    assert [h["rule"] for h in comment["hits"]] == ["premoderation", "article_premoderated"]


def test_other_articles_are_not_touched(client: TestClient) -> None:
    premoderate(client, True)
    elsewhere = post(client, auth("alice"), thread=OTHER)
    assert elsewhere["status"] == "published" and elsewhere["hits"] == []
    assert client.get(comments_of(OTHER)).json()["thread"]["premoderated"] is False


def test_a_comment_the_rules_refuse_stays_refused(client: TestClient) -> None:
    premoderate(client, True)
    r = client.post(comments_of(THREAD), json={"text": "What the fuck is this court doing."}, headers=auth("rude"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    assert [h["rule"] for h in r.json()["error"]["details"]["hits"]] == ["f_word"]
    assert r.json()["error"]["details"]["comment_id"] not in held_queue(client)


def test_turning_it_off_publishes_new_comments_and_leaves_the_held_ones_held(client: TestClient) -> None:
    premoderate(client, True)
    before = post(client, auth("alice"))
    assert premoderate(client, False)["premoderated"] is False
    after = post(client, auth("bob"), "The ruling is expected next month.")
    assert after["status"] == "published"
    assert visible(client) == [after["id"]]
    assert before["id"] in held_queue(client)


def test_an_edit_of_a_published_comment_waits_for_a_moderator(client: TestClient) -> None:
    """As under an account's premoderation, an edit is judged as a new text: it is held, and readers stop seeing
    the comment until a moderator approves the new text."""
    alice = auth("alice")
    comment = post(client, alice)
    assert comment["status"] == "published"
    premoderate(client, True)
    r = client.patch(f"/api/v1/comments/{comment['id']}", json={"text": FINE + " (Corrected: Wednesday.)"}, headers=alice)
    assert r.status_code == 200, r.text
    edited = r.json()["comment"]
    assert edited["status"] == "held" and [h["rule"] for h in edited["hits"]] == ["article_premoderated"]
    assert visible(client) == [] and visible(client, alice) == [comment["id"]]
    decide(client, comment["id"])
    assert visible(client) == [comment["id"]]


def test_the_change_is_audited_and_validated(client: TestClient) -> None:
    premoderate(client, True)  # creates the thread
    premoderate(client, True)  # no change: no entry
    premoderate(client, False)
    lines = client.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=MOD).text.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["action"], e["actor"]) for e in entries] == [("thread.updated", "sso:default:editor")] * 2
    assert entries[0]["details"] == {"created": True, "changed": {"premoderated": {"from": False, "to": True}}}
    assert entries[1]["details"] == {"changed": {"premoderated": {"from": True, "to": False}}}
    for bad in ("yes", 1, None, "true"):
        r = client.patch(PATH, json={"premoderated": bad}, headers=MOD)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid", (bad, r.text)
        assert r.json()["error"]["details"][0]["loc"] == ["body", "premoderated"]
    assert client.patch(PATH, json={"premoderated": True}, headers=auth("alice")).status_code == 403
    assert client.get(comments_of(THREAD)).json()["thread"]["premoderated"] is False


def test_open_widgets_are_told(make_app: AppFactory, db_url: str) -> None:
    """Over a real server's live stream: ``thread.premoderated`` with the new value, and nothing for no change."""
    app = make_app(db_url, page_cache_seconds=0)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        stream = Stream(server, thread=THREAD)  # a widget open on an article nobody has commented on yet
        try:
            subscribed(app, 1, thread=THREAD)

            def patch(body: dict[str, Any]) -> None:
                assert http.patch(PATH, json=body, headers=MOD).status_code == 200

            patch({"premoderated": True})
            assert [(k, d) for k, _, d in stream.events(bool)] == [
                ("thread.premoderated", {"type": "thread.premoderated", "premoderated": True})]
            patch({"premoderated": True, "title": "The court case"})  # a title only: nothing to tell
            patch({"premoderated": False})
            assert [(k, d) for k, _, d in stream.events(bool)] == [
                ("thread.premoderated", {"type": "thread.premoderated", "premoderated": False})]
        finally:
            stream.close()


def test_the_command_line_sets_it(app: Townhall, client: TestClient, db_url: str) -> None:
    def cli(*args: str) -> Any:
        return CliRunner().invoke(build_cli(), ["threads", "set", THREAD, "--db", db_url, *args])

    on = cli("--premoderate")
    assert on.exit_code == 0 and json.loads(on.output)["premoderated"] is True, on.output
    assert post(client, auth("alice"))["status"] == "held"
    off = cli("--no-premoderate")
    assert off.exit_code == 0 and json.loads(off.output)["premoderated"] is False, off.output
    assert post(client, auth("bob"))["status"] == "published"
    lines = client.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=MOD).text.splitlines()
    assert [(json.loads(line)["actor"], json.loads(line)["details"]["changed"]) for line in lines] == [
        ("cli", {"premoderated": {"from": False, "to": True}}), ("cli", {"premoderated": {"from": True, "to": False}})]
