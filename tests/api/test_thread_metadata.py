"""A thread's article data set by its publisher (``PATCH /api/v1/mod/threads/{thread}``, ``townhall threads set``,
imports): the title, the address and the publication date, from which the site's ``close_after_days`` counts.
Through the HTTP API on SQLite and PostgreSQL, with the app's clock (townhall.service.thread_metadata)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service.importers import disqus, wordpress
from townhall.service.importing import run_import
from townhall.store import content
from tests.api.test_live_audit import Stream, subscribed
from tests.fixtures_app import AppFactory, Clock, LiveServer, auth, closing_policy, make_token

DAYS = 30
THREAD = "budget-2026"
PATH = "/api/v1/mod/threads/" + THREAD
COMMENTS = f"/api/v1/threads/{THREAD}/comments"
FIXTURES = Path(__file__).parents[1] / "ops" / "fixtures"
OTHER_SECRET = "the-other-publisher-secret-long-enough"


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    return make_app(db_url, policy=str(closing_policy(tmp_path, DAYS)), page_cache_seconds=0)


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


MOD = {"role": "moderator"}


def _patch(client: TestClient, body: dict[str, Any], who: dict[str, str] | None = None, **kw: Any) -> Any:
    return client.patch(PATH, json=body, headers=auth("editor", **MOD) if who is None else who, **kw)


def _ok(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = _patch(client, body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _thread(client: TestClient) -> dict[str, Any]:
    r = client.get(COMMENTS)
    assert r.status_code == 200, r.text
    return r.json()["thread"]  # type: ignore[no-any-return]


def _post(client: TestClient, text: str, who: str = "alice") -> Any:
    return client.post(COMMENTS, json={"text": text}, headers=auth(who))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _refused_as_closed(r: Any) -> None:
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "rejected_by_house_rules" and [h["rule"] for h in err["details"]["hits"]] == ["closed_thread"]


def test_a_publisher_registers_an_article_before_any_comment(client: TestClient, clock: Clock) -> None:
    published = clock.now - timedelta(days=2)
    got = _ok(client, {"title": "Budget vote tonight", "url": "https://news.example/2026/budget",
                       "published_at": published.isoformat()})
    expected = {"id": THREAD, "title": "Budget vote tonight", "url": "https://news.example/2026/budget", "state": "open",
                "closed_reason": None, "closes_at": _iso(published + timedelta(days=DAYS)),
                "published_at": _iso(published), "premoderated": False, "message": None, "count": 0,
                "announcement": None}
    assert got == expected
    assert _thread(client) == expected  # the widget's listing shows the same thread
    # an offset is kept as the instant it names; a field left out stays as it is
    local = (clock.now - timedelta(days=1)).replace(microsecond=0).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    got = _ok(client, {"published_at": local + "-05:00"})
    assert got["published_at"] == _iso(datetime.fromisoformat(local + "-05:00")) and got["title"] == "Budget vote tonight"
    # a thread id with slashes (the widget's default: the page's address), as PUT …/state takes it
    slashed = client.patch("/api/v1/mod/threads/https://news.example/2026/budget", json={"title": "By address"},
                           headers=auth("editor", **MOD))
    assert slashed.status_code == 200 and slashed.json()["id"] == "https://news.example/2026/budget", slashed.text


def test_age_counts_from_the_publication_date_of_a_thread_first_commented_on_late(client: TestClient,
                                                                                   clock: Clock) -> None:
    """The first comment comes 40 days after the article was published: under a 30-day limit the thread is closed
    once the publisher says when that was, and a post is refused as on any closed thread."""
    started = clock.now
    assert _post(client, "The first comment, weeks after the article.").status_code == 201
    assert _thread(client)["state"] == "open"
    got = _ok(client, {"published_at": (started - timedelta(days=40)).isoformat()})
    assert (got["state"], got["closed_reason"]) == ("closed", "age")
    assert got["closes_at"] == _iso(started - timedelta(days=10)) and got["count"] == 1
    _refused_as_closed(_post(client, "Too late.", who="bob"))
    # cleared, the age counts from the thread's start again: open until 30 days after the first comment
    got = _ok(client, {"published_at": None})
    assert (got["state"], got["closes_at"], got["published_at"]) == ("open", _iso(started + timedelta(days=DAYS)), None)
    assert _post(client, "Open again.", who="bob").status_code == 201


def test_a_thread_registered_with_an_old_date_is_closed_from_the_start(client: TestClient, clock: Clock) -> None:
    got = _ok(client, {"published_at": (clock.now - timedelta(days=40)).isoformat()})
    assert (got["state"], got["closed_reason"], got["count"]) == ("closed", "age", 0)
    _refused_as_closed(_post(client, "The first comment, too late."))
    # a later date re-opens it, until 30 days after that date
    got = _ok(client, {"published_at": (clock.now - timedelta(days=29)).isoformat()})
    assert got["state"] == "open" and got["closes_at"] == _iso(clock.now + timedelta(days=1))
    assert _post(client, "In time.").status_code == 201
    clock.advance(days=1)
    _refused_as_closed(_post(client, "A day later.", who="bob"))


def test_a_moderators_keep_open_still_wins(client: TestClient, clock: Clock) -> None:
    _ok(client, {"published_at": (clock.now - timedelta(days=40)).isoformat()})
    r = client.put(PATH + "/state", json={"state": "open"}, headers=auth("editor", **MOD))
    assert r.status_code == 200 and r.json()["kept_open"] is True, r.text
    got = _ok(client, {"published_at": (clock.now - timedelta(days=400)).isoformat()})
    assert (got["state"], got["closed_reason"], got["closes_at"]) == ("open", None, None)
    assert _post(client, "Kept open by a moderator.").status_code == 201


def test_the_change_is_audited_with_the_fields_changed(client: TestClient, clock: Clock) -> None:
    published = clock.now - timedelta(days=3)
    _ok(client, {"title": "Budget", "published_at": published.isoformat()})
    _ok(client, {"title": "Budget", "published_at": published.isoformat()})  # no change: no entry
    _ok(client, {"title": "Budget vote", "url": "/2026/budget"})
    mod = auth("editor", **MOD)
    lines = client.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=mod).text.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["action"], e["subject_id"], e["actor"]) for e in entries] == [
        ("thread.updated", THREAD, "sso:default:editor")] * 2
    assert entries[0]["details"] == {"created": True, "changed": {
        "title": {"from": None, "to": "Budget"}, "published_at": {"from": None, "to": _iso(published)}}}
    assert entries[1]["details"] == {"changed": {"title": {"from": "Budget", "to": "Budget vote"},
                                                 "url": {"from": None, "to": "/2026/budget"}}}


def test_readers_are_told_when_the_date_opens_or_closes_the_thread(make_app: AppFactory, db_url: str, tmp_path: Path,
                                                                   clock: Clock) -> None:
    """Over a real server's live stream: ``thread.closed`` (with the reason) when a date closes the thread,
    ``thread.opened`` when clearing it opens the thread again, and nothing where readers see no change."""
    app = make_app(db_url, policy=str(closing_policy(tmp_path, DAYS)), page_cache_seconds=0)
    editor = auth("editor", **MOD)

    def patch(client: httpx.Client, body: dict[str, Any]) -> None:
        r = client.patch(PATH, json=body, headers=editor)
        assert r.status_code == 200, r.text

    def days_ago(days: int) -> str:
        return (clock.now - timedelta(days=days)).isoformat()

    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.post(COMMENTS, json={"text": "Opens the thread."}, headers=auth("alice")).status_code == 201
        stream = Stream(server, thread=THREAD)
        try:
            subscribed(app, 1, thread=THREAD)
            stream.settle(app, THREAD)  # the first comment's comment.published may come late through the relay
            patch(client, {"published_at": days_ago(5)})  # still open: nothing to tell
            patch(client, {"title": "Budget"})
            patch(client, {"published_at": days_ago(40)})
            assert [(k, d) for k, _, d in stream.events(bool)] == [("thread.closed", {"type": "thread.closed",
                                                                                     "closed_reason": "age"})]
            patch(client, {"published_at": days_ago(50)})  # closed either way
            patch(client, {"published_at": None})
            assert [k for k, _, _ in stream.events(bool)] == ["thread.opened"]
            # a thread a moderator closed stays closed whatever its date: nothing to tell
            assert client.put(PATH + "/state", json={"state": "closed"}, headers=editor).status_code == 200
            assert [k for k, _, _ in stream.events(bool)] == ["thread.closed"]
            patch(client, {"published_at": days_ago(40)})
            patch(client, {"published_at": None})
            marker = client.post(COMMENTS, json={"text": "x"}, headers=auth("bob"))
            assert marker.status_code == 422  # refused: no event
            assert client.put(PATH + "/state", json={"state": "open"}, headers=editor).status_code == 200
            assert [k for k, _, _ in stream.events(bool)] == ["thread.opened"]
        finally:
            stream.close()


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"published_at": "last tuesday"}, "published_at", "ISO 8601"),
    ({"published_at": "2026-11-27T08:00:00"}, "published_at", "time zone"),
    ({"published_at": "2026-11-27"}, "published_at", "time zone"),
    ({"published_at": "1989-12-31T23:59:59Z"}, "published_at", "1990-01-01 or later"),
    ({"published_at": "9999-12-31T23:59:59+00:00"}, "published_at", "at most a day ahead"),
    ({"published_at": 1767225600}, "published_at", ""),
    ({"url": "javascript:alert(1)"}, "url", "http"),
    ({"url": "//evil.example/x"}, "url", "http"),
    ({"url": "https://elsewhere.example/x"}, "url", "origins"),
    ({"title": "x" * 501}, "title", "at most 500"),
    ({"title": "Budget\nvote"}, "title", "one line"),
    ({"title": "Budget\u2028vote"}, "title", "one line"),
    ({"published": "2026-01-01T00:00:00Z"}, "published", ""),
])
def test_invalid_fields_are_refused_in_the_envelope(client: TestClient, app: Townhall, body: dict[str, Any],
                                                    field: str, words: str) -> None:
    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=["https://news.example"])
    app.services.forget_site("default")
    r = _patch(client, body)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    # the service's refusals name the field in the details; the body's schema, in each error's ``loc``
    assert set(err) == {"code", "message", "details"} and field in json.dumps(err) and words in json.dumps(err), err
    assert _thread(client)["published_at"] is None  # nothing was stored, no thread was made
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "default", THREAD) is None


def test_a_date_a_day_ahead_is_taken_and_a_moment_more_is_not(client: TestClient, clock: Clock) -> None:
    assert _patch(client, {"published_at": (clock.now + timedelta(days=1)).isoformat()}).status_code == 200
    late = _patch(client, {"published_at": (clock.now + timedelta(days=1, seconds=1)).isoformat()})
    assert late.status_code == 422 and late.json()["error"]["details"]["field"] == "published_at", late.text


def test_only_the_sites_moderators_and_publisher_may_set_it(client: TestClient, app: Townhall) -> None:
    body = {"published_at": "2000-01-01T00:00:00Z"}
    assert _patch(client, body, who={}).status_code == 401
    reader = _patch(client, body, who=auth("reader"))
    assert reader.status_code == 403 and set(reader.json()["error"]) == {"code", "message", "details"}
    with app.services.db.write() as conn:
        content.insert_site(conn, id="other", name="Other Paper", sso_secret=OTHER_SECRET, allow_guests=False,
                            auto_create_threads=True, policy_path=None, origins=[], created_at=app.services.now())
    other_mod = {"Authorization": "Bearer " + make_token("omod", role="moderator", secret=OTHER_SECRET)}
    assert _patch(client, body, who=other_mod, params={"site": "default"}).status_code == 401
    assert _patch(client, body, who={**other_mod, "x-townhall-site": "default"}).status_code == 401
    # on their own site, their own thread of that id: the default site's is untouched
    assert _patch(client, body, who=other_mod, params={"site": "other"}).status_code == 200
    assert _thread(client)["published_at"] is None
    # the dashboard's moderator of another site (an actor with its sites) is refused by the service
    from townhall.service.errors import Forbidden
    from townhall.service.identity import Actor
    from townhall.service.thread_metadata import ThreadChanges, update_thread
    from townhall.store.schema import ActorKind, Role

    actor = Actor(ActorKind.MODERATOR, "mod:o@example.org", Role.MODERATOR, frozenset({"other"}))
    with pytest.raises(Forbidden):
        update_thread(app.services, actor, "default", THREAD, ThreadChanges(title="x"))


def test_a_site_that_creates_no_threads_on_first_comment_gets_them_registered(client: TestClient, app: Townhall) -> None:
    with app.services.db.write() as conn:
        content.insert_site(conn, id="strict", name="Strict", sso_secret=OTHER_SECRET, allow_guests=False,
                            auto_create_threads=False, policy_path=None, origins=[], created_at=app.services.now())
    editor = {"Authorization": "Bearer " + make_token("ed", role="moderator", secret=OTHER_SECRET)}
    reader = {"Authorization": "Bearer " + make_token("rd", secret=OTHER_SECRET)}
    url = "/api/v1/threads/story-1/comments"
    assert client.post(url, params={"site": "strict"}, json={"text": "First!"}, headers=reader).status_code == 404
    r = client.patch("/api/v1/mod/threads/story-1", params={"site": "strict"}, json={"title": "Story"}, headers=editor)
    assert r.status_code == 200 and r.json()["title"] == "Story", r.text
    assert client.post(url, params={"site": "strict"}, json={"text": "First!"}, headers=reader).status_code == 201


def test_imports_store_the_articles_date_as_its_publication_date(app: Townhall, client: TestClient) -> None:
    # an existing thread without a date gets the archive's; one with a date keeps its publisher's
    with app.services.db.write() as conn:
        content.insert_thread(conn, site_id="default", external_id="russia-syria-drawdown", url=None, title=None,
                              now=app.services.now())
        content.insert_thread(conn, site_id="default", external_id="https://gazette.example/2024/05/budget-vote/",
                              url=None, title=None, now=app.services.now(),
                              published_at=datetime(2024, 5, 1, tzinfo=UTC))
    run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    run_import(app.services, wordpress.read((FIXTURES / "wordpress.xml").read_text(encoding="utf-8")), "default")
    with app.services.db.read() as conn:
        dated = {row["external_id"]: row["published_at"] for row in content.list_threads(conn, "default")}
    got = {key: value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
           for key, value in dated.items()}
    assert got["russia-syria-drawdown"] == datetime(2016, 3, 14, 18, tzinfo=UTC)
    assert got["https://gazette.example/2024/05/budget-vote/"] == datetime(2024, 5, 1, tzinfo=UTC)
    new = [k for k in got if k not in ("russia-syria-drawdown", "https://gazette.example/2024/05/budget-vote/")]
    assert new and all(got[k] is not None for k in new if "wp-" not in k), got
    r = client.get("/api/v1/threads/russia-syria-drawdown/comments")
    assert r.json()["thread"]["published_at"] == "2016-03-14T18:00:00+00:00" and r.json()["thread"]["closed_reason"] == "age"


def test_the_command_line_sets_it_through_the_same_rules(app: Townhall, client: TestClient, db_url: str,
                                                         clock: Clock, tmp_path: Path) -> None:
    policy = closing_policy(tmp_path, DAYS)
    def cli(*args: str) -> Any:
        return CliRunner().invoke(build_cli(), ["threads", "set", THREAD, "--db", db_url, *args],
                                  env={"TOWNHALL_POLICY": str(policy)})

    published = (clock.now - timedelta(days=40)).replace(microsecond=0)
    done = cli("--published-at", published.isoformat(), "--title", "Budget")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert (shown["published_at"], shown["title"], shown["closed_reason"]) == (_iso(published), "Budget", "age")
    assert _thread(client)["published_at"] == _iso(published)
    for args, message in [(("--published-at", "2026-11-27"), "time zone"),
                          (("--published-at", "1900-01-01T00:00:00Z"), "1990-01-01 or later"),
                          (("--url", "javascript:alert(1)"), "http"),
                          (("--title", "two\nlines"), "one line"),
                          (("--site", "nowhere", "--title", "x"), "No such site: nowhere."),
                          ((), "nothing to set"),
                          (("--published-at", "2020-01-01T00:00:00Z", "--clear-published-at"), "not both")]:
        failed = cli(*args)
        assert failed.exit_code != 0 and message in failed.output and "Traceback" not in failed.output, (args, failed.output)
    cleared = cli("--clear-published-at")
    assert cleared.exit_code == 0 and json.loads(cleared.output)["published_at"] is None, cleared.output
    lines = client.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=auth("editor", **MOD)).text
    assert [json.loads(line)["actor"] for line in lines.splitlines()] == ["cli", "cli"]


def test_the_rule_counts_from_the_publication_date_where_known() -> None:
    """townhall.policy.closing, pure: the publication date replaces the start; a moderator's keeping open wins."""
    from townhall.policy.closing import ClosedReason, thread_closure

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    args: dict[str, Any] = {"closed_by_moderator": False, "started_at": t0, "kept_open": False, "close_after_days": 30}
    late = thread_closure(**args, published_at=t0 - timedelta(days=40), now=t0)
    assert (late.reason, late.closes_at) == (ClosedReason.AGE, t0 - timedelta(days=10))
    assert thread_closure(**args, published_at=None, now=t0).closes_at == t0 + timedelta(days=30)
    kept = thread_closure(**{**args, "kept_open": True}, published_at=t0 - timedelta(days=40), now=t0)
    assert (kept.reason, kept.closes_at) == (None, None)
