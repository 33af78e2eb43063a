"""The live event of featuring a comment, through a real server on SQLite and PostgreSQL: ``comment.featured``
with the comment's id and its new state, sent once per change (none for a repeat, none for a comment readers
do not see)."""

from __future__ import annotations

import httpx

from tests.api.test_live_audit import Stream, post, subscribed
from tests.fixtures_app import LiveServer, auth
from townhall.app import Townhall

THREAD = "audit-article"  # the thread Stream and post use by default
MOD = auth("mod", role="moderator")


def _feature(server: LiveServer, cid: int, on: bool) -> None:
    r = httpx.put(f"{server.url}/api/v1/mod/comments/{cid}/featured", json={"featured": on}, headers=MOD)
    assert r.status_code == 200 and r.json() == {"comment_id": cid, "featured": on}, r.text


def test_featuring_and_unfeaturing_tell_the_threads_readers_once(app: Townhall, live_server: LiveServer) -> None:
    cid = post(live_server, "A comment the moderators will pick.")
    gone = post(live_server, "A comment its author deletes.")
    stream = Stream(live_server)
    try:
        subscribed(app, 1)
        _feature(live_server, cid, True)
        # on PostgreSQL the two posts reach this process's readers through the relay (LISTEN/NOTIFY), which may be
        # after the stream subscribed: their comment.published events may come first, and are not the point here
        got = stream.events(lambda e: any(k != "comment.published" for k, _, _ in e))
        got = [e for e in got if not (e[0] == "comment.published" and e[2]["id"] in (cid, gone))]
        assert [(k, d) for k, _, d in got] == [("comment.featured", {"type": "comment.featured", "id": cid, "featured": True})]
        assert got[0][1] is not None  # replayable after a reconnect, like every event
        _feature(live_server, cid, True)  # a repeat changes nothing: no event
        _feature(live_server, cid, False)
        got = stream.events(lambda e: bool(e))
        assert [(k, d["id"], d["featured"]) for k, _, d in got] == [("comment.featured", cid, False)]
        _feature(live_server, cid, False)
        _feature(live_server, gone, True)
        assert httpx.delete(f"{live_server.url}/api/v1/comments/{gone}", headers=auth("alice")).status_code == 204
        got = stream.events(lambda e: len(e) >= 2)
        assert [(k, d["id"]) for k, _, d in got] == [("comment.featured", gone), ("comment.deleted", gone)]
        _feature(live_server, gone, False)  # a deleted comment shows no mark either way: no event
        marker = post(live_server, "After the picks.")
        assert [(k, d["id"]) for k, _, d in stream.events(lambda e: bool(e))] == [("comment.published", marker)]
    finally:
        stream.close()
