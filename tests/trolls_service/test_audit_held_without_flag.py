"""Audit, service: the paid-troll rule holds an account's comments only while an open coordination flag names it,
so a moderator can see why and dismiss it. Two friends who read together and like the same comments, one of them
on the family tablet: the detector puts them in a watched (not flagged) cluster with their household."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import Clock, auth
from tests.trolls.test_audit_watch_scores import FAMILY, FRIENDS, friends_and_a_household

MOD = auth("mod", role="moderator")
SITE = "default"


def _post(client: TestClient, sub: str, thread: str, text: str) -> str:
    r = client.post(f"/api/v1/threads/{thread}/comments", json={"text": text}, headers=auth(sub))
    assert r.status_code == 201, r.text
    return str(r.json()["verdict"])


def test_comments_are_held_only_for_an_account_an_open_flag_names(app: Any, client: TestClient, clock: Clock) -> None:
    subs = list(FRIENDS + FAMILY)
    for sub in subs:
        assert _post(client, sub, "hello", "Hello everyone, glad to be reading along here.") == "published"
    ids = {sub: str(client.get("/api/v1/me", headers=auth(sub)).json()["id"]) for sub in subs}
    events, _ = friends_and_a_household(ids, end=clock())
    index = app.services.trolls.index(SITE)
    for event in events:
        index.add(event)
    clock.advance(minutes=1)
    r = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
    assert r.status_code == 200, r.text
    flags = [f for f in client.get("/api/v1/mod/queues/flags", headers=MOD).json()["items"] if f["kind"] == "coordination"]
    named = {str(a) for f in flags for a in f["accounts"]}
    for sub in subs:
        clock.advance(seconds=30)
        verdict = _post(client, sub, "story-later", f"An ordinary remark about the tram timetable from {sub}.")
        assert verdict == "published" or ids[sub] in named, f"{sub}'s comment is {verdict}, but no open flag names it"
