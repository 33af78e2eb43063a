"""Featuring comments from the dashboard, over HTTP on SQLite and PostgreSQL: the htmx button on the account page
and the reader-reports queue swaps in the new state, the "Featured" mark, CSRF, other sites, held comments."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.dashboard.helpers import add_moderator, csrf_token, sign_in
from tests.dashboard.seed import BUDGET, reader, say
from tests.dashboard.test_dashboard_audit import Mod, audited, held
from tests.fixtures_app import Clock, auth
from townhall.app import Townhall
from townhall.service import comments as svc_comments
from townhall.service import moderators
from townhall.service.identity import Actor
from townhall.store import content

HTMX = {"HX-Request": "true"}


def published(app: Townhall, sub: str, text: str = "The figures on page 40 do add up; here is how.") -> tuple[int, int]:
    who = reader(app.services, sub, sub.title())
    comment = say(app.services, who, BUDGET, text)
    assert comment["status"] == "published"
    return int(comment["id"]), who.account_id


def featured_at(app: Townhall, cid: int) -> object:
    with app.services.db.read() as conn:
        return content.get_comment(conn, cid)["featured_at"]


def test_the_account_page_features_and_unfeatures_with_htmx(app: Townhall) -> None:
    mod = Mod(app, "a@news.example")
    cid, account = published(app, "ann")
    page = mod.client.get(f"/admin/accounts/{account}")
    assert page.status_code == 200
    assert f'hx-post="/admin/comments/{cid}/featured"' in page.text and ">Feature</button>" in page.text
    assert 'class="tag featured"' not in page.text

    r = mod.client.post(f"/admin/comments/{cid}/featured", data={"featured": "yes", "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith(f'<form class="feature" id="feature-{cid}"')  # the fragment htmx swaps in
    assert 'class="tag featured"' in r.text and ">Unfeature</button>" in r.text and 'name="featured" value="no"' in r.text
    assert featured_at(app, cid) is not None
    assert [e["actor"] for e in audited(app.services, "comment.featured", cid)] == [mod.actor]
    assert 'class="tag featured"' in mod.client.get(f"/admin/accounts/{account}").text
    listed = mod.client.get(f"/api/v1/threads/{BUDGET[0]}/comments").json()["comments"]
    assert [c["featured"] for c in listed if c["id"] == cid] == [True]

    r = mod.client.post(f"/admin/comments/{cid}/featured", data={"featured": "no", "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 200 and 'class="tag featured"' not in r.text and ">Feature</button>" in r.text
    assert featured_at(app, cid) is None
    assert [e["actor"] for e in audited(app.services, "comment.unfeatured", cid)] == [mod.actor]


def test_the_feature_button_without_scripts_and_for_the_dashboards_script(app: Townhall) -> None:
    mod = Mod(app, "a@news.example")
    cid, account = published(app, "ben")
    back = f"http://testserver/admin/accounts/{account}"
    r = mod.client.post(f"/admin/comments/{cid}/featured", data={"featured": "yes", "csrf_token": mod.token},
                        headers={"Referer": back}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/accounts/{account}"
    r = mod.post(f"/admin/comments/{cid}/featured", {"featured": "yes"})  # X-Requested-With: fetch
    assert r.status_code == 200 and r.json() == {"ok": True, "comment_id": cid, "featured": True}
    assert len(audited(app.services, "comment.featured", cid)) == 1  # the repeat changed nothing
    r = mod.post(f"/admin/comments/{cid}/featured", {"featured": "maybe"})
    assert r.status_code == 422


def test_the_feature_button_needs_the_csrf_token_and_the_site(app: Townhall, client: TestClient) -> None:
    mod = Mod(app, "a@news.example")
    cid, _ = published(app, "cat")
    r = mod.client.post(f"/admin/comments/{cid}/featured", data={"featured": "yes"}, headers=HTMX)
    assert r.status_code == 403 and "expired" in r.text
    r = client.post(f"/admin/comments/{cid}/featured", data={"featured": "yes"}, headers=HTMX)  # signed out
    assert r.status_code == 401
    moderators.add_site(app.services, Actor.cli(), "other", "The Other Paper")
    add_moderator(app.services, "o@other.example", sites=("other",))
    other = TestClient(app, raise_server_exceptions=False)
    assert sign_in(other, "o@other.example").status_code == 303
    token = csrf_token(other.get("/admin/queue/held?site=other").text)
    r = other.post(f"/admin/comments/{cid}/featured", data={"featured": "yes", "csrf_token": token}, headers=HTMX)
    assert r.status_code == 403 and "You do not moderate this site." in r.text
    assert featured_at(app, cid) is None


def test_a_held_comment_cannot_be_featured(app: Townhall) -> None:
    mod = Mod(app, "a@news.example")
    cid, account = held(app.services, "dan")
    assert f"/admin/comments/{cid}/featured" not in mod.client.get(f"/admin/accounts/{account}").text
    r = mod.client.post(f"/admin/comments/{cid}/featured", data={"featured": "yes", "csrf_token": mod.token}, headers=HTMX)
    assert r.status_code == 409 and "Only a published comment can be featured." in r.text
    r = mod.post(f"/admin/comments/{cid}/featured", {"featured": "yes"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_published"


def test_the_reported_queue_shows_the_mark_and_the_button(app: Townhall, clock: Clock) -> None:
    svc = app.services
    reporters = [reader(svc, f"rep{n}", f"Reporter {n}") for n in range(3)]
    clock.advance(days=8)  # reporters older than new_account_days: full weight
    mod = Mod(app, "a@news.example")
    cid, _ = published(app, "eve", "A sharp but fair point about the budget.")
    assert mod.post(f"/admin/comments/{cid}/featured", {"featured": "yes"}).status_code == 200
    for who in reporters:
        svc_comments.report(svc, who, cid, "off_topic")
    page = mod.client.get("/admin/queue/reported")
    assert page.status_code == 200 and f'id="item-{cid}"' in page.text
    item = page.text.split(f'id="item-{cid}"', 1)[1].split("</article>", 1)[0]
    assert 'class="tag featured"' in item and f'hx-post="/admin/comments/{cid}/featured"' in item and ">Unfeature</button>" in item
    assert mod.client.get("/api/v1/mod/queues/reported", headers=auth("m", role="moderator")).json()["items"][0]["featured"] is True
