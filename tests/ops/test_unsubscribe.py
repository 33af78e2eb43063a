"""The unsubscribe link of reply e-mails, through a real SMTP server (aiosmtpd) and real databases.

A GET of the link used to unsubscribe at once, so a mail scanner that follows every link (Outlook Safe Links,
corporate gateways) unsubscribed readers who never asked. Now the GET only shows what would stop, with a button;
the button's POST or a mail client's RFC 8058 one-click POST stops it. A link stops one kind of e-mail to the
address it was mailed to, and nothing else."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import mail, moderators
from townhall.store import moderation
from townhall.service.identity import Actor
from tests.fixtures_app import auth
from tests.ops.test_mail import Inbox, mail_app, smtp  # noqa: F401 - fixtures

ALICE = "alice@example.org"


def opted_in(client: TestClient, email: str = ALICE) -> dict[str, str]:
    alice = auth("alice", name="Alice", email=email)
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=alice).json()["replies"] is True
    return alice


def replies(client: TestClient, alice: dict[str, str]) -> bool:
    return client.get("/api/v1/me/notifications", headers=alice).json()["replies"]  # type: ignore[no-any-return]


def reply_to_alice(client: TestClient, alice: dict[str, str], replier: str) -> None:
    parent = client.post("/api/v1/threads/t1/comments", json={"text": "What do you think?"}, headers=alice)
    assert parent.status_code == 201
    reply = client.post("/api/v1/threads/t1/comments", json={"text": f"{replier.title()} thinks so too",
                                                             "parent_id": parent.json()["comment"]["id"]}, headers=auth(replier))
    assert reply.status_code == 201


def settle(app: Townhall) -> None:
    """Wait until no e-mail job is waiting or running."""
    deadline = time.time() + 15
    while any(j["state"] in ("queued", "running") and j["kind"] == "mail.send" for j in app.services.operations.queue.list()):
        assert time.time() < deadline
        time.sleep(0.05)


def mailed_link(client: TestClient, inbox: Inbox, alice: dict[str, str], replier: str = "bob") -> tuple[str, str, Any]:
    """A reply to Alice's comment, and the unsubscribe link of the e-mail it makes: (path?query, token, message)."""
    count = len(inbox.messages)
    reply_to_alice(client, alice, replier)
    msg = inbox.wait(count + 1)[count]
    link = next(word for word in msg.get_content().split() if word.startswith("http://news.example/unsubscribe?token="))
    url = urlparse(link)
    return f"{url.path}?{url.query}", parse_qs(url.query)["token"][0], msg


def assert_error_page(r: Any) -> None:
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "This link does not work" in r.text and "not valid" in r.text and "<form" not in r.text


def assert_envelope(r: Any, status: int) -> None:
    assert r.status_code == status and r.json()["error"]["code"] == "invalid", r.text


def test_every_reply_mail_carries_both_one_click_headers(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        path, _, msg = mailed_link(client, smtp[0], opted_in(client))
    assert msg["List-Unsubscribe"] == f"<http://news.example{path}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # as sent: the URI itself on one line (RFC 2369), not encoded words, which mail clients do not decode there
    head = smtp[0].raw[-1].split(b"\r\n\r\n")[0]
    assert f"\r\nList-Unsubscribe: <http://news.example{path}>\r\n".encode() in head, head


def test_opening_the_link_changes_nothing_and_asks(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client)
        path, token, _ = mailed_link(client, inbox, alice)
        for _ in range(3):  # a scanner, the gateway's second look, the reader
            page = client.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert replies(client, alice) is True
        mailed_link(client, inbox, alice, "carol")  # still told about the next reply
        assert len(inbox.messages) == 2

    assert "Unsubscribe?" in page.text and ALICE in page.text and "replies to your comments" in page.text
    assert re.search(r'<form method=post action="unsubscribe">\s*<input type=hidden name=token value="([^"]+)">', page.text).group(1) == token
    assert "<button type=submit>Unsubscribe</button>" in page.text
    assert "<script" not in page.text and "<link" not in page.text and "src=" not in page.text  # no external assets
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_the_page_escapes_what_it_names(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    moderators.update_site(mail_app.services, Actor.cli(), "default", name='News <b onmouseover="x()">&</b>', allow_guests=False,
                           origins=[])
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        path, _, _ = mailed_link(client, smtp[0], opted_in(client, email="o'neil+&x@example.org"))
        page = client.get(path)
        assert page.status_code == 200
        assert "News &lt;b onmouseover=&#34;x()&#34;&gt;&amp;&lt;/b&gt;" in page.text and "<b " not in page.text
        assert "o&#39;neil+&amp;x@example.org" in page.text and "+&x@" not in page.text
        assert "Unsubscribed" in client.post("/unsubscribe", data={"token": parse_qs(urlparse(path).query)["token"][0]}).text


def test_the_button_unsubscribes_and_pressing_it_again_is_fine(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client)
        path, token, _ = mailed_link(client, inbox, alice)
        for _ in range(2):
            done = client.post("/unsubscribe", data={"token": token}, headers={"Origin": "http://testserver"})
            assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
            assert "Unsubscribed" in done.text and ALICE in done.text and "<form" not in done.text
            assert replies(client, alice) is False
        again = client.get(path)
        assert again.status_code == 200 and "Already unsubscribed" in again.text and "<form" not in again.text
        reply_to_alice(client, alice, "carol")
        settle(mail_app)
        assert len(inbox.messages) == 1  # no e-mail about Carol's reply


def test_one_click_from_a_mail_client(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    # A site that names its pages: a webmail's one-click POST comes from the webmail's origin, and is still taken.
    moderators.update_site(mail_app.services, Actor.cli(), "default", name="News", allow_guests=False,
                           origins=["https://news.example"])
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client)
        path, _, _ = mailed_link(client, inbox, alice)
        # RFC 8058: the token in the List-Unsubscribe URI, the List-Unsubscribe-Post pair as the body; urlencoded...
        r = client.post(path, content=b"List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": "https://mail.example"})
        assert r.status_code == 200, r.text
        assert replies(client, alice) is False
        opted_in(client)  # on again
        # ... or multipart/form-data, with no cookie and no sign-in, from no browser at all
        r = client.post(path, files={"List-Unsubscribe": (None, "One-Click")})
        assert r.status_code == 200 and replies(client, alice) is False
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: fine


def test_a_bad_link_gets_the_error_page_or_envelope(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    svc = mail_app.services
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client)
        account_id = client.get("/api/v1/me", headers=alice).json()["id"]
        good = mail.unsubscribe_token(svc, account_id, ALICE)
        bad = [
            good[:-3] + ("xyz" if not good.endswith("xyz") else "abc"),  # tampered signature
            "not-a-token", "'\"><script>x()</script>",
            jwt.encode({"sub": str(account_id), "purpose": "unsubscribe", "topic": "replies"}, "another-secret-which-is-long-enough-for-hs256", algorithm="HS256"),
            jwt.encode({"sub": str(account_id), "topic": "replies"}, svc.secret, algorithm="HS256"),  # not for unsubscribing
            jwt.encode({"sub": str(account_id), "purpose": "unsubscribe", "topic": "digest"}, svc.secret, algorithm="HS256"),
            jwt.encode({"sub": "9" * 40, "purpose": "unsubscribe", "topic": "replies"}, svc.secret, algorithm="HS256"),
            jwt.encode({"sub": str(account_id), "purpose": "unsubscribe", "topic": "replies", "to": 7}, svc.secret, algorithm="HS256"),
        ]
        for token in bad:
            page = client.get("/unsubscribe", params={"token": token})
            assert_error_page(page)
            assert "<script>" not in page.text
            assert_error_page(client.post("/unsubscribe", data={"token": token}))  # the page's button
            assert_envelope(client.post("/unsubscribe", params={"token": token}, data={"List-Unsubscribe": "One-Click"}), 422)
        assert_envelope(client.get("/unsubscribe"), 422)
        assert_envelope(client.post("/unsubscribe", data={"List-Unsubscribe": "One-Click"}), 422)
        assert_envelope(client.post("/unsubscribe", json={"token": good}), 422)  # a form, not JSON
        assert_envelope(client.get("/unsubscribe", params={"token": "x" * 2001}), 422)
        assert_envelope(client.post("/unsubscribe", data={"token": "x" * 2001}), 422)
        assert replies(client, alice) is True


def test_a_link_stops_only_its_own_address_and_kind(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, _ = smtp
    svc = mail_app.services
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client, email="alice@old.example")
        path, token, _ = mailed_link(client, inbox, alice)
        alice = auth("alice", name="Alice", email="alice@new.example")  # the publisher's sign-in now says another address
        assert client.get("/api/v1/me", headers=alice).status_code == 200
        page = client.get(path)
        assert page.status_code == 200 and "Already unsubscribed" in page.text and "<form" not in page.text
        assert "alice@new.example" not in page.text and "alice@old.example" not in page.text
        done = client.post("/unsubscribe", data={"token": token})
        assert done.status_code == 200 and "alice@new.example" not in done.text
        assert replies(client, alice) is True  # the old address's link does not stop mail to the new one
        _, _, msg = mailed_link(client, inbox, alice, "carol")
        assert msg["To"] == "alice@new.example"

        # A link mailed before links named their address (no "to") still works, for the account it names.
        account_id = client.get("/api/v1/me", headers=alice).json()["id"]
        old = jwt.encode({"sub": str(account_id), "purpose": "unsubscribe", "topic": "replies"}, svc.secret, algorithm="HS256")
        page = client.get("/unsubscribe", params={"token": old})
        assert "Unsubscribe?" in page.text and "alice@new.example" not in page.text
        assert client.post("/unsubscribe", params={"token": old}).status_code == 200
        assert replies(client, alice) is False


def mail_consent(app: Townhall) -> list[tuple[str, str, str]]:
    """The audit log's record of readers' e-mail consent: (action, via, actor), oldest first."""
    with app.services.db.read() as conn:
        rows = [r for r in moderation.audit_entries(conn) if r["action"].startswith("account.mail_")]
    return [(r["action"], r["details"]["via"], r["actor"]) for r in sorted(rows, key=lambda r: r["id"])]


def test_consent_given_and_withdrawn_is_in_the_audit_log(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, _ = smtp
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice = opted_in(client)
        opted_in(client)  # asking again changes nothing, and records nothing
        me = f"account:{client.get('/api/v1/me', headers=alice).json()['id']}"
        path, token, _ = mailed_link(client, inbox, alice)
        client.get(path)  # a scanner's look: nothing
        for _ in range(2):  # the button twice: one withdrawal
            assert client.post("/unsubscribe", data={"token": token}).status_code == 200
        assert mail_consent(mail_app) == [("account.mail_subscribed", "settings", me),
                                          ("account.mail_unsubscribed", "unsubscribe_link", me)]
        opted_in(client)
        assert client.put("/api/v1/me/notifications", json={"replies": False}, headers=alice).status_code == 200
    assert [a for a, _, _ in mail_consent(mail_app)][2:] == ["account.mail_subscribed", "account.mail_unsubscribed"]
    assert mail_consent(mail_app)[-1][1] == "settings"


def test_an_email_claim_that_is_not_one_address_is_not_kept(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    """A publisher's token whose e-mail claim holds two addresses ("a@x.org, b@y.org") signed the reader in with
    both as their address, and every reply e-mail went to both. Such a claim is now kept as if it had not been
    sent: the reader signs in, with no address."""
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        for claim in ("alice@example.org, victim@example.net", "alice@example.org;victim@example.net",
                      "Alice <alice@example.org>", "alice@example.org\r\nBcc: victim@example.net"):
            who = auth("two-addresses", name="Alice", email=claim)
            assert client.get("/api/v1/me", headers=who).status_code == 200
            settings = client.get("/api/v1/me/notifications", headers=who).json()
            assert settings["email_known"] is False, (claim, settings)
            r = client.put("/api/v1/me/notifications", json={"replies": True}, headers=who)
            assert r.status_code == 422, (claim, r.text)
        assert opted_in(client, email="  alice@example.org ")  # one address, spaces around it: kept, trimmed
