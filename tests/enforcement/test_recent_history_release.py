"""[history] after a premoderation is lifted: the comments it alone held are released only where the reader's recent
history would not hold a new comment (an audit of 2026-11-28 found both release paths publishing them: the automatic
release of an evasion premoderation, townhall.service.evasion._publish_held, and an appeal granted against a
moderator's premoderation, townhall.service.appeals._release_held). Through the HTTP API on SQLite."""


from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_evasion_network import OFFICE, TEXTS, ban_after_posting, from_ip, me, post
from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall

DEFAULT = (resources.files("townhall.policy") / "default.policy.toml").read_text(encoding="utf-8")
MOD = auth("mod", role="moderator")
T = "/api/v1/threads/article-1/comments"  # the thread of tests.enforcement.test_evasion_network


def _policy(tmp_path: Path, *, evasion_premoderates: bool) -> Path:
    """The default policy with [history] on (hold at 50% of at least 3 judged comments of 7 days)."""
    text = DEFAULT
    assert text.count("hold_rejected_share = 0 ") == 1
    text = text.replace("hold_rejected_share = 0 ", "hold_rejected_share = 0.5 ")
    if evasion_premoderates:
        assert '\naction = "flag"' in text
        text = text.replace('\naction = "flag"', '\naction = "premoderate"', 1)
    path = tmp_path / "history-audit.policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=str(_policy(tmp_path, evasion_premoderates=True)), page_cache_seconds=0)


@pytest.fixture
def mod(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=("192.0.2.1", 40000)) as c:
        yield c


def _reject(client: TestClient, comment_id: int) -> None:
    r = client.post(f"/api/v1/mod/comments/{comment_id}/decision", json={"action": "reject", "reason": "Off topic."},
                    headers=MOD)
    assert r.status_code == 200, r.text


def _public(client: TestClient) -> list[int]:
    return [int(c["id"]) for c in client.get(T, headers=auth("onlooker")).json()["comments"]]


def premoderated_reader(mod: TestClient, sub: str = "appellant") -> tuple[dict[str, str], int]:
    """A reader a moderator premoderated: their authorisation header and the premoderation's action id."""
    reader = auth(sub)
    account = int(mod.get("/api/v1/me", headers=reader).json()["id"])
    r = mod.post(f"/api/v1/mod/accounts/{account}/sanctions", json={"sanction": "premoderate", "reason": "Odd."},
                 headers=MOD)
    assert r.status_code == 201, r.text
    return reader, int(r.json()["action_id"])


# --- [history]: comments released from a premoderation are not judged by the reader's recent history ----------------
def test_evasion_release_publishes_a_comment_that_recent_history_holds(app: Townhall, mod: TestClient) -> None:
    """A premoderation taken on ban-evasion evidence is released automatically once the network shows itself shared
    (townhall/service/evasion.py _publish_held). It re-checks premoderate_new_accounts before publishing, but not
    [history]: the reader's comments held by the premoderation alone are published though moderators rejected 3 of
    3 of the reader's judged comments meanwhile, and GET /me says their comments are held for recent history."""
    ban_after_posting(app, mod, f"{OFFICE}.7")
    suspect = from_ip(app, f"{OFFICE}.20")
    ids = [int(post(suspect, "suspect", TEXTS[n])["comment"]["id"]) for n in range(4)]
    assert me(suspect, "suspect")["state"] == "premoderated"
    for comment_id in ids[:3]:
        _reject(mod, comment_id)  # 3 of 3 judged comments rejected
    for i in range(1, 6):  # the network shows itself shared: the premoderation is released
        post(from_ip(app, f"{OFFICE}.{20 + i}"), f"colleague-{i}", f"{TEXTS[i + 2]} ({i})")
    told = me(suspect, "suspect")
    assert told["state"] == "active"
    assert told["premoderation"] is not None and told["premoderation"]["source"] == "recent_history", told
    assert "3 of 3 comments" in told["premoderation"]["reason"]  # the comment kept back counts in neither
    # a new comment is held for the record ...
    fresh = suspect.post(T, json={"text": "A new and calm remark."}, headers=auth("suspect")).json()["comment"]
    assert fresh["status"] == "held" and [h["rule"] for h in fresh["hits"]] == ["recent_history"]
    # ... and so is the one written before the rejections: the release does not publish it past the same record
    assert ids[3] not in _public(mod), "released (published) although the reader's recent history holds it"


def test_appeal_release_publishes_a_comment_that_recent_history_holds(app: Townhall, mod: TestClient) -> None:
    """The same through an appeal (townhall/service/appeals.py _release_held): it re-checks other premoderations,
    sanctions and premoderate_new_accounts before releasing, not [history]."""
    reader, premod = premoderated_reader(mod)
    ids = [int(mod.post(T, json={"text": f"Calm remark number {n}."}, headers=reader).json()["comment"]["id"])
           for n in range(4)]
    for comment_id in ids[:3]:
        _reject(mod, comment_id)
    r = mod.post(f"/api/v1/me/actions/{premod}/appeal", json={"text": "Please look again."}, headers=reader)
    assert r.status_code == 201, r.text
    out = mod.post(f"/api/v1/mod/appeals/{r.json()['appeal_id']}/decision",
                   json={"outcome": "reverse", "response": "Lifted."}, headers=MOD)
    assert out.status_code == 200, out.text
    told = mod.get("/api/v1/me", headers=reader).json()["premoderation"]
    assert told is not None and told["source"] == "recent_history", told
    assert out.json()["restored_comments"] == [], "released past the reader's recent history"
