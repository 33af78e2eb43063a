"""What the reader is told about a sanction (audit of 2026-11-27), through the HTTP API on SQLite and PostgreSQL:
``GET /api/v1/me`` names the comment each action was for, and an appeal closed as moot (the action lifted before a
moderator answered) is told like a decided one: an ``appeal.decided`` webhook with state ``moot`` (a real receiver
on loopback) and the reader's e-mail (a real SMTP server on loopback), once per appeal, after the commit."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service import webhooks
from townhall.service.enforcement import MOOT_ANSWER
from tests.enforcement.test_ladder import MOD, T, abusive_texts
from tests.fixtures_app import auth
from tests.ops.receiver import Receiver
from tests.ops.test_mail import Inbox, smtp  # noqa: F401 - fixtures


Headers = dict[str, str]
SECRET = "whsec-reader-notices"


def _me(client: TestClient, reader: Headers) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=reader)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _post(client: TestClient, reader: Headers, text: str, thread: str = T) -> dict[str, Any]:
    r = client.post(thread, json={"text": text}, headers=reader)
    assert r.status_code == 201, r.text
    return r.json()["comment"]  # type: ignore[no-any-return]


def _sanction(client: TestClient, account_id: int, sanction: str, reason: str = "Abuse", **extra: Any) -> int:
    r = client.post(f"/api/v1/mod/accounts/{account_id}/sanctions", json={"sanction": sanction, "reason": reason, **extra},
                    headers=MOD)
    assert r.status_code == 201, r.text
    return int(r.json()["action_id"])


def _appeal(client: TestClient, reader: Headers, action_id: int) -> int:
    r = client.post(f"/api/v1/me/actions/{action_id}/appeal", json={"text": "Please look again."}, headers=reader)
    assert r.status_code == 201, r.text
    return int(r.json()["appeal_id"])


def _restore(client: TestClient, account_id: int, **extra: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/mod/accounts/{account_id}/restore", json={"reason": "Lifted", **extra}, headers=MOD)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _jobs_idle(app: Townhall) -> bool:
    return not any(j["state"] in ("queued", "running") and j["kind"] in ("mail.send", "webhook.deliver")
                   for j in app.services.operations.queue.list())


# --- GET /me names the comment --------------------------------------------------------------------------------


def test_me_names_the_comment_a_strike_and_its_warning_were_for(app: Townhall, client: TestClient) -> None:
    """The rules refuse an abusive comment with a strike, and the ladder warns: both actions name the refused
    comment (its id, its thread, when it was written) with the reader's own text, which is kept for them."""
    text = abusive_texts(app)[0]
    reader = auth("struck-reader")
    r = client.post(T, json={"text": text}, headers=reader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "rejected_by_house_rules", r.text
    me = _me(client, reader)
    assert [a["kind"] for a in me["actions"]] == ["strike", "warn"]
    comments = [a["comment"] for a in me["actions"]]
    assert comments[0] == comments[1]
    comment = comments[0]
    assert comment["thread"] == "article-1" and comment["status"] == "rejected" and comment["excerpt"] == text
    assert isinstance(comment["id"], int) and comment["created_at"].endswith("+00:00")
    assert me["warning"]["action_id"] == me["actions"][1]["id"]  # the notice finds its comment through the action


def test_me_names_a_moderators_comment_shortens_it_and_says_when_it_is_gone(client: TestClient) -> None:
    """A moderator's sanction tied to a comment names it; one on the account as a whole names none. A long comment
    is cut to 200 characters; a deleted one has no text left to show."""
    reader = auth("moderated-reader")
    account = _me(client, reader)["id"]
    long_text = "The budget committee " + "met again and again, " * 30 + "and nothing changed."
    long = _post(client, reader, long_text, "/api/v1/threads/article-2/comments")
    short = _post(client, reader, "A short remark.\n\nWith a second paragraph.")
    warned = _sanction(client, account, "warn", "Off topic", comment_id=long["id"])
    premod = _sanction(client, account, "premoderate", "Watching the account")
    by_id = {a["id"]: a for a in _me(client, reader)["actions"]}
    named = by_id[warned]["comment"]
    assert named["id"] == long["id"] and named["thread"] == "article-2" and named["status"] == "published"
    assert len(named["excerpt"]) <= 200 and named["excerpt"].endswith("…") and named["excerpt"].startswith("The budget committee met")
    assert by_id[premod]["comment"] is None

    # deleted by its author: the comment is still named, without its text
    assert client.delete(f"/api/v1/comments/{long['id']}", headers=reader).status_code == 204
    gone = {a["id"]: a for a in _me(client, reader)["actions"]}[warned]["comment"]
    assert gone == {**named, "status": "deleted", "excerpt": None}

    # a ban for the other comment, whose text is shown with its whitespace collapsed
    banned = _sanction(client, account, "ban", "Enough", comment_id=short["id"])
    shown = {a["id"]: a for a in _me(client, reader)["actions"]}[banned]["comment"]
    assert shown["excerpt"] == "A short remark. With a second paragraph." and shown["status"] == "published"


def test_an_account_erased_while_banned_is_told_its_comment_without_the_text(client: TestClient) -> None:
    """Erased while banned (comments removed), the reader signs in again to the same account (the ban stands):
    the ban still names its comment, whose text the erasure removed."""
    reader = auth("erased-reader")
    account = _me(client, reader)["id"]
    comment = _post(client, reader, "Something the moderators did not like.")
    ban = _sanction(client, account, "ban", "Abuse", comment_id=comment["id"])
    assert client.delete("/api/v1/me", headers=reader).status_code == 200
    me = _me(client, reader)
    assert me["id"] == account and me["state"] == "banned"
    named = {a["id"]: a for a in me["actions"]}[ban]["comment"]
    assert named["id"] == comment["id"] and named["status"] == "deleted" and named["excerpt"] is None


def test_openapi_describes_the_comment_of_an_action(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    comment = schemas["ActionOut"]["properties"]["comment"]
    assert {"$ref": "#/components/schemas/ActionCommentOut"} in comment["anyOf"]
    out = schemas["ActionCommentOut"]
    assert set(out["required"]) == {"id", "thread", "url", "title", "created_at", "status", "excerpt"}


# --- an appeal closed as moot is told --------------------------------------------------------------------------


@pytest.fixture
def told_app(make_app: Any, db_url: str, smtp: tuple[Inbox, int]) -> Townhall:
    """Webhooks to a receiver on loopback, and e-mail to the SMTP server on loopback."""
    app = make_app(db_url, webhooks_allow_private=True, smtp_url=f"smtp://127.0.0.1:{smtp[1]}",
                   public_url="http://news.example", mail_from="comments@news.example")
    app.services.operations.queue.poll_seconds = 0.05
    return app  # type: ignore[no-any-return]


def test_appeals_closed_as_moot_send_appeal_decided_once_each(told_app: Townhall) -> None:
    """A moderator lifts a warning and a premoderation at once, both appealed: each open appeal is closed as moot
    and sent as one ``appeal.decided`` with state moot; nothing more when the account is restored again or a
    moderator then answers a closed appeal."""
    svc = told_app.services
    with Receiver(SECRET) as rx, TestClient(told_app, raise_server_exceptions=False) as client:
        webhooks.add(svc, "default", rx.url + "/hook", secret=SECRET, events=["appeal.decided"])
        reader = auth("moot-hooks")
        account = _me(client, reader)["id"]
        appeals = sorted([_appeal(client, reader, _sanction(client, account, "warn", "Tone")),
                          _appeal(client, reader, _sanction(client, account, "premoderate", "Watching"))])
        assert rx.acked == []  # an appeal filed is not a decision
        lifted = _restore(client, account, clear_strikes=True)
        assert len(lifted["revoked"]) == 2
        _wait_for(lambda: len(rx.acked) >= 2)
        _restore(client, account)  # nothing open any more
        r = client.post(f"/api/v1/mod/appeals/{appeals[0]}/decision", json={"outcome": "uphold", "response": "Late"},
                        headers=MOD)
        assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_moot"
        _wait_for(lambda: _jobs_idle(told_app))
        time.sleep(0.3)
        assert rx.bad_signatures == 0
        got = sorted(((a["event"], a["data"]["appeal_id"], a["data"]["state"], a["data"]["account_id"]) for a in rx.acked),
                     key=lambda e: e[1])
        assert got == [("appeal.decided", appeals[0], "moot", account), ("appeal.decided", appeals[1], "moot", account)]
        assert all(n == 1 for n in rx.events().values())
        assert [d["state"] for d in webhooks.deliveries(svc, "default")] == ["delivered", "delivered"]
        assert {a["appeal"]["state"] for a in _me(client, reader)["actions"] if a["appeal"]} == {"moot"}


def test_an_appeal_closed_as_moot_mails_the_reader_with_the_moot_answer(told_app: Townhall,
                                                                        smtp: tuple[Inbox, int]) -> None:
    """The reader with a vouched address is mailed the moot answer, once; a reader without one gets nothing."""
    inbox, _ = smtp
    with TestClient(told_app, raise_server_exceptions=False) as client:
        quiet = auth("moot-no-address")
        quiet_id = _me(client, quiet)["id"]
        _appeal(client, quiet, _sanction(client, quiet_id, "premoderate", "Watching"))
        _restore(client, quiet_id)

        reader = auth("moot-mail", name="Mona", email="mona@example.org")
        account = _me(client, reader)["id"]
        _appeal(client, reader, _sanction(client, account, "warn", "Tone it down"))
        [warned] = inbox.wait(1)  # the warning's own notice
        assert "warned" in warned["Subject"]
        _restore(client, account)
        _wait_for(lambda: len(inbox.messages) >= 2)
        _wait_for(lambda: _jobs_idle(told_app))
        time.sleep(0.3)
        assert len(inbox.messages) == 2
        closed = inbox.messages[1]
        assert closed["To"] == "mona@example.org" and closed["Subject"] == "Your appeal was closed"
        body = closed.get_content()
        assert "Hello Mona" in body and "The warning that you appealed" in body and MOOT_ANSWER in body
        assert "upheld" not in body and "reversed" not in body
