"""A reader who ignores another reader is not sent that reader's words by e-mail.

The ignore list (townhall/service/ignores.py) is "the readers whose comments they chose not to see": the thread,
its reply pages, the featured list and the widget's live updates all leave the ignored author out, and so does the
reply notification (townhall/service/mail.py ``_reply``). Before (found by an audit, 2026-11-28) the ignored
reader's reply, with its full text and their name, still landed in the ignoring reader's inbox.
"""

from __future__ import annotations

import email
import email.policy
import time
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import auth, free_port
from tests.ops.conftest import POLICY

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    box = _Inbox()
    port = free_port()
    controller = aiosmtpd.Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def mail_app(make_app: Any, sqlite_url: str, inbox: tuple[_Inbox, int]) -> Townhall:
    app = make_app(sqlite_url, policy=POLICY, smtp_url=f"smtp://127.0.0.1:{inbox[1]}", public_url="http://news.example",
                   mail_from="comments@news.example")
    app.services.operations.queue.poll_seconds = 0.05
    return app  # type: ignore[no-any-return]


def _drain(app: Townhall) -> None:
    jobs = app.services.operations.queue
    deadline = time.time() + 15
    while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in jobs.list()):
        assert time.time() < deadline, "mail jobs did not finish"
        time.sleep(0.05)


def test_a_reply_by_an_ignored_reader_is_not_mailed_to_the_reader_who_ignores_them(
        mail_app: Townhall, inbox: tuple[_Inbox, int]) -> None:
    box, _ = inbox
    alice = auth("alice", name="Alice", email="alice@example.org")
    troll = auth("troll", name="Troll")
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice).status_code == 200
        first = client.post("/api/v1/threads/t1/comments", json={"text": "My view on the budget."}, headers=troll)
        assert first.status_code == 201, first.text
        troll_id = first.json()["comment"]["author"]["id"]
        # Alice has had enough of this reader and ignores them
        ignored = client.put(f"/api/v1/me/ignored/{troll_id}", headers=alice)
        assert ignored.status_code == 200, ignored.text
        parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?"}, headers=alice)
        assert parent.status_code == 201, parent.text
        pid = parent.json()["comment"]["id"]
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "I know where you live, Alice.", "parent_id": pid},
                            headers=troll)
        assert reply.status_code == 201 and reply.json()["verdict"] == "published", reply.text
        other = client.post("/api/v1/threads/t1/comments", json={"text": "A fair question, Alice.", "parent_id": pid},
                            headers=auth("bob", name="Bob"))
        assert other.status_code == 201 and other.json()["verdict"] == "published", other.text
        # the thread, as Alice reads it, leaves the reply out (placeholder, no text, no author) ...
        shown = client.get("/api/v1/threads/t1/comments", headers=alice).text
        assert "I know where you live" not in shown
        # ... and so must her inbox
        _drain(mail_app)
        mailed = [m.get_content() for m in box.messages if m["To"] == "alice@example.org"]
        assert not any("I know where you live" in body for body in mailed), mailed
        assert any("A fair question, Alice." in body for body in mailed), mailed  # a reply by anyone else is mailed
