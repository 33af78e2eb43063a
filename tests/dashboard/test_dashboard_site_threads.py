"""A site's ``auto_create_threads`` on the dashboard's site form ("Articles: open on their first comment / only those
the publisher registers"). Before, no command or page could turn it off: a publisher who wanted comments only under
the articles it registers (``PATCH /api/v1/mod/threads/{thread}``) had to edit an export and import it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.dashboard.test_dashboard_audit import Mod, audited
from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.store import content

EDITOR = auth("editor", role="moderator")


def _auto(app: Townhall) -> bool:
    with app.services.db.read() as conn:
        site = content.get_site(conn, "default")
    assert site is not None
    return bool(site["auto_create_threads"])


def _comment(client: TestClient, thread: str) -> int:
    return client.post(f"/api/v1/threads/{thread}/comments", json={"text": "A first remark."},
                       headers=auth("reader")).status_code


def test_an_admin_keeps_comments_to_the_articles_the_publisher_registers(app: Townhall) -> None:
    admin = Mod(app, "admin@example.org", admin=True)
    page = admin.client.get("/admin/moderators").text
    assert 'name="threads"' in page and '<option value="open" selected>' in page  # shown as it is: on
    r = admin.post("/admin/sites/default", {"name": "News", "threads": "registered"}, fetch=False)
    assert r.status_code == 303, r.text
    assert _auto(app) is False
    assert audited(app.services, "site.updated", "default")[-1]["details"]["auto_create_threads"] is False
    assert '<option value="registered" selected>' in admin.client.get("/admin/moderators").text
    client = TestClient(app)
    assert _comment(client, "not-registered") == 404  # no thread made on a first comment
    registered = client.patch("/api/v1/mod/threads/registered-1", json={"title": "Budget"}, headers=EDITOR)
    assert registered.status_code == 200, registered.text
    assert _comment(client, "registered-1") == 201
    # a form that does not send the field (an older page, a script) leaves the setting as it is
    assert admin.post("/admin/sites/default", {"name": "News"}, fetch=False).status_code == 303
    assert _auto(app) is False
    assert admin.post("/admin/sites/default", {"name": "News", "threads": "open"}, fetch=False).status_code == 303
    assert _auto(app) is True and _comment(client, "not-registered") == 201
    # anything else is refused in the envelope, nothing saved
    bad = admin.post("/admin/sites/default", {"name": "News", "threads": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid", bad.text
    assert _auto(app) is True
