"""Defects found by the enforcement audit (2026-11-27), through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from starlette.testclient import TestClient

from tests.enforcement.test_ladder import abusive_texts
from tests.fixtures_app import auth

T = "/api/v1/threads/article-1/comments"


def _at_once(client: TestClient, reader: dict[str, str], texts: list[str]) -> list:
    barrier, answers = threading.Barrier(len(texts)), []

    def send(text: str) -> None:
        barrier.wait()
        answers.append(client.post(T, json={"text": text}, headers=reader))

    threads = [threading.Thread(target=send, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_strikes_sent_at_once_climb_the_ladder(app, client: TestClient) -> None:
    """On PostgreSQL two abusive comments of one reader sent at once each counted only their own strike: two
    strikes, two warnings, and no suspension. Judged one after the other, the second suspends."""
    abuse = abusive_texts(app)
    for i in range(8):
        reader = auth(f"racer-{i}")
        client.get("/api/v1/me", headers=reader)
        answers = _at_once(client, reader, abuse[:2])
        assert sorted(r.status_code for r in answers) == [422, 422], [r.text for r in answers]
        me = client.get("/api/v1/me", headers=reader).json()
        kinds = [a["kind"] for a in me["actions"]]
        assert me["active_strikes"] == 2 and me["state"] == "suspended", kinds
        assert kinds.count("warn") == 1 and kinds.count("suspend") == 1, kinds


def test_three_strikes_sent_at_once_ban_or_refuse_the_rest(app, client: TestClient) -> None:
    """Three at once: each one after the other, as if sent in turn; the one arriving after the suspension is
    refused with the sanction's reason (403) and stores nothing, as it would have been a moment later."""
    abuse = abusive_texts(app)
    for i in range(4):
        reader = auth(f"triple-{i}")
        client.get("/api/v1/me", headers=reader)
        answers = _at_once(client, reader, abuse[:3])
        codes = sorted(r.status_code for r in answers)
        assert codes == [403, 422, 422], [r.text for r in answers]
        refused = next(r for r in answers if r.status_code == 403).json()["error"]
        assert refused["code"] == "account_sanctioned" and refused["details"]["sanction"] == "suspend"
        me = client.get("/api/v1/me", headers=reader).json()
        assert me["active_strikes"] == 2 and me["state"] == "suspended"
