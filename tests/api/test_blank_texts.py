"""Text that shows a reader or a moderator nothing — spaces, or characters a browser draws as nothing (a zero-width
space, a Braille blank, a Hangul filler) — is refused where text is required: an appeal a moderator would read as
empty was filed, and a guest named with Braille blanks posted under no visible name."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import auth

T = "/api/v1/threads/t/comments"
MOD = auth("mod", role="moderator")
BLANKS = ["   ", "\u200b\u200b", "\u2800", "\u3164 \u2800"]


def test_an_appeal_needs_words_a_moderator_can_read(make_app: Any, sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url)) as client:
        me = client.get("/api/v1/me", headers=auth("alice")).json()["id"]
        r = client.post(f"/api/v1/mod/accounts/{me}/sanctions", json={"sanction": "warn", "reason": "Insults."}, headers=MOD)
        action = r.json()["action_id"]
        for text in BLANKS:
            r = client.post(f"/api/v1/me/actions/{action}/appeal", json={"text": text}, headers=auth("alice"))
            assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "text"}, (repr(text), r.text)
        r = client.post(f"/api/v1/me/actions/{action}/appeal", json={"text": "\u200bI only quoted him."}, headers=auth("alice"))
        assert r.status_code == 201, r.text


def test_a_guest_needs_a_name_readers_can_see(make_app: Any, sqlite_url: str) -> None:
    with TestClient(make_app(sqlite_url, allow_guests=True)) as client:
        for name in BLANKS:
            r = client.post(T, json={"text": "Hello.", "guest_name": name})
            assert r.status_code == 422 and r.json()["error"]["message"] == "A guest needs a display name.", (repr(name), r.text)
        r = client.post(T, json={"text": "Hello.", "guest_name": "\u2800Ada"})
        assert r.status_code == 201 and r.json()["comment"]["author"]["name"] == "\u2800Ada", r.text
