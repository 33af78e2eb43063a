"""An audit of what Townhall sends (2026-11-28): reply e-mails for replies a moderator (or a mend, or a released
evasion hold) publishes later, RFC 2047 subjects and the Date field. Through a real SMTP server on loopback (aiosmtpd), SQLite."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import enforcement, moderation
from townhall.service.identity import Actor
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.test_mail import Inbox, smtp  # noqa: F401 - the fixture

MOD = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
ALICE = auth("alice", name="Alice", email="alice@example.org")


@pytest.fixture
def mail_app(make_app: Any, sqlite_url: str, smtp: tuple[Inbox, int]) -> Townhall:  # noqa: F811
    app = make_app(sqlite_url, policy=POLICY, smtp_url=f"smtp://127.0.0.1:{smtp[1]}", public_url="http://news.example",
                   mail_from="comments@news.example")
    app.services.operations.queue.poll_seconds = 0.05
    return app  # type: ignore[no-any-return]


def _mail_jobs_done(app: Townhall) -> None:
    jobs, deadline = app.services.operations.queue, time.time() + 15
    while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in jobs.list()):
        assert time.time() < deadline, "mail jobs did not finish"
        time.sleep(0.05)


def _alice_asks(client: TestClient) -> int:
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=ALICE).status_code == 200
    parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?", "title": "Budget"}, headers=ALICE)
    assert parent.status_code == 201, parent.text
    return int(parent.json()["comment"]["id"])


def test_a_held_reply_that_a_moderator_approves_is_mailed(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """docs/operations.md: "When someone else's reply to their comment is published, they get an e-mail". Before, only
    a reply published when it was posted was mailed: one held for a moderator (a premoderated reader or article, a
    house rule's hold) and approved later never was."""
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        pid = _alice_asks(client)
        dan = auth("dan", name="Dan")
        enforcement.moderator_sanction(mail_app.services, MOD, client.get("/api/v1/me", headers=dan).json()["id"],
                                       "premoderate", "New here")
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "Held, then approved.", "parent_id": pid}, headers=dan)
        assert reply.status_code == 201 and reply.json()["verdict"] == "held", reply.text
        _mail_jobs_done(mail_app)
        assert not inbox.messages  # not published yet: nothing to tell
        moderation.decide_comment(mail_app.services, MOD, reply.json()["comment"]["id"], approve=True)
        _mail_jobs_done(mail_app)
        [msg] = inbox.messages
        assert msg["To"] == "alice@example.org" and msg["Subject"] == "Dan replied to your comment"
        assert "Held, then approved." in msg.get_content()


def test_a_reply_mended_into_publication_is_mailed(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """A reply the house rules refused, mended by its author into one they publish, is published then: mailed then."""
    inbox, _ = smtp
    bob = auth("bob", name="Bob")
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        pid = _alice_asks(client)
        refused = client.post("/api/v1/threads/t1/comments", json={"text": "What the fuck.", "parent_id": pid}, headers=bob)
        assert refused.status_code == 422, refused.text
        cid = refused.json()["error"]["details"]["comment_id"]
        _mail_jobs_done(mail_app)
        assert not inbox.messages
        mended = client.patch(f"/api/v1/comments/{cid}", json={"text": "What on earth."}, headers=bob)
        assert mended.status_code == 200 and mended.json()["verdict"] == "published", mended.text
        _mail_jobs_done(mail_app)
        [msg] = inbox.messages
        assert "What on earth." in msg.get_content() and "fuck" not in msg.get_content()


def test_a_reply_removed_and_approved_again_is_not_mailed_twice(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """A reply that was published (and mailed) when it was posted, removed by a moderator and approved again, was
    already told: the reader gets one e-mail for it."""
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        pid = _alice_asks(client)
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "Once only.", "parent_id": pid},
                            headers=auth("bob", name="Bob"))
        assert reply.status_code == 201 and reply.json()["verdict"] == "published", reply.text
        inbox.wait(1)
        cid = reply.json()["comment"]["id"]
        moderation.decide_comment(mail_app.services, MOD, cid, approve=False, reason="Checking")
        moderation.decide_comment(mail_app.services, MOD, cid, approve=True)
        _mail_jobs_done(mail_app)
        assert len(inbox.messages) == 1


_ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def test_a_non_ascii_subject_is_written_in_encoded_words_of_at_most_75_characters(
        mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """RFC 2047 section 2: an encoded word is at most 75 characters, and a header line should be at most 78 (RFC 5322).
    Before, the messages were written with a 998-character line limit for every header (so that List-Unsubscribe is
    not folded), and a reply's subject with a long non-ASCII name was one encoded word of 100 characters and more,
    which strict mail software refuses to decode."""
    inbox, _ = smtp
    name = "Zoë Ängström-Ödegård Łukasz Żółć Straße Müller Ørsted"
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        pid = _alice_asks(client)
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "Grüße", "parent_id": pid},
                            headers=auth("zoe", name=name))
        assert reply.status_code == 201, reply.text
        [msg] = inbox.wait(1)
    assert msg["Subject"] == f"{name} replied to your comment"  # decoded, it is the same subject
    head = inbox.raw[0].split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    subject = re.search(rb"^Subject:.*(?:\n[ \t].*)*", head, re.MULTILINE)
    assert subject is not None
    words = _ENCODED_WORD.findall(subject.group(0))
    assert words and all(len(w) <= 75 for w in words), words
    assert all(len(line) <= 78 for line in subject.group(0).split(b"\n")), subject.group(0)
    unsubscribe = re.search(rb"^List-Unsubscribe: <(\S+)>$", head, re.MULTILINE)  # still one line, not encoded
    assert unsubscribe is not None and unsubscribe.group(1).startswith(b"http://news.example/unsubscribe?token=")


def test_every_message_carries_its_date(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """RFC 5322 section 3.6: a message must have a Date field. Before, Townhall's messages had none (smtplib adds
    none, and many relays add none for a client that is not local), which spam filters count against a message
    (SpamAssassin's MISSING_DATE) and which leaves mail clients to sort it by when it arrived."""
    inbox, _ = smtp
    before = datetime.now(UTC)
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        pid = _alice_asks(client)
        reply = client.post("/api/v1/threads/t1/comments", json={"text": "Dated.", "parent_id": pid}, headers=auth("bob"))
        assert reply.status_code == 201, reply.text
        _mail_jobs_done(mail_app)
        [msg] = inbox.messages
    assert msg["Date"] is not None, dict(msg.items())
    sent = parsedate_to_datetime(str(msg["Date"]))
    assert sent.utcoffset() == timedelta(0)  # written in UTC, whatever the server's time zone
    assert before - timedelta(seconds=5) <= sent <= datetime.now(UTC) + timedelta(seconds=5)
