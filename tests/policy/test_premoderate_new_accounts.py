"""``[comments] premoderate_new_accounts = true``: a new account's comments wait for a moderator until one
of them has been published; then the reader posts like anyone else. Through the HTTP API on SQLite and
PostgreSQL, and ``townhall policy check`` says what the setting does."""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path
from typing import Iterator

import click
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.commands.policy import register

from tests.fixtures_app import AppFactory, auth
from tests.policy.stubs import NoModelResources

DEFAULT = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
T = "/api/v1/threads/premod/comments"
MOD = auth("mod", role="moderator")


def _policy(tmp_path: Path, on: bool) -> Path:
    path = tmp_path / "premod.policy.toml"
    path.write_text(DEFAULT.replace("premoderate_new_accounts = false", f"premoderate_new_accounts = {str(on).lower()}"),
                    encoding="utf-8")
    return path


@pytest.fixture
def premod(make_app: AppFactory, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = make_app(db_url, policy=str(_policy(tmp_path, True)), page_cache_seconds=0)  # signed-out pages read afresh
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _visible(client: TestClient) -> list[int]:
    r = client.get(T)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"]]


def _post(client: TestClient, reader: dict[str, str], text: str) -> dict:
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def _decide(client: TestClient, comment_id: int, action: str) -> None:
    r = client.post(f"/api/v1/mod/comments/{comment_id}/decision", json={"action": action, "reason": "Checked."}, headers=MOD)
    assert r.status_code == 200, r.text


def test_a_new_accounts_comments_wait_until_a_moderator_publishes_one(premod: TestClient) -> None:
    newbie = auth("newbie")
    first = _post(premod, newbie, "Hello, my first comment here.")
    assert first["status"] == "held" and first["verdict"] == "held"
    assert [h["rule"] for h in first["hits"]] == ["new_account"]
    assert "new accounts" in first["hits"][0]["description"]
    assert _visible(premod) == []
    second = _post(premod, newbie, "And a second one while I wait.")
    assert second["status"] == "held"
    held = premod.get("/api/v1/mod/queues/held", headers=MOD).json()["items"]
    assert {c["id"] for c in held} >= {first["id"], second["id"]}

    _decide(premod, second["id"], "reject")  # a rejection does not make the account known
    assert _post(premod, newbie, "A third try.")["status"] == "held"
    _decide(premod, first["id"], "approve")  # one published comment: the account is no longer new
    assert _visible(premod) == [first["id"]]
    later = _post(premod, newbie, "Now I post like everyone else.")
    assert later["status"] == "published" and later["hits"] == []
    assert set(_visible(premod)) == {first["id"], later["id"]}
    me = premod.get("/api/v1/me", headers=newbie).json()
    assert me["state"] == "active" and me["active_strikes"] == 0  # holding a new account is not a sanction


def test_the_house_rules_still_refuse_a_new_accounts_comment(premod: TestClient) -> None:
    r = premod.post(T, json={"text": "What the fuck."}, headers=auth("rude-newbie"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules"


def test_moderators_comments_are_not_held(premod: TestClient) -> None:
    comment = _post(premod, MOD, "A note from the moderators.")
    assert comment["status"] == "published"


def test_without_the_setting_a_new_account_posts_at_once(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, policy=str(_policy(tmp_path, False)))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert _post(client, auth("newbie"), "Hello.")["status"] == "published"


def test_policy_check_says_what_new_means(tmp_path: Path) -> None:
    group = click.Group("townhall")
    register(group)
    on = CliRunner().invoke(group, ["policy", "check", str(_policy(tmp_path, True))], obj={"resources": NoModelResources()})
    assert on.exit_code == 0, on.output
    assert "• new accounts: premoderated. A reader's comments are held for a moderator until one of them has been " \
           "published" in on.stdout
    off = CliRunner().invoke(group, ["policy", "check", str(_policy(tmp_path, False))], obj={"resources": NoModelResources()})
    assert off.exit_code == 0 and "new accounts" not in off.stdout
