"""What an e-mail says is checked when its job runs, not when it was queued (a real SMTP server on loopback,
aiosmtpd): a sanction lifted or over by then is not announced, a reader banned by then is not told of replies (a
suspended one is); and every message Townhall sends says it was sent by a machine (``Auto-Submitted``, RFC 3834),
so that vacation responders do not answer it. The runner thread is stopped and the queue run by hand, as
``townhall jobs run`` does: the jobs wait as they do behind a busy queue or an SMTP server that is away."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import enforcement, mail
from townhall.service.identity import Actor
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import Clock, auth
from tests.ops.conftest import POLICY
from tests.ops.test_mail import Inbox, mail_app, smtp  # noqa: F401 - fixtures

MOD = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
MOD_HEADERS = auth("mod", role="moderator")


def _reader(client: TestClient, sub: str) -> tuple[dict[str, str], int]:
    """A reader with a vouched address, ``SUB@example.org``, who gets reply e-mail; and their account's id."""
    headers = auth(sub, name=sub.title(), email=f"{sub}@example.org")
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=headers).status_code == 200
    return headers, int(client.get("/api/v1/me", headers=headers).json()["id"])


def _post(client: TestClient, headers: dict[str, str], text: str, parent: int | None = None) -> int:
    r = client.post("/api/v1/threads/t1/comments", json={"text": text, "parent_id": parent}, headers=headers)
    assert r.status_code == 201 and r.json()["verdict"] == "published", r.text
    return int(r.json()["comment"]["id"])


def _run_mail_jobs(app: Townhall) -> list[dict[str, Any]]:
    """Run the queued jobs now; the mail jobs, each of which must have ended as done (a dropped mail is no error)."""
    queue = app.services.operations.queue
    queue.run_until_idle()
    jobs = queue.list(kind=mail.JOB_KIND)
    assert jobs and all(j["state"] == "done" for j in jobs), jobs
    return jobs


def _to(inbox: Inbox) -> list[tuple[str, str]]:
    return sorted((str(m["To"]), str(m["Subject"])) for m in inbox.messages)


def test_a_sanction_lifted_or_over_before_its_notice_is_sent_is_not_announced(
        mail_app: Townhall, smtp: tuple[Inbox, int], clock: Clock) -> None:
    """Three notices wait: a ban a moderator lifts meanwhile, a one-hour suspension that is over by the time the
    job runs, and a two-day suspension still in force. Only the last is sent; the other two jobs end done, not
    failed. Before, all three readers were told they were banned or suspended."""
    inbox, _ = smtp
    svc = mail_app.services
    svc.operations.queue.stop()
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        ids = {sub: _reader(client, sub)[1] for sub in ("lifted", "over", "kept")}
    enforcement.moderator_sanction(svc, MOD, ids["lifted"], "ban", "Abuse")
    enforcement.moderator_sanction(svc, MOD, ids["over"], "suspend", "Flood", hours=1)
    enforcement.moderator_sanction(svc, MOD, ids["kept"], "suspend", "Flood", hours=48)
    enforcement.moderator_restore(svc, MOD, ids["lifted"], "Wrong reader")
    clock.advance(hours=2)
    assert len(_run_mail_jobs(mail_app)) == 3
    assert _to(inbox) == [("kept@example.org", "Your account on Demo Gazette was suspended")]
    assert "Flood" in inbox.messages[0].get_content()


def test_a_reader_banned_before_a_reply_is_mailed_is_not_told_of_it(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    """Bob replies to Alice and to Sam while their reply e-mails are queued; then Alice is banned and Sam suspended.
    Both are told of their sanction; Sam, who comes back, is told of Bob's reply too, Alice is not: not of that
    reply, nor of one written while she is banned. Before, the banned reader was mailed both replies."""
    inbox, _ = smtp
    svc = mail_app.services
    svc.operations.queue.stop()
    bob = auth("bob", name="Bob")
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice, alice_id = _reader(client, "alice")
        sam, sam_id = _reader(client, "sam")
        to_alice = _post(client, alice, "What do you think of the budget?")
        _post(client, bob, "Too little for schools.", parent=to_alice)
        _post(client, bob, "Too much for roads.", parent=_post(client, sam, "And the roads?"))
        enforcement.moderator_sanction(svc, MOD, alice_id, "ban", "Abuse")
        enforcement.moderator_sanction(svc, MOD, sam_id, "suspend", "Flood", hours=24)
        _run_mail_jobs(mail_app)
        _post(client, bob, "Anyone else?", parent=to_alice)  # queued while she is banned
        assert len(_run_mail_jobs(mail_app)) == 5
    assert _to(inbox) == [("alice@example.org", "Your account on Demo Gazette was banned"),
                          ("sam@example.org", "Bob replied to your comment"),
                          ("sam@example.org", "Your account on Demo Gazette was suspended")]


def test_every_message_is_marked_auto_generated(mail_app: Townhall, smtp: tuple[Inbox, int]) -> None:
    """A reply notification, a sanction notice, an appeal's answer, the moderators' digest and ``townhall mail
    test``: each carries ``Auto-Submitted: auto-generated`` once, as sent. Before, none carried it, and a reader's
    vacation responder answered every one."""
    inbox, port = smtp
    svc = mail_app.services
    svc.operations.queue.stop()
    with TestClient(mail_app, raise_server_exceptions=False) as client:
        alice, alice_id = _reader(client, "alice")
        _post(client, auth("bob", name="Bob"), "Fine by me.", parent=_post(client, alice, "What do you think?"))
        warned = enforcement.moderator_sanction(svc, MOD, alice_id, "warn", "Tone")
        r = client.post(f"/api/v1/me/actions/{warned}/appeal", json={"text": "Please look again."}, headers=alice)
        assert r.status_code == 201, r.text
        assert mail.digest(svc, "default", to=["desk@news.example"])["sent"]  # the open appeal waits
        r = client.post(f"/api/v1/mod/appeals/{r.json()['appeal_id']}/decision",
                        json={"outcome": "uphold", "response": "It stands."}, headers=MOD_HEADERS)
        assert r.status_code == 200, r.text
        _run_mail_jobs(mail_app)
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    sent = runner.invoke(build_cli(), ["mail", "test", "--to", "ops@news.example", "--db", mail_app.settings.database_url])
    assert sent.exit_code == 0, sent.output
    assert _to(inbox) == [("alice@example.org", "Bob replied to your comment"),
                          ("alice@example.org", "Your account on Demo Gazette was warned"),
                          ("alice@example.org", "Your appeal was decided"),
                          ("desk@news.example", "1 item(s) waiting for the moderators of Demo Gazette"),
                          ("ops@news.example", "Townhall test message")]
    for msg, raw in zip(inbox.messages, inbox.raw):
        assert msg.get_all("Auto-Submitted") == ["auto-generated"], msg["Subject"]
        assert b"\r\nAuto-Submitted: auto-generated\r\n" in raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
