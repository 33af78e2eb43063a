"""An article's page on the dashboard premoderates its comments: the "Premoderate comments" toggle (htmx POST
with the CSRF token, as Close/Open), its state shown, audited as ``thread.updated``, and the comments it holds;
CSRF and another site's moderator refused. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.dashboard.helpers import POLICY, add_moderator, csrf_token, sign_in
from tests.dashboard.test_dashboard_articles import HTMX, post, thread
from tests.dashboard.test_dashboard_audit import Mod, audited
from tests.fixtures_app import AppFactory
from townhall.app import Townhall
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

TID = "news/court?case=1"  # a slash and a question mark in the id
URL = "/admin/articles/news%2Fcourt%3Fcase%3D1"
FINE = "The hearing is on Tuesday; the court will publish its ruling afterwards."


@pytest.fixture
def app(make_app: AppFactory, db_url: str, tmp_path: Path) -> Townhall:
    path = tmp_path / "premod.policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return make_app(db_url, policy=str(path), page_cache_seconds=0)


def premoderated(app: Townhall, site: str = "default") -> bool:
    with app.services.db.read() as conn:
        return bool(content.get_thread(conn, site, TID)["premoderated"])


def test_the_toggle_premoderates_the_articles_comments(app: Townhall) -> None:
    thread(app, TID, "The court case")
    mod = Mod(app, "a@news.example")
    page = mod.client.get(URL)
    assert page.status_code == 200
    assert f'hx-post="{URL}/premoderation?site=default"' in page.text
    assert 'name="premoderated" value="on"' in page.text and 'aria-pressed="false"' in page.text
    assert ">Premoderate comments<" in page.text
    r = mod.client.post(f"{URL}/premoderation", data={"premoderated": "on", "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.startswith('<section id="article-panel"')  # the panel, swapped in place
    assert 'aria-pressed="true"' in r.text and 'name="premoderated" value="off"' in r.text
    assert '<span class="state state-premoderated">on</span>' in r.text
    assert premoderated(app)
    assert [(e["actor"], e["details"]) for e in audited(app.services, "thread.updated", TID)][-1] == \
        (mod.actor, {"changed": {"premoderated": {"from": False, "to": True}}})
    assert post(app, TID, "ann", FINE) == "held"
    assert "0 published · 1 held" in mod.client.get(URL).text
    assert '<small class="premoderated">premoderated</small>' in mod.client.get("/admin/articles?site=default").text
    r = mod.post(f"{URL}/premoderation", {"premoderated": "off"})  # the dashboard's script: JSON
    assert r.status_code == 200 and r.json() == {"ok": True, "thread": TID, "premoderated": False}
    assert not premoderated(app) and post(app, TID, "ben", FINE) == "published"
    assert 'class="premoderated"' not in mod.client.get("/admin/articles?site=default").text
    r = mod.client.post(f"{URL}/premoderation", data={"premoderated": "on", "csrf_token": mod.token},
                        follow_redirects=False)  # a plain form: back to the article's page
    assert r.status_code == 303 and r.headers["location"] == f"{URL}?site=default" and premoderated(app)
    r = mod.post(f"{URL}/premoderation", {"premoderated": "maybe"})
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "premoderated"}


def test_csrf_and_other_sites_are_refused(app: Townhall, client: TestClient) -> None:
    thread(app, TID, "The court case")
    mod = Mod(app, "a@news.example")
    r = mod.client.post(f"{URL}/premoderation", data={"premoderated": "on"}, headers=HTMX)  # no CSRF token
    assert r.status_code == 403 and "expired" in r.text
    r = mod.client.post(f"{URL}/premoderation", data={"premoderated": "on", "csrf_token": "forged"}, headers=HTMX)
    assert r.status_code == 403
    assert client.post(f"{URL}/premoderation", data={"premoderated": "on"}, headers=HTMX).status_code == 401
    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    add_moderator(app.services, "o@other.example", sites=("other",))
    other = TestClient(app, raise_server_exceptions=False)
    assert sign_in(other, "o@other.example").status_code == 303
    token = csrf_token(other.get("/admin/articles?site=other").text)
    r = other.post(f"{URL}/premoderation?site=default", data={"premoderated": "on", "csrf_token": token}, headers=HTMX)
    assert r.status_code == 403 and "You do not moderate this site." in r.text
    r = other.post(f"{URL}/premoderation?site=other", data={"premoderated": "on", "csrf_token": token}, headers=HTMX)
    assert r.status_code == 404  # its own site has no such thread; none is created
    assert not premoderated(app)
    with app.services.db.read() as conn:
        assert content.get_thread(conn, "other", TID) is None
    assert [e["details"] for e in audited(app.services, "thread.updated", TID)] == [
        {"created": True, "changed": {"title": {"from": None, "to": "The court case"}}}]
