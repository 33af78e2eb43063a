"""``[comments] premoderate_links = true`` (Coral's "Pre-moderate comments containing links") through the HTTP API
on SQLite and PostgreSQL: a reader's new comment, reply or edit with a link waits for a moderator with the hit
``links`` (no strike); moderators' own comments are published; the dashboard's "try it" box shows the hit."""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.fixtures_app import AppFactory, auth
from townhall.app import Townhall

DEFAULT = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
T = "/api/v1/threads/links/comments"
MOD = auth("desk", role="moderator")
ADMIN = auth("chief", role="admin")
REASON = "Comments with links are reviewed by a moderator before they appear."
LINKED = "The full ruling is at https://court.example/ruling-2026.pdf, worth reading."


def _policy(tmp_path: Path, on: bool) -> Path:
    path = tmp_path / "links.policy.toml"
    assert "premoderate_links = false" in DEFAULT
    path.write_text(DEFAULT.replace("premoderate_links = false", f"premoderate_links = {str(on).lower()}"),
                    encoding="utf-8")
    return path


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    return make_app(db_url, policy=str(_policy(tmp_path, True)), page_cache_seconds=0)


@pytest.fixture
def client(app: Townhall) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _post(client: TestClient, who: dict[str, str], text: str, parent_id: int | None = None) -> dict[str, Any]:
    r = client.post(T, json={"text": text, "parent_id": parent_id}, headers=who)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def _visible(client: TestClient) -> list[int]:
    r = client.get(T)
    assert r.status_code == 200, r.text
    return [i for c in r.json()["comments"] for i in [c["id"]] + [x["id"] for x in c["replies"]]]


def _held(client: TestClient) -> dict[int, list[dict[str, Any]]]:
    r = client.get("/api/v1/mod/queues/held", headers=MOD)
    assert r.status_code == 200, r.text
    return {c["id"]: c["decision"]["hits"] for c in r.json()["items"]}


def test_a_readers_link_is_held_with_the_reason_and_the_link(client: TestClient) -> None:
    reader = auth("reader")
    comment = _post(client, reader, LINKED)
    assert comment["status"] == "held"
    (hit,) = comment["hits"]
    assert (hit["rule"], hit["action"], hit["description"], hit["strike"]) == ("links", "hold", REASON, False)
    assert hit["evidence"] == "https://court.example/ruling-2026.pdf"
    assert _visible(client) == []
    assert [h["rule"] for h in _held(client)[comment["id"]] if h["action"] == "hold"] == ["links"]
    me = client.get("/api/v1/me", headers=reader).json()
    assert me["active_strikes"] == 0 and me["state"] == "active"  # a hold, not a sanction
    r = client.post(f"/api/v1/mod/comments/{comment['id']}/decision", json={"action": "approve", "reason": "Fine."},
                    headers=MOD)
    assert r.status_code == 200, r.text
    assert _visible(client) == [comment["id"]]


def test_innocent_dotted_text_and_a_bare_domain_are_published(client: TestClient) -> None:
    text = "E.g. Mr.Smith paid 3.5 times what the U.S. charges; i.e. Amazon.com is cheaper. Mail ann@example.com."
    comment = _post(client, auth("reader"), text)
    assert comment["status"] == "published" and comment["hits"] == []


def test_replies_and_scheme_less_links_are_held_too(client: TestClient) -> None:
    parent = _post(client, auth("first"), "A plain first comment.")
    reply = _post(client, auth("second"), "Agreed, see www.example.org for more", parent_id=parent["id"])
    assert reply["status"] == "held" and reply["hits"][0]["evidence"] == "www.example.org"
    other = _post(client, auth("third"), "Cheap pills at pills.example/buy")
    assert other["status"] == "held" and other["hits"][0]["evidence"] == "pills.example/buy"
    assert _visible(client) == [parent["id"]]


@pytest.mark.parametrize("who", [MOD, ADMIN], ids=["moderator", "admin"])
def test_moderators_own_links_are_published(client: TestClient, who: dict[str, str]) -> None:
    comment = _post(client, who, LINKED)
    assert comment["status"] == "published" and comment["hits"] == []
    assert '<a href="https://court.example/ruling-2026.pdf"' in comment["html"]
    assert _visible(client) == [comment["id"]]


def test_an_edit_that_adds_a_link_is_held(client: TestClient) -> None:
    reader = auth("editor-reader")
    comment = _post(client, reader, "The ruling is out.")
    assert comment["status"] == "published"
    r = client.patch(f"/api/v1/comments/{comment['id']}", json={"text": "The ruling is out: court.example/ruling"},
                     headers=reader)
    assert r.status_code == 200, r.text
    edited = r.json()["comment"]
    assert edited["status"] == "held" and [h["rule"] for h in edited["hits"]] == ["links"]
    assert edited["hits"][0]["evidence"] == "court.example/ruling"
    assert _visible(client) == []


def test_without_the_option_a_link_is_published(make_app: AppFactory, db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, policy=str(_policy(tmp_path, False)), page_cache_seconds=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        comment = _post(client, auth("reader"), LINKED)
        assert comment["status"] == "published" and comment["hits"] == []


def test_the_dashboards_try_it_box_shows_the_hit(app: Townhall, client: TestClient) -> None:
    add_moderator(app.services, "mod@example.org")
    sign_in(client, "mod@example.org")
    token = csrf_token(client.get("/admin/policy").text)
    r = client.post("/admin/policy/try", data={"text": "Read www.example.org today", "csrf_token": token},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'data-verdict="hold"' in r.text and '<mark class="hit" title="links"' in r.text
    assert REASON in r.text
