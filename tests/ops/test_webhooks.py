"""Webhooks end to end: signed deliveries to a real receiver on loopback, retries with backoff, a
delivery log, failed jobs that can be retried. The receiver is on the server's own network, so these
apps (and the CLI) allow private webhook addresses; tests/ops/test_webhook_guard.py tests the default."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import appeals, enforcement, webhooks
from townhall.service.identity import Actor, Identity
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from tests.ops.receiver import Receiver

SECRET = "whsec-test-secret"
CLI_ENV = {"TOWNHALL_POLICY": POLICY, "TOWNHALL_WEBHOOKS_ALLOW_PRIVATE": "true"}


@pytest.fixture
def app(make_app: Any, db_url: str) -> Townhall:
    return make_app(db_url, policy=POLICY, webhooks_allow_private=True)


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_events_are_signed_retried_and_seen_once(app: Townhall, client: Any) -> None:
    svc = app.services
    queue = svc.operations.queue
    queue.poll_seconds, queue.backoff, queue.max_attempts = 0.05, (lambda n: 0.1 * 2 ** (n - 1)), 3
    runner = CliRunner(env=CLI_ENV)
    with Receiver(SECRET, fail_first=2) as rx:
        added = runner.invoke(build_cli(), ["webhooks", "add", rx.url + "/hook", "--secret", SECRET, "--db", app.settings.database_url])
        assert added.exit_code == 0, added.output
        down = runner.invoke(build_cli(), ["webhooks", "add", rx.url + "/down", "--secret", SECRET, "--event", "appeal.decided",
                                           "--db", app.settings.database_url])
        assert down.exit_code == 0, down.output
        rx.down_paths.add("/down")

        ok = client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice"))
        assert ok.status_code == 201
        assert client.post("/api/v1/threads/t1/comments", json={"text": "fuck"}, headers=auth("alice")).status_code == 422
        bob = client.get("/api/v1/me", headers=auth("bob")).json()["id"]
        mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
        action = enforcement.moderator_sanction(svc, mod, bob, "warn", "Tone it down")
        enforcement.moderator_sanction(svc, mod, bob, "premoderate", "Watching")
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Held for review"}, headers=auth("bob")).json()["verdict"] == "held"
        appeal = appeals.appeal(svc, Identity(bob, "default", "bob", "Bob"), action, "It was a joke")
        appeals.decide(svc, mod, appeal["appeal_id"], reverse=False, response="Upheld")
        expected = ["comment.created", "comment.rejected", "account.sanctioned", "comment.held", "appeal.created", "appeal.decided"]

        hook_deliveries = lambda: [d for d in webhooks.deliveries(svc, "default") if d["url"].endswith("/hook")]  # noqa: E731
        wait_for(lambda: len(hook_deliveries()) == 6 and all(d["state"] == "delivered" for d in hook_deliveries()))
        wait_for(lambda: queue.list(state="failed") != [])
        assert rx.bad_signatures == 0
        hook_acks = [a for a in rx.acked if a["path"] == "/hook"]
        assert sorted(a["event"] for a in hook_acks) == sorted(expected)
        assert all(n == 1 for n in rx.events().values())  # each event acknowledged exactly once
        assert sum(d["attempts"] for d in hook_deliveries()) == 6 + 2  # the first two attempts failed and were retried
        created = next(a for a in hook_acks if a["event"] == "comment.created")
        assert created["data"]["comment"]["id"] == ok.json()["comment"]["id"] and created["site"] == "default"
        sanctioned = next(a for a in hook_acks if a["event"] == "account.sanctioned")
        assert sanctioned["data"]["sanction"] == "warn" and sanctioned["data"]["account_id"] == bob

        # the endpoint that is down: three attempts, then a failed job and a failed delivery, both visible
        failed = [d for d in webhooks.deliveries(svc, "default", state="failed")]
        assert len(failed) == 1 and failed[0]["attempts"] == 3 and failed[0]["last_status"] == 503
        listed = runner.invoke(build_cli(), ["jobs", "list", "--state", "failed", "--db", app.settings.database_url])
        job_id = int(listed.output.split()[0])
        assert "webhook.deliver" in listed.output and "HTTP 503" in listed.output
        rx.down_paths.clear()
        retried = runner.invoke(build_cli(), ["jobs", "retry", str(job_id), "--db", app.settings.database_url])
        assert retried.exit_code == 0, retried.output
        wait_for(lambda: webhooks.deliveries(svc, "default", state="failed") == [])
        assert [a["event"] for a in rx.acked if a["path"] == "/down"] == ["appeal.decided"]
        assert all(n == 1 for n in rx.events().values())  # still once per endpoint and event
        log = runner.invoke(build_cli(), ["webhooks", "deliveries", "--json", "--db", app.settings.database_url])
        assert log.exit_code == 0 and log.output.count('"delivered"') == 7


def test_signature_helpers() -> None:
    body = b'{"event":"comment.created"}'
    header = webhooks.sign(SECRET, int(time.time()), body)
    assert webhooks.verify(SECRET, header, body)
    assert not webhooks.verify(SECRET, header, body + b" ")
    assert not webhooks.verify("other", header, body)
    old = webhooks.sign(SECRET, int(time.time()) - 301, body)
    assert not webhooks.verify(SECRET, old, body)  # replay protection: older than five minutes
    now = int(time.time())
    for forged in (f"t={now},v1=\u00e9", f"t={now},v1=\udc80", "t=x", "v1=abc", "", "garbage", f"t={now}"):
        assert webhooks.verify(SECRET, forged, body) is False, forged  # never an exception: a 500 in the receiver


def test_a_webhook_added_while_serving_gets_the_next_events(app: Townhall, client: Any) -> None:
    """Which sites have webhooks is kept for a few seconds; a webhook added in this process counts at once,
    one added from elsewhere (the CLI, another worker) once that time has passed."""
    svc = app.services
    svc.cache_seconds = 0.3
    svc.operations.queue.poll_seconds = 0.05
    runner = CliRunner(env=CLI_ENV)
    texts = lambda: [a["data"]["comment"]["text"] for a in rx.acked if a["event"] == "comment.created"]  # noqa: E731
    with Receiver(SECRET) as rx:
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Before any hook"}, headers=auth("alice")).status_code == 201
        added = runner.invoke(build_cli(), ["webhooks", "add", rx.url + "/cli", "--secret", SECRET, "--db", app.settings.database_url])
        assert added.exit_code == 0, added.output
        time.sleep(0.4)
        assert client.post("/api/v1/threads/t1/comments", json={"text": "After the CLI hook"}, headers=auth("alice")).status_code == 201
        wait_for(lambda: texts() == ["After the CLI hook"])

        webhooks.add(svc, "default", rx.url + "/here", secret=SECRET, events=["comment.held"])
        held = client.post("/api/v1/threads/t1/comments", json={"text": "Hold me"}, headers=auth("bob"))
        assert held.status_code == 201
        enforcement.moderator_sanction(svc, Actor(ActorKind.MODERATOR, "m@example.org", Role.MODERATOR, None),
                                       held.json()["comment"]["author"]["id"], "premoderate", "Watching")
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Now held"}, headers=auth("bob")).json()["verdict"] == "held"
        wait_for(lambda: any(a["path"] == "/here" and a["event"] == "comment.held" for a in rx.acked))
