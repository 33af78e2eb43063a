"""A moderator closing a new article's comments as its first reader comments gets a 500.

``PUT /api/v1/mod/threads/{thread}/state`` creates a thread that does not exist yet (a moderator may close an
article before anyone comments) with a plain insert (townhall/service/moderation.py, ``set_thread_state``). A
reader's first comment on that article creates the thread too (townhall.service.comments.get_or_create_thread,
which expects a concurrent creator, as ``PATCH /api/v1/mod/threads/{thread}`` does). On PostgreSQL, where the
reader's first comment commits between the moderator's look-up and insert, the moderator's request fails with the
database's unique-constraint error: a 500 ("internal"), and the article stays open.

The interleaving is made deterministic with a real PostgreSQL table lock held by the test (the reader's request has
created the thread and waits to insert its comment; the moderator's has looked it up and waits on the reader's
insert); on SQLite the writers queue (BEGIN IMMEDIATE) and the test passes.

Found by an audit (2026-11-28): the defect described above is fixed; this test failed before the fix.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import auth
from tests.ops.pg_race import until_waiting
from townhall.app import Townhall

STORY = "story-to-close"


def test_closing_a_new_thread_as_its_first_comment_comes_is_no_500(app: Townhall, client: TestClient) -> None:
    svc = app.services
    got: dict[str, Any] = {}

    def reader() -> None:
        got["reader"] = client.post(f"/api/v1/threads/{STORY}/comments", json={"text": "First!"}, headers=auth("dave"))

    def moderator() -> None:
        got["mod"] = client.put(f"/api/v1/mod/threads/{STORY}/state", json={"state": "closed"},
                                headers=auth("mod", role="moderator"))

    post, close = threading.Thread(target=reader), threading.Thread(target=moderator)
    if svc.db.is_sqlite:
        post.start(); close.start()  # noqa: E702
    else:
        with svc.db.write_engine.connect() as blocker:
            with blocker.begin():
                blocker.exec_driver_sql("LOCK TABLE comments IN SHARE MODE")  # reads go on, inserts of comments wait
                post.start()
                until_waiting(blocker, 1)  # the reader's request created the thread, and waits to insert its comment
                close.start()
                until_waiting(blocker, 2)  # the moderator's did not see it, and waits on the reader's insert of it
    post.join(60); close.join(60)  # noqa: E702
    assert got["reader"].status_code in (201, 422), got["reader"].text  # posted, or refused: closed first
    assert got["mod"].status_code == 200, got["mod"].text
    listed = client.get(f"/api/v1/threads/{STORY}/comments")
    assert listed.status_code == 200 and listed.json()["thread"]["state"] == "closed", listed.text
