"""An ignore list and the site's staff, through the HTTP API on SQLite and PostgreSQL: a reader ignored before the
publisher's token made them a moderator (or admin) is neither hidden nor listed — the thread's pages, reply pages
and featured list show their comments, ``GET /me/ignored`` leaves them out and they take no place under the cap —
while the row is kept (the reader's export has it, and it counts again once the role is taken away)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select
from starlette.testclient import TestClient

from tests.api.test_ignored import COMMENTS, DAVE, MOD, THREAD, error, ignore, ignored, me_id, post, rows
from tests.fixtures_app import auth
from townhall.app import Townhall
from townhall.store.ops_tables import ignored_accounts
from townhall.store.schema import accounts, comments


def _ids(client: TestClient, headers: dict[str, str], **params: Any) -> list[int]:
    r = client.get(COMMENTS, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"] if not c.get("ignored")]


def _featured(client: TestClient, headers: dict[str, str]) -> list[int]:
    r = client.get(f"/api/v1/threads/{THREAD}/featured", headers=headers)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["comments"]]


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_a_reader_made_staff_after_being_ignored_is_shown_and_not_listed(app: Townhall, client: TestClient,
                                                                         role: str) -> None:
    root = post(client, "Bob opens.", "bob")["id"]
    reply = post(client, "Bob again, under Carol.", "bob", post(client, "Carol opens.", "carol")["id"])["id"]
    carol_root = client.get(COMMENTS).json()["comments"][0]["id"]
    bob = me_id(client, auth("bob"))
    dave = me_id(client, DAVE)
    assert ignore(client, bob).status_code == 200
    for cid in (root, reply):
        assert client.put(f"/api/v1/mod/comments/{cid}/featured", json={"featured": True}, headers=MOD).status_code == 200
    assert root not in _ids(client, DAVE) and _featured(client, DAVE) == []  # ignored: left out
    assert [i["id"] for i in ignored(client)] == [bob]

    staff = auth("bob", role=role)  # the publisher's token now makes bob staff
    assert client.get("/api/v1/me", headers=staff).status_code == 200
    assert ignored(client) == []  # not listed: the widget would hide his live comments by that list
    assert rows(app) == [(dave, bob)]  # the row is kept
    page = client.get(COMMENTS, headers=DAVE).json()["comments"]
    assert [c["id"] for c in page] == [carol_root, root] and not any(c.get("ignored") for c in page)
    assert [r["id"] for r in page[0]["replies"]] == [reply] and not page[0]["replies"][0].get("ignored")
    assert _ids(client, DAVE, root=carol_root) == [reply]  # the reply page
    assert sorted(_featured(client, DAVE)) == sorted([root, reply])
    error(ignore(client, bob), 422, "cannot_ignore_moderator")  # and no adding him again
    export = client.get("/api/v1/me/export", headers=DAVE).json()["ignored"]
    assert [i["account_id"] for i in export] == [bob]  # the reader's own data: all that is stored

    assert client.get("/api/v1/me", headers=auth("bob")).status_code == 200  # the role taken away again
    assert [i["id"] for i in ignored(client)] == [bob] and root not in _ids(client, DAVE)
    assert client.get("/api/v1/me", headers=staff).status_code == 200
    assert client.delete(f"/api/v1/me/ignored/{bob}", headers=DAVE).status_code == 204  # taken off as any other
    assert rows(app) == []


def test_staff_on_the_list_take_no_place_under_the_cap(app: Townhall, client: TestClient) -> None:
    post(client, "Bob speaks.", "bob")
    bob = me_id(client, auth("bob"))
    assert ignore(client, bob).status_code == 200
    assert client.get("/api/v1/me", headers=auth("bob", role="moderator")).status_code == 200
    dave = me_id(client, DAVE)
    now = app.services.now()
    with app.services.db.write() as conn:
        conn.execute(insert(accounts), [{"site_id": "default", "subject": f"many-{i}", "display_name": f"Reader {i}",
                                         "supporter": False, "role": "reader", "guest": False, "state": "active",
                                         "created_at": now} for i in range(1001)])
        ids = [int(i) for i in conn.execute(select(accounts.c.id).where(accounts.c.subject.like("many-%")).order_by(accounts.c.id)).scalars()]
        thread = int(conn.execute(select(comments.c.thread_id).limit(1)).scalar_one())
        conn.execute(insert(comments), [{"thread_id": thread, "account_id": i, "depth": 0, "body": "Hi.", "html": "<p>Hi.</p>",
                                         "status": "published", "reactions": 0, "created_at": now} for i in ids])
        conn.execute(insert(ignored_accounts), [{"account_id": dave, "ignored_id": i, "created_at": now} for i in ids[:999]])
    assert ignore(client, ids[999]).status_code == 200  # the thousandth reader: bob, a moderator now, is not counted
    error(ignore(client, ids[1000]), 422, "ignore_list_full")
    listed = ignored(client)
    assert len(listed) == 1000 and bob not in {i["id"] for i in listed}
