"""A site's announcement (Coral's site-wide "Announcement"): its moderators set one short message shown above the
comments of every article of the site (``PUT`` / ``DELETE /api/v1/mod/announcement``, ``townhall announce``),
optionally until a time after which it disappears by itself; read publicly (``GET /api/v1/announcement``) and in the
thread of every comments listing, cached pages included, at once. Through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.fixtures_app import AppFactory, Clock, auth, make_token
from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import announcements, moderators
from townhall.service.errors import Forbidden
from townhall.service.identity import Actor
from townhall.store import content
from townhall.store.schema import ActorKind, Role

MOD_PATH = "/api/v1/mod/announcement"
PUBLIC = "/api/v1/announcement"
MOD = auth("editor", role="moderator")
CLOSING = "Comments on election coverage close at 22:00 tonight."
SIGN_IN = "We are moving to a new sign-in on Monday.\n\nYour account stays as it is."


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    return make_app(db_url, page_cache_seconds=0)


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def put(client: TestClient, body: Any, who: dict[str, str] = MOD, **params: str) -> Any:
    return client.put(MOD_PATH, json=body, headers=who, params=params)


def ok(client: TestClient, body: dict[str, Any], **params: str) -> dict[str, Any]:
    r = put(client, body, **params)
    assert r.status_code == 200, r.text
    return r.json()["announcement"]  # type: ignore[no-any-return]


def public(client: TestClient, **params: str) -> Any:
    r = client.get(PUBLIC, params=params)
    assert r.status_code == 200, r.text
    return r.json()["announcement"]


def on_thread(client: TestClient, thread: str = "story-1", **params: Any) -> Any:
    r = client.get(f"/api/v1/threads/{thread}/comments", params=params)
    assert r.status_code == 200, r.text
    return r.json()["thread"]["announcement"]


def refused(r: Any, field: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert set(err) == {"code", "message", "details"} and err["code"] == "invalid", err
    assert err["details"]["field"] == field, err
    return err  # type: ignore[no-any-return]


def entries(app: Townhall) -> list[dict[str, Any]]:
    from townhall.store import moderation

    with app.services.db.read() as conn:
        return [dict(e) for e in moderation.audit_entries(conn, action="site.announcement")]


def test_set_shown_on_every_thread_changed_and_cleared_and_audited(client: TestClient, app: Townhall,
                                                                  clock: Clock) -> None:
    assert public(client) is None and on_thread(client) is None
    until = (clock.now + timedelta(hours=5)).replace(microsecond=0)
    shown = ok(client, {"text": "  " + CLOSING + "  \r\n", "until": until.astimezone().isoformat()})
    assert shown == {"text": CLOSING, "until": until.isoformat(), "since": clock.now.isoformat()}
    assert public(client) == shown
    # every article of the site, one with comments or none (not even a thread yet), signed in or out
    post = client.post("/api/v1/threads/story-2/comments", json={"text": "First!"}, headers=auth("alice"))
    assert post.status_code == 201, post.text
    for thread in ("story-1", "story-2", "a/path?x=1".replace("?", "%3F")):
        assert on_thread(client, thread) == {"text": CLOSING, "until": until.isoformat()}
    r = client.get("/api/v1/threads/story-2/comments", headers=auth("alice"))
    assert r.json()["thread"]["announcement"] == {"text": CLOSING, "until": until.isoformat()}
    root = post.json()["comment"]["id"]
    r = client.get("/api/v1/threads/story-2/comments", params={"root": root})  # a reply page too
    assert r.json()["thread"]["announcement"]["text"] == CLOSING
    # the same again: kept as set (no entry); another text without an end replaces it
    assert ok(client, {"text": CLOSING, "until": until.isoformat()}) == shown
    clock.advance(minutes=1)
    replaced = ok(client, {"text": SIGN_IN + "\r\n\r\n\r\n"})
    assert replaced == {"text": SIGN_IN, "until": None, "since": clock.now.isoformat()}
    assert on_thread(client, "story-2") == {"text": SIGN_IN, "until": None}
    assert client.delete(MOD_PATH, headers=MOD).status_code == 204
    assert public(client) is None and on_thread(client, "story-2") is None
    assert client.delete(MOD_PATH, headers=MOD).status_code == 204  # none: nothing happens
    got = entries(app)
    assert [(e["actor"], e["subject_type"], e["subject_id"], e["site_id"]) for e in got] == [
        ("sso:default:editor", "site", "default", "default")] * 3
    assert [e["details"] for e in got] == [
        {"from": {"text": None, "until": None}, "to": {"text": CLOSING, "until": until.isoformat()}},
        {"from": {"text": CLOSING, "until": until.isoformat()}, "to": {"text": SIGN_IN, "until": None}},
        {"from": {"text": SIGN_IN, "until": None}, "to": {"text": None, "until": None}}]


def test_the_patch_of_a_thread_answers_with_it_as_the_listing_does(client: TestClient) -> None:
    ok(client, {"text": CLOSING})
    r = client.patch("/api/v1/mod/threads/story-1", json={"title": "Story"}, headers=MOD)
    assert r.status_code == 200, r.text
    assert r.json()["announcement"] == {"text": CLOSING, "until": None}
    assert r.json() == client.get("/api/v1/threads/story-1/comments").json()["thread"]


def test_it_disappears_by_itself_at_until(client: TestClient, clock: Clock) -> None:
    ok(client, {"text": CLOSING, "until": (clock.now + timedelta(minutes=30)).isoformat()})
    clock.advance(minutes=29, seconds=59)
    assert public(client)["text"] == CLOSING and on_thread(client)["text"] == CLOSING
    clock.advance(seconds=1)
    assert public(client) is None and on_thread(client) is None
    # an expired one is gone: a new one is set afresh, and clearing what expired tells the audit log nothing
    assert client.delete(MOD_PATH, headers=MOD).status_code == 204
    assert ok(client, {"text": CLOSING})["since"] == clock.now.isoformat()


@pytest.mark.parametrize("cache", [300, 1])
def test_signed_out_readers_cached_pages_show_a_change_and_an_expiry_at_once(make_app: AppFactory, db_url: str,
                                                                             clock: Clock, cache: int) -> None:
    """Signed-out readers' first pages are cached per thread (page_cache_seconds); the announcement is added when
    answering, so a change reaches every thread's cached page, and an expiry hides it, without waiting."""
    app = make_app(db_url, page_cache_seconds=cache)
    with TestClient(app, raise_server_exceptions=False) as client:
        for thread in ("one", "two"):
            assert on_thread(client, thread) is None  # now cached
        with app.services.db.write() as conn:  # a change that tells no one: the cached pages still show the old
            content.insert_thread(conn, site_id="default", external_id="one", url=None, title="Quiet", now=clock.now)
        r = client.get("/api/v1/threads/one/comments")
        assert r.json()["thread"]["title"] is None  # the cached page indeed
        ok(client, {"text": CLOSING, "until": (clock.now + timedelta(minutes=10)).isoformat()})
        assert on_thread(client, "one")["text"] == CLOSING and on_thread(client, "two")["text"] == CLOSING
        r = client.get("/api/v1/threads/one/comments")
        assert r.json()["thread"]["title"] is None  # still the page cached before: no page was dropped or rebuilt
        assert json.loads(r.content) == r.json() and r.headers["content-type"] == "application/json"
        ok(client, {"text": SIGN_IN, "until": (clock.now + timedelta(minutes=10)).isoformat()})
        assert on_thread(client, "one")["text"] == SIGN_IN and on_thread(client, "two")["text"] == SIGN_IN
        clock.advance(minutes=10)
        assert on_thread(client, "one") is None and on_thread(client, "two") is None
        ok(client, {"text": CLOSING})
        assert client.delete(MOD_PATH, headers=MOD).status_code == 204
        assert on_thread(client, "one") is None and on_thread(client, "two") is None


def test_each_site_has_its_own(client: TestClient, app: Townhall) -> None:
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    other_mod = {"Authorization": "Bearer " + make_token("omod", role="moderator", secret=secret)}
    r = client.put(MOD_PATH, json={"text": SIGN_IN}, headers=other_mod, params={"site": "other"})
    assert r.status_code == 200, r.text
    assert public(client) is None and on_thread(client) is None
    assert public(client, site="other")["text"] == SIGN_IN and on_thread(client, site="other")["text"] == SIGN_IN
    r = client.get(PUBLIC, headers={"X-Townhall-Site": "other"})
    assert r.json()["announcement"]["text"] == SIGN_IN
    nowhere = client.get(PUBLIC, params={"site": "nowhere"})
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "not_found"
    r = client.put(MOD_PATH, json={"text": "x"}, headers=MOD, params={"site": "nowhere"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "Unknown site."  # no token is of no site


def test_only_the_sites_moderators_may_set_or_clear_it(client: TestClient, app: Townhall) -> None:
    assert put(client, {"text": CLOSING}, who={}).status_code == 401
    reader = put(client, {"text": CLOSING}, who=auth("alice"))
    assert reader.status_code == 403 and set(reader.json()["error"]) == {"code", "message", "details"}
    assert public(client) is None
    ok(client, {"text": CLOSING})
    assert client.delete(MOD_PATH, headers=auth("alice")).status_code == 403
    assert client.delete(MOD_PATH).status_code == 401
    # another site's moderator: its token is not the default site's, and as a dashboard moderator of its own site
    # only, the service refuses them
    secret = moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    other_mod = {"Authorization": "Bearer " + make_token("omod", role="moderator", secret=secret)}
    assert put(client, {"text": SIGN_IN}, who=other_mod).status_code == 401
    actor = Actor(ActorKind.MODERATOR, "mod:o@example.org", Role.MODERATOR, frozenset({"other"}))
    with pytest.raises(Forbidden):
        announcements.put(app.services, actor, "default", SIGN_IN)
    with pytest.raises(Forbidden):
        announcements.clear(app.services, actor, "default")
    assert public(client)["text"] == CLOSING and len(entries(app)) == 1


def test_a_thousand_characters_after_trimming_and_no_more(client: TestClient) -> None:
    longest = "\n\n".join(["x" * 498, "y" * 500])
    assert ok(client, {"text": "\r\n " + longest.replace("\n", "\r\n") + "  \r\n"})["text"] == longest
    err = refused(put(client, {"text": longest + "z"}), "text")
    assert err["details"]["max_length"] == 1000 and "'text'" in err["message"] and "'message'" not in err["message"]
    assert public(client)["text"] == longest


@pytest.mark.parametrize(("text", "character"), [
    ("Comments close\tat ten.", "U+0009"), ("Comments close.\x1b[31m", "U+001B"), ("Close \u202eat ten.", "U+202E"),
    ("Close \u2066at\u2069 ten.", "U+2066"), ("Close at \u200ften.", "U+200F"),
])
def test_control_and_bidi_characters_are_refused(client: TestClient, text: str, character: str) -> None:
    err = refused(put(client, {"text": text}), "text")
    assert err["details"]["character"] == character and character in err["message"] and "'text'" in err["message"]
    assert public(client) is None


@pytest.mark.parametrize("text", ["", "   ", " \r\n\r\n "])
def test_a_blank_text_is_refused(client: TestClient, text: str) -> None:
    err = refused(put(client, {"text": text}), "text")
    assert "empty" in err["message"]
    assert public(client) is None


@pytest.mark.parametrize("until", [
    "tomorrow", "2026-13-01T00:00:00Z", "2030-01-01T10:00:00",  # not a time; no time zone
    "0001-01-01T00:00:00+01:00", "x" * 64])
def test_an_until_that_is_no_time_with_a_zone_is_refused(client: TestClient, until: str) -> None:
    err = refused(put(client, {"text": CLOSING, "until": until}), "until")
    assert "'until'" in err["message"]
    assert public(client) is None


def test_until_must_be_ahead_and_within_366_days(client: TestClient, clock: Clock) -> None:
    for past in (clock.now, clock.now - timedelta(seconds=1), clock.now - timedelta(days=400)):
        err = refused(put(client, {"text": CLOSING, "until": past.isoformat()}), "until")
        assert "future" in err["message"]
    err = refused(put(client, {"text": CLOSING, "until": (clock.now + timedelta(days=366, seconds=1)).isoformat()}),
                  "until")
    assert "366 days" in err["message"] and err["details"]["latest"] == (clock.now + timedelta(days=366)).isoformat()
    assert public(client) is None
    latest = clock.now + timedelta(days=366)
    assert ok(client, {"text": CLOSING, "until": latest.isoformat()})["until"] == latest.isoformat()
    soonest = (clock.now + timedelta(seconds=1)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert ok(client, {"text": CLOSING, "until": soonest})["until"] == (clock.now + timedelta(seconds=1)).isoformat()


@pytest.mark.parametrize("body", [
    {}, {"until": "2030-01-01T00:00:00Z"}, {"text": 5}, {"text": None}, {"text": ["a"]}, {"text": "x" * 4001},
    {"text": "a\x00b"}, {"text": CLOSING, "until": 5}, {"text": CLOSING, "until": "x" * 65},
    {"text": CLOSING, "colour": "red"}, [CLOSING]])
def test_a_body_the_schema_refuses(client: TestClient, body: Any) -> None:
    r = put(client, body)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert set(err) == {"code", "message", "details"} and err["code"] == "invalid", err
    assert public(client) is None


def test_the_command_line_sets_and_clears_it(app: Townhall, client: TestClient, db_url: str, clock: Clock) -> None:
    def cli(*args: str) -> Any:
        return CliRunner().invoke(build_cli(), ["announce", "--db", db_url, *args])

    until = (clock.now + timedelta(hours=3)).replace(microsecond=0)
    on = cli(CLOSING, "--until", until.isoformat().replace("+00:00", "Z"))
    assert on.exit_code == 0, on.output
    assert json.loads(on.output)["announcement"]["text"] == CLOSING
    assert json.loads(on.output)["announcement"]["until"] == until.isoformat()
    app.services.forget_site("default")  # another process's change: this one sees it within cache_seconds
    assert public(client)["text"] == CLOSING and on_thread(client)["until"] == until.isoformat()
    for args, code, said in [((CLOSING, "--clear"), 2, "--clear"), ((), 2, "TEXT"),
                             (("Close \u202eat ten.",), 1, "U+202E"), ((CLOSING, "--until", "tonight"), 1, "'until'"),
                             ((CLOSING, "--until", (clock.now - timedelta(minutes=1)).isoformat()), 1, "future"),
                             (("x", "--site", "nowhere"), 1, "No such site")]:
        bad = cli(*args)
        assert bad.exit_code == code and said in bad.output, (args, bad.output)
    off = cli("--clear")
    assert off.exit_code == 0 and json.loads(off.output) == {"announcement": None}, off.output
    app.services.forget_site("default")
    assert public(client) is None
    assert [(e["actor"], e["details"]["to"]["text"]) for e in entries(app)] == [("cli", CLOSING), ("cli", None)]
