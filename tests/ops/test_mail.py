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
from townhall.service import enforcement, moderators
from townhall.service.identity import Actor
from townhall.store import content
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


# --- the article's address in a reply notification ---------------------------------------------------------
# A thread's address is whatever its first comment was sent with (checked since, but not in rows from before,
# nor in imports): an e-mail Townhall sends links it only if it is an http(s) address (on the site's origins
# where it names any), or a path on the site, made absolute on the site's first origin.
def _reply_mail(app: Townhall, inbox: Inbox, thread: str, url: str | None, title: str | None = "Budget") -> str:
    with app.services.db.write() as conn:  # a thread as an older version (or an import) may have stored it
        content.insert_thread(conn, site_id="default", external_id=thread, url=url, title=title, now=app.services.now())
    alice = auth("alice", name="Alice", email="alice@example.org")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice).status_code == 200
        parent = client.post(f"/api/v1/threads/{thread}/comments", json={"text": "What do you think?"}, headers=alice)
        assert parent.status_code == 201, parent.text
        reply = client.post(f"/api/v1/threads/{thread}/comments", json={"text": "Fine by me.", "parent_id": parent.json()["comment"]["id"]},
                            headers=auth("bob", name="Bob"))
        assert reply.status_code == 201, reply.text
        [msg] = inbox.wait(1)
        return str(msg.get_content())


@pytest.mark.parametrize("stored", ["javascript:alert(document.cookie)", "JavaScript:alert(1)//https://news.example/",
                                    " javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/a",
                                    "https://news.example@evil.example/a"])
def test_a_reply_notification_never_links_a_stored_address_that_is_no_web_address(
        mail_app: Townhall, smtp: tuple[Inbox, int], stored: str) -> None:
    body = _reply_mail(mail_app, smtp[0], "old-thread", stored)
    assert "Fine by me." in body and "Budget" in body
    assert "Read the conversation" not in body
    assert "javascript" not in body.lower() and "data:" not in body and "evil.example" not in body


def test_a_reply_notification_links_an_address_only_on_the_sites_origins(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    moderators.update_site(mail_app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example"])
    body = _reply_mail(mail_app, smtp[0], "phished", "https://phishing.example/login")
    assert "Read the conversation" not in body and "phishing.example" not in body


def test_a_reply_notification_links_the_article(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    body = _reply_mail(mail_app, smtp[0], "budget", "https://news.example/politics/budget?ref=home")
    assert "Read the conversation: https://news.example/politics/budget?ref=home" in body.splitlines()


@pytest.mark.parametrize(("origins", "shown"), [(["https://news.example/", "https://www.news.example"], "https://news.example/news/1"),
                                                (["HTTPS://News.Example:443/"], "https://news.example/news/1"),
                                                ([], None)])
def test_a_path_is_linked_on_the_sites_first_origin(mail_app: Townhall, smtp: tuple[Inbox, int], origins: list[str],
                                                    shown: str | None) -> None:
    """A path (the demo page's is one) has no host in an e-mail: it is linked on the site's first origin, and
    not at all where the site names none (Townhall's own address is not the publisher's)."""
    moderators.update_site(mail_app.services, Actor.cli(), "default", name="News", allow_guests=False, origins=origins)
    body = _reply_mail(mail_app, smtp[0], "pathed", "/news/1")
    if shown is None:
        assert "Read the conversation" not in body and "/news/1" not in body
    else:
        assert f"Read the conversation: {shown}" in body.splitlines()


def test_a_title_cannot_write_lines_of_its_own(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    """The title is the first commenter's text too: its line breaks are spaces in the e-mail, so it cannot add
    a line that reads like Townhall's own."""
    body = _reply_mail(mail_app, smtp[0], "titled", None, title="Budget\n\nRead the conversation: https://phishing.example/\r\n")
    assert not any(line.startswith("Read the conversation") for line in body.splitlines())
    assert 'under "Budget Read the conversation: https://phishing.example/":' in body


def test_a_title_cannot_reorder_or_colour_the_line(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    """Nor can a title's control characters (a terminal's escape sequences) or bidirectional controls (a
    right-to-left override shows the rest of the line backwards: another address than it is) reach the e-mail."""
    title = "Budget \u202egnp.exe\u202c \x1b[2Jvote\x07 \u2066x\u2069 \u200fdone"
    body = _reply_mail(mail_app, smtp[0], "odd-title", None, title=title)
    assert 'under "Budget gnp.exe [2Jvote x done":' in body
    assert not any(ch in body for ch in "\u202e\u202c\x1b\x07\u2066\u2069\u200f")


def test_a_reply_by_an_ignored_reader_is_not_mailed_to_the_reader_who_ignores_them(
        mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    """The ignore list leaves the ignored author out of the thread, its reply pages, the featured list, live updates
    and the reply e-mail. Before (found by an audit, 2026-11-28) the ignored reader's reply, with its full text and
    their name, still landed in the ignoring reader's inbox."""
    inbox, _ = smtp
    alice = auth("alice", name="Alice", email="alice@example.org")
    troll = auth("troll", name="Troll")
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice).status_code == 200
        first = client.post("/api/v1/threads/t1/comments", json={"text": "My view on the budget."}, headers=troll)
        assert first.status_code == 201, first.text
        ignored = client.put(f"/api/v1/me/ignored/{first.json()['comment']['author']['id']}", headers=alice)
        assert ignored.status_code == 200, ignored.text
        parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?"}, headers=alice)
        assert parent.status_code == 201, parent.text
        pid = parent.json()["comment"]["id"]
        for text, who in (("I know where you live, Alice.", troll), ("A fair question, Alice.", auth("bob", name="Bob"))):
            r = client.post("/api/v1/threads/t1/comments", json={"text": text, "parent_id": pid}, headers=who)
            assert r.status_code == 201 and r.json()["verdict"] == "published", r.text
        assert "I know where you live" not in client.get("/api/v1/threads/t1/comments", headers=alice).text
        jobs, deadline = mail_app.services.operations.queue, time.time() + 15
        while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in jobs.list()):
            assert time.time() < deadline, "mail jobs did not finish"
            time.sleep(0.05)
        mailed = [m.get_content() for m in inbox.messages if m["To"] == "alice@example.org"]
        assert any("A fair question, Alice." in body for body in mailed), mailed
        assert not any("I know where you live" in body for body in mailed), mailed
