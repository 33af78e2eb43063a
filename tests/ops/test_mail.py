"""E-mail through a real SMTP server on loopback (aiosmtpd): reply notifications, the unsubscribe link (its
page and button in detail: test_unsubscribe.py), sanction notices and the moderators' digest."""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import enforcement
from townhall.service.identity import Actor
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import auth, free_port
from tests.ops.conftest import POLICY

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []  # as received, before parsing (which would decode encoded words)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def wait(self, count: int, timeout: float = 15.0) -> list[email.message.EmailMessage]:
        deadline = time.time() + timeout
        while len(self.messages) < count:
            assert time.time() < deadline, f"expected {count} messages, got {len(self.messages)}"
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mail_app(make_app: Any, db_url: str, smtp: tuple[Inbox, int]) -> Townhall:
    app = make_app(db_url, policy=POLICY, smtp_url=f"smtp://127.0.0.1:{smtp[1]}", public_url="http://news.example",
                   mail_from="comments@news.example")
    app.services.operations.queue.poll_seconds = 0.05
    return app  # type: ignore[no-any-return]


def test_reply_notification_and_unsubscribe(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    alice = auth("alice", name="Alice", email="alice@example.org")
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=auth("nomail")).status_code == 422
        on = client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice)
        assert on.status_code == 200 and on.json()["replies"] is True
        parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?", "title": "Budget"}, headers=alice).json()
        own = client.post("/api/v1/threads/t1/comments", json={"text": "Replying to myself", "parent_id": parent["comment"]["id"]}, headers=alice)
        assert own.status_code == 201
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "I think it's fine ✓", "parent_id": parent["comment"]["id"]},
                            headers=auth("bob", name="Bob"))
        assert reply.status_code == 201
        [msg] = inbox.wait(1)
        assert msg["To"] == "alice@example.org" and "Bob replied" in msg["Subject"]
        body = msg.get_content()
        assert "I think it's fine ✓" in body and "What do you think?" in body and "Budget" in body
        link = next(word for word in body.split() if word.startswith("http://news.example/unsubscribe?token="))
        assert msg["List-Unsubscribe"] == f"<{link}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        url = urlparse(link)
        page = client.get(f"{url.path}?{url.query}")  # no sign-in; opening the link only asks (tests/ops/test_unsubscribe.py)
        assert page.status_code == 200 and "Unsubscribe?" in page.text
        assert client.get("/api/v1/me/notifications", headers=alice).json()["replies"] is True
        done = client.post("/unsubscribe", data={"token": parse_qs(url.query)["token"][0]})  # the page's button
        assert done.status_code == 200 and "Unsubscribed" in done.text
        assert client.get("/api/v1/me/notifications", headers=alice).json()["replies"] is False
        assert client.get(f"{url.path}?token={url.query.split('=', 1)[1][:-3]}xyz").status_code == 400
        client.post("/api/v1/threads/t1/comments", json={"text": "Another reply", "parent_id": parent["comment"]["id"]},
                    headers=auth("carol"))
        jobs = mail_app.services.operations.queue
        deadline = time.time() + 10
        while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in jobs.list()):
            assert time.time() < deadline
            time.sleep(0.05)
        assert len(inbox.messages) == 1  # unsubscribed: no second e-mail

        # a sanction notice goes to the reader without opting in
        me = client.get("/api/v1/me", headers=alice).json()
        mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
        enforcement.moderator_sanction(mail_app.services, mod, me["id"], "suspend", "Off-topic flood", hours=24)
        notice = inbox.wait(2)[1]
        assert notice["To"] == "alice@example.org" and "suspended" in notice["Subject"]
        assert "Off-topic flood" in notice.get_content() and "/appeal" in notice.get_content()


def test_moderator_digest_command(mail_app: Townhall, smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
        me = client.get("/api/v1/me", headers=auth("dan")).json()
        enforcement.moderator_sanction(mail_app.services, mod, me["id"], "premoderate", "New here")
        for text in ("one", "two"):
            assert client.post("/api/v1/threads/t1/comments", json={"text": text}, headers=auth("dan")).json()["verdict"] == "held"
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    dry = runner.invoke(build_cli(), ["mail", "digest", "--dry-run", "--db", mail_app.settings.database_url])
    assert dry.exit_code == 0 and "held comments      2" in dry.output
    sent = runner.invoke(build_cli(), ["mail", "digest", "--to", "desk@news.example", "--db", mail_app.settings.database_url])
    assert sent.exit_code == 0, sent.output
    [digest] = inbox.wait(1)
    assert digest["To"] == "desk@news.example" and "2 item(s) waiting" in digest["Subject"]
    assert "held comments      2" in digest.get_content()
