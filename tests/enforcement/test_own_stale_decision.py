"""A moderator whose page is out of date because of their own decision (another tab, a decision made and then
changed) is told so, not that "another moderator" decided the comment; a real other moderator's decision is still a
conflict, audited. Found in a newsroom developer's walkthrough (2026-11-28): the same moderator removed a comment,
then sent "approve" from the page that still showed it published, and read that another moderator had decided it."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import MOD, audit_actions
from tests.fixtures_app import auth

MOD2 = auth("mod-2", role="moderator")


def _decide(client: TestClient, cid: int, action: str, expect: str, headers: dict[str, str] = MOD) -> Any:
    body = {"action": action, "expect_status": expect, **({"reason": "Off topic."} if action == "reject" else {})}
    return client.post(f"/api/v1/mod/comments/{cid}/decision", json=body, headers=headers)


def test_a_page_made_stale_by_ones_own_decision_says_so(client: TestClient) -> None:
    r = client.post("/api/v1/threads/t-own/comments", json={"text": "A plain remark."}, headers=auth("alice"))
    assert r.status_code == 201, r.text
    cid = int(r.json()["comment"]["id"])
    assert _decide(client, cid, "reject", "published").status_code == 200
    stale = _decide(client, cid, "approve", "published")  # the page still showed it published
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["code"] == "conflict" and error["details"] == {"status": "rejected"}
    assert "Another moderator" not in error["message"] and "You decided this comment" in error["message"]
    assert "rejected now" in error["message"]
    assert audit_actions(client, action="comment.moderation_conflict", subject_type="comment", subject_id=str(cid)) == []
    # another moderator with the same stale page: a conflict between two people, audited
    other = _decide(client, cid, "approve", "published", MOD2)
    assert other.status_code == 409 and other.json()["error"]["message"] == "Another moderator has already decided this comment."
    conflicts = audit_actions(client, action="comment.moderation_conflict", subject_type="comment", subject_id=str(cid))
    assert [e["actor"] for e in conflicts] == ["sso:default:mod-2"]
