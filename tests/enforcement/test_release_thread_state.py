"""A premoderation lifted without a moderator looking at each comment (an evasion premoderation released, an appeal
granted) publishes only the held comments whose article still takes them: not on an article a moderator premoderated,
or one that closed, since (townhall.service.closing.takes_released). An audit of 2026-11-28 found both release paths
publishing them there, where a new comment of the same reader was held or refused. Through the HTTP API on SQLite."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from tests.enforcement.test_evasion_network import OFFICE, TEXTS, ban_after_posting, from_ip, me
from tests.enforcement.test_recent_history_release import premoderated_reader
from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall

MOD = auth("mod", role="moderator")
T1 = "/api/v1/threads/article-1/comments"  # the thread tests.enforcement.test_evasion_network's readers post on
T2 = "/api/v1/threads/article-2/comments"


def _evasion_policy(tmp_path: Path) -> Path:
    text = (resources.files("townhall.policy") / "default.policy.toml").read_text(encoding="utf-8")
    assert '\naction = "flag"' in text
    path = tmp_path / "evasion-premoderates.policy.toml"
    path.write_text(text.replace('\naction = "flag"', '\naction = "premoderate"', 1), encoding="utf-8")
    return path


@pytest.fixture
def evasion_app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=str(_evasion_policy(tmp_path)), page_cache_seconds=0)


@pytest.fixture
def mod(evasion_app: Townhall) -> Iterator[TestClient]:
    with TestClient(evasion_app, raise_server_exceptions=False, client=("192.0.2.1", 40000)) as c:
        yield c


def _public(client: TestClient, path: str) -> list[int]:
    return [int(c["id"]) for c in client.get(path, headers=auth("onlooker")).json()["comments"]]


def _premoderate_article(client: TestClient, thread: str) -> None:
    r = client.patch(f"/api/v1/mod/threads/{thread}", json={"premoderated": True}, headers=MOD)
    assert r.status_code == 200, r.text


# --- 8b5e5fc: a release publishes a held comment on an article a moderator premoderated meanwhile ----------------
def test_evasion_release_publishes_into_an_article_premoderated_since(evasion_app: Townhall, mod: TestClient) -> None:
    """townhall/service/evasion.py _publish_held: the automatic release (no moderator asked) publishes the comment
    the evasion premoderation alone held, though a moderator has since premoderated its article, where a new comment
    of the same reader is held (hits ["premoderated_article"])."""
    ban_after_posting(evasion_app, mod, f"{OFFICE}.7")
    suspect = from_ip(evasion_app, f"{OFFICE}.20")
    r = suspect.post(T2, json={"text": TEXTS[0]}, headers=auth("suspect"))
    assert r.status_code == 201 and r.json()["verdict"] == "held", r.text
    held = int(r.json()["comment"]["id"])
    assert me(suspect, "suspect")["state"] == "premoderated"
    _premoderate_article(mod, "article-2")
    for i in range(1, 6):  # the network shows itself shared: the premoderation is released
        c = from_ip(evasion_app, f"{OFFICE}.{20 + i}")
        assert c.post(T1, json={"text": TEXTS[i]}, headers=auth(f"colleague-{i}")).status_code == 201
    assert me(suspect, "suspect")["state"] == "active"
    fresh = suspect.post(T2, json={"text": "A new and calm remark."}, headers=auth("suspect")).json()
    assert fresh["verdict"] == "held", fresh  # the article holds every new comment of a reader ...
    assert held not in _public(mod, T2), "released into an article a moderator premoderated since"  # ... not this one


def test_appeal_release_publishes_into_an_article_premoderated_since(evasion_app: Townhall, mod: TestClient) -> None:
    """townhall/service/appeals.py _release_held: the same through an appeal granted against a moderator's
    premoderation of the account."""
    reader, premod = premoderated_reader(mod)
    r = mod.post(T2, json={"text": "A calm remark on the second article."}, headers=reader)
    assert r.status_code == 201 and r.json()["verdict"] == "held", r.text
    held = int(r.json()["comment"]["id"])
    _premoderate_article(mod, "article-2")
    r = mod.post(f"/api/v1/me/actions/{premod}/appeal", json={"text": "Please look again."}, headers=reader)
    assert r.status_code == 201, r.text
    out = mod.post(f"/api/v1/mod/appeals/{r.json()['appeal_id']}/decision",
                   json={"outcome": "reverse", "response": "Lifted."}, headers=MOD)
    assert out.status_code == 200, out.text
    assert held not in out.json()["restored_comments"], "released into an article a moderator premoderated since"


def test_evasion_release_publishes_into_an_article_closed_since(evasion_app: Townhall, mod: TestClient) -> None:
    """townhall/service/evasion.py _publish_held: likewise into an article a moderator closed since, where a new
    comment is refused (thread_closed)."""
    ban_after_posting(evasion_app, mod, f"{OFFICE}.7")
    suspect = from_ip(evasion_app, f"{OFFICE}.20")
    r = suspect.post(T2, json={"text": TEXTS[0]}, headers=auth("suspect"))
    assert r.status_code == 201 and r.json()["verdict"] == "held", r.text
    held = int(r.json()["comment"]["id"])
    r = mod.put("/api/v1/mod/threads/article-2/state", json={"state": "closed"}, headers=MOD)
    assert r.status_code == 200, r.text
    for i in range(1, 6):
        c = from_ip(evasion_app, f"{OFFICE}.{20 + i}")
        assert c.post(T1, json={"text": TEXTS[i]}, headers=auth(f"colleague-{i}")).status_code == 201
    assert me(suspect, "suspect")["state"] == "active"
    assert held not in _public(mod, T2), "released into an article a moderator closed since"

