"""``[comments] close_after_days = N``: a thread takes no new comments N days after it started, as if a moderator
had closed it, until a moderator opens it again. Through the HTTP API on SQLite and PostgreSQL with the app's
clock moved by hand; the loader's checks; and the rule itself (townhall.policy.closing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import click
import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.commands.policy import register
from townhall.policy import PolicyError, load_policy
from townhall.policy.closing import ClosedReason, thread_closure

from tests.api.test_live_audit import Stream, subscribed
from tests.fixtures_app import AppFactory, Clock, LiveServer, auth, closing_policy
from tests.policy.stubs import NoModelResources

THREAD = "old-news"
T = f"/api/v1/threads/{THREAD}/comments"
STATE = f"/api/v1/mod/threads/{THREAD}/state"
DAYS = 3


@pytest.fixture
def closing(make_app: AppFactory, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    # pages read afresh; a year-long edit window, so that an edit is refused for the thread, not for its age
    app = make_app(db_url, policy=str(closing_policy(tmp_path, str(DAYS))), page_cache_seconds=0, edit_window_minutes=525_600)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _who(clock: Clock, sub: str, **kw: Any) -> dict[str, str]:
    return auth(sub, **kw)  # (tokens are checked against the real time, not the app's clock the test moves)


def _post(client: Any, clock: Clock, text: str, who: str = "alice", **body: Any) -> Any:
    return client.post(T, json={"text": text, **body}, headers=_who(clock, who))


def _thread(client: TestClient) -> dict[str, Any]:
    r = client.get(T)
    assert r.status_code == 200, r.text
    return r.json()["thread"]  # type: ignore[no-any-return]


def _set(client: Any, clock: Clock, state: str) -> dict[str, Any]:
    r = client.put(STATE, json={"state": state}, headers=_who(clock, "mod", role="moderator"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_posting_is_allowed_before_the_limit_and_refused_from_it_like_a_closed_thread(closing: TestClient,
                                                                                        clock: Clock) -> None:
    started = clock.now
    assert _thread(closing) == {"id": THREAD, "title": None, "url": None, "state": "open", "closed_reason": None,
                                "closes_at": None, "published_at": None, "premoderated": False, "message": None, "count": 0,
                                "announcement": None}  # no thread yet: its age counts from its first comment
    first = _post(closing, clock, "The first comment starts the thread.")
    assert first.status_code == 201, first.text
    cid = first.json()["comment"]["id"]
    info = _thread(closing)
    assert info["state"] == "open" and info["closed_reason"] is None
    assert datetime.fromisoformat(info["closes_at"]) == started + timedelta(days=DAYS)
    clock.advance(days=DAYS, seconds=-1)
    assert _post(closing, clock, "Just in time.", who="bob").status_code == 201
    assert _post(closing, clock, "A reply, just in time.", who="bob", parent_id=cid).status_code == 201
    clock.advance(seconds=1)
    late = _post(closing, clock, "A day late.", who="bob")
    reply = _post(closing, clock, "A late reply.", who="bob", parent_id=cid)
    for refused in (late, reply):
        assert refused.status_code == 422, refused.text
        err = refused.json()["error"]
        assert err["code"] == "rejected_by_house_rules" and [h["rule"] for h in err["details"]["hits"]] == ["closed_thread"]
    info = _thread(closing)
    assert info["state"] == "closed" and info["closed_reason"] == "age" and info["count"] == 3
    # as on a thread a moderator closed: no edits (403 thread_closed), while reactions and reports still count
    edit = closing.patch(f"/api/v1/comments/{cid}", json={"text": "Edited late."}, headers=_who(clock, "alice"))
    assert edit.status_code == 403 and edit.json()["error"] == {
        "code": "thread_closed", "message": "Comments are closed on this article; its comments can no longer be edited.",
        "details": {"comment_id": cid}}, edit.text
    assert closing.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=_who(clock, "carol")).status_code == 200
    assert closing.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=_who(clock, "dave")).status_code == 201


def test_the_refusal_is_the_one_a_moderators_closing_gives(closing: TestClient, clock: Clock) -> None:
    assert _post(closing, clock, "Opens the thread.").status_code == 201
    _set(closing, clock, "closed")
    assert _thread(closing)["closed_reason"] == "moderator"
    by_moderator = _post(closing, clock, "Refused by a moderator's closing.", who="bob")
    _set(closing, clock, "open")  # before the limit: the age limit still applies later
    clock.advance(days=DAYS)
    by_age = _post(closing, clock, "Refused by the age limit.", who="bob")
    assert by_moderator.status_code == by_age.status_code == 422

    def envelope(r: Any) -> dict[str, Any]:
        err = r.json()["error"]
        return {**err, "details": {k: v for k, v in err["details"].items() if k not in ("comment_id", "text")}}

    assert envelope(by_moderator) == envelope(by_age)
    assert _thread(closing)["closed_reason"] == "age"
    _set(closing, clock, "closed")  # closed by a moderator as well: the moderator's reason is the one shown
    assert _thread(closing)["closed_reason"] == "moderator"


def test_a_moderator_opening_an_aged_thread_keeps_it_open_until_closed_again(closing: TestClient, clock: Clock) -> None:
    assert _post(closing, clock, "Opens the thread.").status_code == 201
    clock.advance(days=DAYS + 1)
    assert _thread(closing)["closed_reason"] == "age"
    assert _set(closing, clock, "open") == {"thread": THREAD, "state": "open", "closed_reason": None, "closes_at": None,
                                            "kept_open": True}
    assert _thread(closing) | {"count": 0} == {"id": THREAD, "title": None, "url": None, "state": "open",
                                              "closed_reason": None, "closes_at": None, "published_at": None,
                                              "premoderated": False, "message": None, "count": 0,
                                              "announcement": None}
    clock.advance(days=365)
    assert _post(closing, clock, "A year on, still open.", who="bob").status_code == 201
    mod = _who(clock, "mod", role="moderator")
    audit = [line for line in closing.get("/api/v1/mod/audit", params={"subject_type": "thread"}, headers=mod).text.splitlines()]
    assert len(audit) == 1 and '"action": "thread.open"' in audit[0] and '"details": {"kept_open_past_days": 3}' in audit[0]
    # closed again, the decision is gone: opened again (still past the limit), it is kept open anew
    assert _set(closing, clock, "closed")["kept_open"] is False
    assert _thread(closing)["closed_reason"] == "moderator"
    assert _set(closing, clock, "open")["kept_open"] is True
    assert _post(closing, clock, "Open once more.", who="bob").status_code == 201
    assert _set(closing, clock, "open")["kept_open"] is True  # an "open" on a kept-open thread changes nothing


def test_an_open_before_the_limit_does_not_keep_the_thread_open(closing: TestClient, clock: Clock) -> None:
    assert _post(closing, clock, "Opens the thread.").status_code == 201
    _set(closing, clock, "closed")
    assert _set(closing, clock, "open")["kept_open"] is False  # a closing undone, not an exception to the rule
    clock.advance(days=DAYS)
    assert _thread(closing)["closed_reason"] == "age"
    assert _post(closing, clock, "Too late.", who="bob").status_code == 422


def test_a_thread_a_moderator_opens_before_its_first_comment_ages_from_then(closing: TestClient, clock: Clock) -> None:
    started = clock.now
    answer = _set(closing, clock, "open")
    assert answer == {"thread": THREAD, "state": "open", "closed_reason": None, "closes_at": answer["closes_at"], "kept_open": False}
    assert datetime.fromisoformat(answer["closes_at"]) == started + timedelta(days=DAYS) == \
        datetime.fromisoformat(_thread(closing)["closes_at"])


def test_readers_are_told_when_a_moderator_opens_an_aged_thread(make_app: AppFactory, db_url: str, tmp_path: Path,
                                                                clock: Clock) -> None:
    """The age limit sends nothing (it is a rule, not an act: the widget reads the state with the page); a
    moderator's closing of an aged thread changes why it is closed (thread.closed naming the moderator, whose
    wording the widget shows instead of "closed automatically"), an "open" shows the form again (thread.opened),
    and closing it then hides it (thread.closed); a closing that changes nothing sends nothing."""
    app = make_app(db_url, policy=str(closing_policy(tmp_path, str(DAYS))), page_cache_seconds=0)
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as client:
        assert _post(client, clock, "Opens the thread.").status_code == 201
        clock.advance(days=DAYS)
        stream = Stream(server, thread=THREAD)
        try:
            subscribed(app, 1, thread=THREAD)
            assert _set(client, clock, "closed")["closed_reason"] == "moderator"  # closed by age until now
            # on PostgreSQL the first post's own event may still reach the new stream: wait for the closing itself
            got = stream.events(lambda e: any(k == "thread.closed" for k, _, _ in e))
            assert [(k, d) for k, _, d in got if k != "comment.published"] == [("thread.closed", {"type": "thread.closed",
                                                                                                 "closed_reason": "moderator"})]
            _set(client, clock, "closed")  # no change: nothing sent
            _set(client, clock, "open")
            assert [kind for kind, _, _ in stream.events(lambda e: bool(e))] == ["thread.opened"]
            _set(client, clock, "closed")
            assert [d for _, _, d in stream.events(lambda e: bool(e))] == [{"type": "thread.closed", "closed_reason": "moderator"}]
        finally:
            stream.close()


def test_an_imported_thread_ages_from_its_articles_date(make_app: AppFactory, db_url: str, tmp_path: Path,
                                                        clock: Clock) -> None:
    from townhall.service.importers import wordpress
    from townhall.service.importing import run_import

    app = make_app(db_url, policy=str(closing_policy(tmp_path, str(DAYS))), page_cache_seconds=0)
    fixture = Path(__file__).parents[1] / "ops" / "fixtures" / "wordpress.xml"
    run_import(app.services, wordpress.read(fixture.read_text(encoding="utf-8")), "default")
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/threads/https:%2F%2Fgazette.example%2F2024%2F05%2Fbudget-vote%2F/comments")
        assert r.status_code == 200 and r.json()["thread"]["count"] > 0, r.text
        info = r.json()["thread"]
        assert info["state"] == "closed" and info["closed_reason"] == "age"
        assert datetime.fromisoformat(info["closes_at"]) == datetime(2024, 5, 14, 8, tzinfo=UTC) + timedelta(days=DAYS)


def test_the_dashboards_house_rules_page_says_threads_close(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    from tests.dashboard.helpers import add_moderator, sign_in

    app = make_app(db_url, policy=str(closing_policy(tmp_path, "30")))
    add_moderator(app.services, "mod@example.org")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert sign_in(client, "mod@example.org").status_code == 303
        page = client.get("/admin/policy")
        assert page.status_code == 200 and "threads are closed automatically after 30 days" in page.text


def test_without_a_limit_threads_stay_open(make_app: AppFactory, db_url: str, clock: Clock) -> None:
    with TestClient(make_app(db_url, page_cache_seconds=0), raise_server_exceptions=False) as client:
        assert _post(client, clock, "On the default policy.").status_code == 201
        clock.advance(days=36_600)
        assert _post(client, clock, "A century on.", who="bob").status_code == 201
        assert _thread(client)["state"] == "open" and _thread(client)["closes_at"] is None


@pytest.mark.parametrize(("value", "message"), [
    ("1.5", "must be a whole number, not 1.5"),
    ("true", "must be a whole number, not True"),
    ('"30"', "must be a whole number, not '30'"),
    ("-1", "must be between 0 and 36500 days, not -1"),
    ("36501", "must be between 0 and 36500 days, not 36501"),
    ("1" + "0" * 40, "must be between 0 and 36500 days, not 1" + "0" * 40),
])
def test_the_setting_is_a_whole_number_of_days_within_its_range(tmp_path: Path, value: str, message: str) -> None:
    path = closing_policy(tmp_path, value)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1) if text.startswith("close_after_days"))
    with pytest.raises(PolicyError) as caught:
        load_policy(path, resources=NoModelResources())
    assert str(caught.value) == f"{path}:{line}: comments.close_after_days: {message}"


def test_policy_check_says_threads_close_and_accepts_the_bounds(tmp_path: Path) -> None:
    assert load_policy(closing_policy(tmp_path, "36500"), resources=NoModelResources()).settings.comments.close_after_days == 36500
    assert load_policy(closing_policy(tmp_path, "0"), resources=NoModelResources()).settings.comments.close_after_days == 0
    assert not any(line.startswith("closing:") for line in load_policy(closing_policy(tmp_path, "0"),
                                                                          resources=NoModelResources()).describe())
    one_day = load_policy(closing_policy(tmp_path, "1"), resources=NoModelResources()).describe()
    assert any(line.startswith("closing: threads are closed automatically after 1 day (") for line in one_day)
    group = click.Group("townhall")
    register(group)
    result = CliRunner().invoke(group, ["policy", "check", str(closing_policy(tmp_path, "30"))], obj={"resources": NoModelResources()})
    assert result.exit_code == 0, result.output
    assert ("closing: threads are closed automatically after 30 days (from the article's publication date if known, "
            "else the thread's start); a moderator may open one again.") in result.output


T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("kw", "reason", "closes_at"), [
    ({"now": T0 + timedelta(days=30) - timedelta(microseconds=1)}, None, T0 + timedelta(days=30)),
    ({"now": T0 + timedelta(days=30)}, ClosedReason.AGE, T0 + timedelta(days=30)),
    ({"now": T0 + timedelta(days=31), "kept_open": True}, None, None),
    ({"now": T0, "closed_by_moderator": True}, ClosedReason.MODERATOR, T0 + timedelta(days=30)),
    ({"now": T0 + timedelta(days=99), "closed_by_moderator": True}, ClosedReason.MODERATOR, T0 + timedelta(days=30)),
    ({"now": T0 + timedelta(days=99_999), "close_after_days": 0}, None, None),
    ({"now": T0, "started_at": datetime(9999, 12, 15, tzinfo=UTC)}, None, None),  # beyond what a date holds: never
])
def test_the_rule(kw: dict[str, Any], reason: ClosedReason | None, closes_at: datetime | None) -> None:
    args: dict[str, Any] = {"closed_by_moderator": False, "started_at": T0, "kept_open": False, "close_after_days": 30, **kw}
    closed = thread_closure(**args)
    assert (closed.reason, closed.closes_at, closed.closed) == (reason, closes_at, reason is not None)
