"""Quirks of the reader API that an audit found, fixed: full pages around deleted comments, appeals against
actions that ran out, what ``GET /api/v1/me`` tells a warned or premoderated reader, the order of a sanctioned
reader's report checks, and tokens issued in the future. Through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_ladder import abusive_texts
from tests.fixtures_app import SSO_SECRET, AppFactory, Clock, auth, make_token
from tests.policy.test_premoderate_new_accounts import _policy
from townhall.app import Townhall

T = "/api/v1/threads/quirks/comments"
MOD = auth("mod", role="moderator")


@pytest.fixture
def app(make_app: AppFactory, db_url: str) -> Townhall:
    return make_app(db_url, page_cache_seconds=0)  # signed-out pages read afresh after each change


def _post(client: TestClient, who: str, text: str, **body: Any) -> int:
    r = client.post(T, json={"text": text, **body}, headers=auth(who))
    assert r.status_code == 201, r.text
    return int(r.json()["comment"]["id"])


def _pages(client: TestClient, limit: int, headers: dict[str, str] | None = None, **params: Any) -> list[list[int]]:
    """Every page of top-level comments, following next_cursor to the end."""
    pages, cursor = [], None
    for _ in range(50):
        r = client.get(T, params={"limit": limit, **params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        pages.append([c["id"] for c in r.json()["comments"]])
        cursor = r.json()["next_cursor"]
        if not cursor:
            return pages
    raise AssertionError("next_cursor never ended")


def _full(pages: list[list[int]], limit: int) -> None:
    """Every page but the last holds ``limit`` comments; the last one at least one (or the thread is empty)."""
    assert all(len(p) == limit for p in pages[:-1]), pages
    assert 1 <= len(pages[-1]) <= limit or pages == [[]], pages


def _delete(client: TestClient, who: str, cid: int) -> None:
    assert client.delete(f"/api/v1/comments/{cid}", headers=auth(who)).status_code == 204


def _account(client: TestClient, who: str) -> int:
    return int(client.get("/api/v1/me", headers=auth(who)).json()["id"])


def _sanction(client: TestClient, who: str, sanction: str, reason: str, **extra: Any) -> int:
    r = client.post(f"/api/v1/mod/accounts/{_account(client, who)}/sanctions",
                    json={"sanction": sanction, "reason": reason, **extra}, headers=MOD)
    assert r.status_code in (200, 201), r.text
    return int(r.json()["action_id"])


def _appeal(client: TestClient, who: str, action_id: int) -> Any:
    return client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=auth(who))


def _me(client: TestClient, who: str) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=auth(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# --- 1. a page holds `limit` comments whenever that many visible ones follow the cursor ---------------------

def test_a_page_is_full_although_deleted_comments_without_replies_fall_on_it(client: TestClient) -> None:
    ids = [_post(client, f"u{i}", f"Comment number {i}.") for i in range(8)]
    for i in (1, 3, 4, 6):  # deleted, no replies: listed nowhere
        _delete(client, f"u{i}", ids[i])
    kept = [ids[i] for i in (0, 2, 5, 7)]
    for fan, i in (("f1", 7), ("f2", 7), ("f1", 0)):
        assert client.put(f"/api/v1/comments/{ids[i]}/reaction", json={"kind": "like"}, headers=auth(fan)).status_code == 200
    for limit in (1, 2, 3):
        newest = _pages(client, limit)
        _full(newest, limit)
        assert sum(newest, []) == kept[::-1]
        oldest = _pages(client, limit, sort="oldest")
        _full(oldest, limit)
        assert sum(oldest, []) == kept
        top = _pages(client, limit, sort="top")
        _full(top, limit)
        assert sum(top, []) == [ids[7], ids[0], ids[5], ids[2]]  # most liked, then newest first
        assert len(_pages(client, limit, headers=auth("someone"))[0]) == limit  # a signed-in reader's pages too
    assert client.get(T, params={"limit": 4}).json()["next_cursor"] is None  # exactly four: no empty page after


def test_a_deleted_comment_with_a_reply_still_counts_on_its_page(client: TestClient) -> None:
    first = _post(client, "ann", "The first comment.")
    answered = _post(client, "ben", "This one gets an answer.")
    reply = _post(client, "cat", "The answer.", parent_id=answered)
    lone = _post(client, "dan", "Nobody answers this one.")
    last = _post(client, "eve", "The last comment.")
    _delete(client, "ben", answered)
    _delete(client, "dan", lone)
    page = client.get(T, params={"limit": 2}).json()
    assert [c["id"] for c in page["comments"]] == [last, answered]
    assert page["comments"][1]["status"] == "deleted" and [r["id"] for r in page["comments"][1]["replies"]] == [reply]
    rest = client.get(T, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [c["id"] for c in rest["comments"]] == [first] and rest["next_cursor"] is None


def test_a_deleted_comment_kept_for_the_viewers_own_held_reply_counts_for_them_only(client: TestClient) -> None:
    older = _post(client, "ann", "An older comment.")
    root = _post(client, "ben", "A comment that gets a held reply.")
    _sanction(client, "held-replier", "premoderate", "Checking new accounts")
    r = client.post(T, json={"text": "My reply, held for review.", "parent_id": root}, headers=auth("held-replier"))
    assert r.status_code == 201 and r.json()["comment"]["status"] == "held"
    newer = _post(client, "cat", "A newer comment.")
    _delete(client, "ben", root)
    assert _pages(client, 2) == [[newer, older]]  # others: the tombstone keeps nothing they can see
    mine = _pages(client, 2, headers=auth("held-replier"))
    assert mine == [[newer, root], [older]]  # its author sees their held reply in its place


def test_a_page_is_filled_when_a_deleted_comments_only_published_reply_hangs_under_a_held_one(client: TestClient) -> None:
    """The store keeps a deleted top-level comment that has a published reply; the page drops it when that reply
    answers a comment the reader cannot see (held again after an edit), and takes the next one instead."""
    first = _post(client, "ann", "The first comment.")
    root = _post(client, "ben", "A comment.")
    middle = _post(client, "cat", "A reply.", parent_id=root)
    _post(client, "dan", "A reply to the reply.", parent_id=middle)
    last = _post(client, "eve", "The last comment.")
    _sanction(client, "cat", "premoderate", "Checking")
    r = client.patch(f"/api/v1/comments/{middle}", json={"text": "A reply, edited."}, headers=auth("cat"))
    assert r.status_code == 200 and r.json()["comment"]["status"] == "held"
    _delete(client, "ben", root)
    assert _pages(client, 2) == [[last, first]]
    assert _pages(client, 1) == [[last], [first]]


def test_a_deleted_comment_whose_published_replies_come_after_the_first_fifty_stays(client: TestClient) -> None:
    root = _post(client, "ann", "A busy comment.")
    gone = [_post(client, f"r{i}", f"Reply {i}.", parent_id=root) for i in range(51)]
    late = _post(client, "late", "A reply that is still there.", parent_id=root)
    for i, cid in enumerate(gone):
        _delete(client, f"r{i}", cid)
    _delete(client, "ann", root)
    page = client.get(T).json()
    assert [c["id"] for c in page["comments"]] == [root] and page["comments"][0]["more_replies"] is True
    more = client.get(T, params={"root": root, "cursor": page["comments"][0]["replies_cursor"]}).json()
    assert late in [c["id"] for c in more["comments"]]


# --- 2. appeals against actions that ran out ---------------------------------------------------------------

def test_a_strike_and_warning_that_ran_out_and_bear_on_nothing_cannot_be_appealed(app, client: TestClient,
                                                                                  clock: Clock) -> None:
    abuse = abusive_texts(app)
    assert client.post(T, json={"text": abuse[0]}, headers=auth("once")).status_code == 422
    actions = {a["kind"]: a for a in _me(client, "once")["actions"]}
    assert actions["strike"]["can_appeal"] and actions["warn"]["can_appeal"]  # in force: appealable
    assert _me(client, "once")["warning"]["can_appeal"] is True
    clock.advance(days=91)  # strike_expiry_days = 90; the warning lasts as long as the strike
    me = _me(client, "once")
    assert me["active_strikes"] == 0 and me["state"] == "active" and me["warning"] is None
    assert not any(a["can_appeal"] for a in me["actions"])
    for kind in ("strike", "warn"):
        r = _appeal(client, "once", actions[kind]["id"])
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["code"] == "appeal_moot" and "ran out" in err["message"]
        assert err["details"]["action_id"] == actions[kind]["id"] and err["details"]["ended_at"]
    queue = client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
    assert not [a for a in queue if a["action_id"] in (actions["strike"]["id"], actions["warn"]["id"])]


def test_a_strike_that_ran_out_can_be_appealed_while_the_ban_it_helped_bring_stands(app, client: TestClient,
                                                                                    clock: Clock) -> None:
    abuse = abusive_texts(app)
    for text in abuse[:3]:  # a warning, a 24-hour suspension, a ban
        assert client.post(T, json={"text": text}, headers=auth("thrice")).status_code == 422
        clock.advance(hours=25)
    first = next(a for a in _me(client, "thrice")["actions"] if a["kind"] == "strike")
    clock.advance(days=91)  # the first strike ran out; the ban, which counted it, is in force
    me = _me(client, "thrice")
    assert me["state"] == "banned" and me["active_strikes"] == 0
    assert next(a for a in me["actions"] if a["id"] == first["id"])["can_appeal"] is True
    r = _appeal(client, "thrice", first["id"])
    assert r.status_code == 201, r.text
    appeal = next(a for a in client.get("/api/v1/mod/queues/appeals", headers=MOD).json()["items"]
                  if a["action_id"] == first["id"])
    r = client.post(f"/api/v1/mod/appeals/{appeal['id']}/decision", json={"outcome": "reverse", "response": "Our mistake."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    assert _me(client, "thrice")["state"] != "banned"  # the ban counted the strike: it went with it


def test_a_suspension_that_ran_out_is_appealable_while_it_keeps_the_reader_from_trust(client: TestClient,
                                                                                     clock: Clock) -> None:
    recent = _sanction(client, "recent", "suspend", "Spam", hours=1)
    old = _sanction(client, "old", "suspend", "Spam", hours=1)
    clock.advance(days=30)  # both ran out; within the trust's clean_days (90) they still count against trust
    assert _appeal(client, "recent", recent).status_code == 201
    clock.advance(days=61)
    r = _appeal(client, "old", old)
    assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_moot"


# --- 3. GET /api/v1/me tells a reader about warnings and premoderation -------------------------------------

def test_me_tells_a_premoderated_reader_that_their_comments_are_held(client: TestClient) -> None:
    action = _sanction(client, "watched", "premoderate", "New account, odd pattern")
    me = _me(client, "watched")
    assert me["state"] == "premoderated" and me["sanction"] is None  # the widget still lets them write
    assert me["warning"] is None
    premod = me["premoderation"]
    assert premod == {"source": "sanction", "action_id": action, "reason": "New account, odd pattern", "rule": None,
                      "until": None, "appeal": None, "can_appeal": True,
                      "appeal_url": f"/api/v1/me/actions/{action}/appeal", "comment": None}  # taken on the account
    assert client.post(premod["appeal_url"], json={"text": "I am a regular reader."}, headers=auth("watched")).status_code == 201
    premod = _me(client, "watched")["premoderation"]
    assert premod["appeal"] == {"state": "open", "response": None} and premod["can_appeal"] is False
    assert client.post(T, json={"text": "A calm comment."}, headers=auth("watched")).json()["comment"]["status"] == "held"


def test_me_tells_a_warned_reader_of_the_warning_also_under_a_suspension(client: TestClient, clock: Clock) -> None:
    warn = _sanction(client, "warned", "warn", "Keep it civil")
    me = _me(client, "warned")
    assert me["state"] == "warned" and me["sanction"] is None and me["premoderation"] is None
    assert me["warning"]["action_id"] == warn and me["warning"]["sanction"] == "warn"
    assert me["warning"]["reason"] == "Keep it civil" and me["warning"]["until"] and me["warning"]["can_appeal"]
    _sanction(client, "warned", "premoderate", "Checking")
    suspension = _sanction(client, "warned", "suspend", "Spam", hours=2)
    me = _me(client, "warned")
    assert me["state"] == "suspended" and me["sanction"]["action_id"] == suspension  # unchanged meaning
    assert me["warning"]["action_id"] == warn and me["premoderation"]["source"] == "sanction"
    clock.advance(hours=3)
    me = _me(client, "warned")
    assert me["state"] == "premoderated" and me["sanction"] is None and me["warning"]["action_id"] == warn


def test_me_tells_a_new_reader_their_comments_wait_for_a_moderator(make_app: AppFactory, db_url: str,
                                                                    tmp_path: Path) -> None:
    app = make_app(db_url, policy=str(_policy(tmp_path, True)))
    with TestClient(app, raise_server_exceptions=False) as client:
        premod = _me(client, "newbie")["premoderation"]
        assert premod["source"] == "new_account" and premod["rule"] == "new_account"
        assert premod["action_id"] is None and premod["can_appeal"] is False and premod["appeal_url"] is None
        assert "reviewed by a moderator" in premod["reason"]
        cid = _post(client, "newbie", "My first comment.")
        r = client.post(f"/api/v1/mod/comments/{cid}/decision", json={"action": "approve", "reason": "Fine."}, headers=MOD)
        assert r.status_code == 200, r.text
        assert _me(client, "newbie")["premoderation"] is None  # one published comment: no longer new
        assert client.get("/api/v1/me", headers=MOD).json()["premoderation"] is None  # moderators' are never held


def test_the_openapi_schema_describes_me(client: TestClient) -> None:
    from townhall.store.schema import AccountState, ActionKind

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    me = schemas["MeOut"]["properties"]
    assert {"sanction", "warning", "premoderation", "active_strikes", "actions", "state"} <= set(me)
    assert set(me["state"]["enum"]) == {s.value for s in AccountState}
    assert all(k.value in schemas["ActionOut"]["properties"]["kind"]["description"] for k in ActionKind)
    assert {"can_appeal", "ends_at", "revoked"} <= set(schemas["ActionOut"]["properties"])
    assert set(schemas["PremoderationOut"]["properties"]["source"]["enum"]) == {"sanction", "new_account", "recent_history"}
    assert set(_me(client, "anyone")) == set(me)


# --- 4. a suspended or banned reader's report: the sanction's 403 first ------------------------------------

def test_a_suspended_reader_reporting_their_own_comment_is_told_of_the_suspension(client: TestClient) -> None:
    own = _post(client, "suspended", "My own comment.")
    _sanction(client, "suspended", "suspend", "Spam", hours=24)
    for cid in (own, 999_999):
        r = client.post(f"/api/v1/comments/{cid}/reports", json={"reason": "spam"}, headers=auth("suspended"))
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "account_sanctioned" and r.json()["error"]["details"]["sanction"] == "suspend"
        r = client.put(f"/api/v1/comments/{cid}/reaction", json={"kind": "like"}, headers=auth("suspended"))
        assert r.status_code == 403 and r.json()["error"]["code"] == "account_sanctioned"  # as a reaction is
    r = client.post(f"/api/v1/comments/{own}/reports", json={"reason": "spam"}, headers=auth("other"))
    assert r.status_code == 201
    assert client.post(f"/api/v1/comments/{_post(client, 'free', 'Mine.')}/reports", json={"reason": "spam"},
                       headers=auth("free")).status_code == 409  # not sanctioned: one's own comment is a conflict


# --- 5. a token issued in the future says so ---------------------------------------------------------------

def _bearer(**claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode({'sub': 'clocky', 'name': 'Clocky', **claims}, SSO_SECRET, algorithm='HS256')}"}


def test_a_token_issued_in_the_future_is_refused_with_a_clear_message(client: TestClient, clock: Clock) -> None:
    now = int(time.time())
    r = client.get("/api/v1/me", headers=_bearer(iat=now + 3600, exp=now + 7200))
    assert r.status_code == 401, r.text
    err = r.json()["error"]
    assert err["code"] == "unauthenticated"
    assert "issued in the future" in err["message"] and "clock" in err["message"]
    assert err["details"] == {"claim": "iat", "leeway_seconds": 30}
    r = client.get("/api/v1/me", headers=_bearer(nbf=now + 3600, iat=now, exp=now + 7200))
    assert r.status_code == 401 and "not valid yet" in r.json()["error"]["message"]
    assert r.json()["error"]["details"]["claim"] == "nbf"
    server = int(clock.now.timestamp())  # the application's clock, a little behind: the test's fixtures were made then
    assert client.get("/api/v1/me", headers=_bearer(iat=server + 5, exp=now + 3600)).status_code == 200  # within the leeway
    assert client.get("/api/v1/me", headers=auth("early")).status_code == 200  # the tests' tokens, issued early


def test_a_token_ahead_of_the_servers_own_clock_says_so_too(client: TestClient, clock: Clock) -> None:
    clock.now = datetime.now(UTC) - timedelta(hours=1)  # the server's clock (the application's) is behind
    token = make_token("skewed", now=datetime.now(UTC))
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "issued in the future" in r.json()["error"]["message"]
    assert r.json()["error"]["details"]["claim"] == "iat"
