"""Audit of readers' privacy (second round): what an export must hold, and what an erasure must not leave
behind in the coordination detector (its in-memory index and the flags' evidence it writes)."""

from __future__ import annotations

import json
import random
from typing import Any, Iterator

import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.fixtures_app import AppFactory, Clock, auth
from tests.trolls.helpers import sentence

MOD = auth("mod", role="moderator")


def _quoted(node: Any, account: str) -> list[str]:
    """Texts quoted in flags' evidence from comments of ``account``."""
    found: list[str] = []
    if isinstance(node, dict):
        if str(node.get("account")) == account and node.get("text"):
            found.append(str(node["text"]))
        for v in node.values():
            found += _quoted(v, account)
    elif isinstance(node, list):
        for v in node:
            found += _quoted(v, account)
    return found


def _stored_quotes(app: Townhall, account: str) -> list[str]:
    with app.services.db.read() as conn:
        rows = conn.execute(sa.text("SELECT evidence FROM flags WHERE kind = 'coordination'")).scalars().all()
    return [t for ev in rows for t in _quoted(json.loads(ev) if isinstance(ev, str) else ev, account)]


def test_consent_records_are_exported(app: Townhall, client: Any) -> None:
    me = auth("sso-consent-1", name="Consuela", email="consuela@example.org")
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=me).status_code == 200
    assert client.put("/api/v1/me/notifications", json={"replies": False}, headers=me).status_code == 200
    data = client.get("/api/v1/me/export", headers=me).json()
    consent = data.get("mail_consent")
    assert consent is not None, sorted(data)
    assert [c["action"] for c in consent] == ["account.mail_subscribed", "account.mail_unsubscribed"]
    assert consent[0]["details"] == {"topic": "replies", "via": "settings"} and consent[0]["at"]
    assert all("actor" not in c for c in consent)


# --- the coordination detector: a plain app (no ops policy), as tests/trolls_service uses -----------------------

def _plain_client(make_app: AppFactory, db_url: str) -> Iterator[tuple[Townhall, TestClient]]:
    app = make_app(db_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c


def _campaign(client: TestClient, clock: Clock) -> None:
    """Readers writing their own words, and six accounts on one device posting the same lines together: a
    coordination flag whose evidence quotes the copied comments (text reuse)."""
    rng = random.Random(4)
    for op in range(8):
        for _ in range(12):
            clock.advance(minutes=rng.uniform(1, 10))
            client.post(f"/api/v1/threads/story-{rng.randrange(20)}/comments", json={"text": sentence(rng)},
                        headers=auth(f"reader{rng.randrange(40)}"))
        point = sentence(rng)
        for k in range(6):
            clock.advance(seconds=rng.uniform(5, 30))
            r = client.post(f"/api/v1/threads/quiet-{op}/comments", json={"text": point, "device": "farm"}, headers=auth(f"paid{k}"))
            assert r.status_code == 201, r.text


def test_erasure_leaves_no_text_in_coordination_evidence(make_app: AppFactory, db_url: str, clock: Clock) -> None:
    for app, client in _plain_client(make_app, db_url):
        _campaign(client, clock)
        assert client.post("/api/v1/mod/trolls/analyse", headers=MOD).status_code == 200
        troll = str(client.get("/api/v1/me", headers=auth("paid0")).json()["id"])
        assert _stored_quotes(app, troll), "the campaign's flag quotes paid0 (the scan below can find it)"
        gone = client.delete("/api/v1/me", headers=auth("paid0"))
        assert gone.status_code == 200, gone.text
        assert gone.json()["mode"] == "remove"
        assert _stored_quotes(app, troll) == []  # the flag written before the erasure
        clock.advance(minutes=5)
        again = client.post("/api/v1/mod/trolls/analyse", headers=MOD)  # from the in-memory index
        assert again.status_code == 200, again.text
        assert _quoted(again.json(), troll) == []
        assert _stored_quotes(app, troll) == []


def test_an_erasure_by_another_process_reaches_this_ones_coordination_index(make_app: AppFactory, db_url: str,
                                                                           clock: Clock) -> None:
    """``townhall erase`` (or another worker) erases a reader on the same database: the serving process's
    in-memory index still held the reader's text, and its next analysis quoted it in a flag again. Every
    analysis now reads the site's index afresh after an erasure recorded since its last read."""
    from townhall.service import privacy

    for app, client in _plain_client(make_app, db_url):
        _campaign(client, clock)
        assert client.post("/api/v1/mod/trolls/analyse", headers=MOD).status_code == 200
        troll = str(client.get("/api/v1/me", headers=auth("paid0")).json()["id"])
        assert _stored_quotes(app, troll)
        other = make_app(db_url)  # another process on the same database
        assert privacy.erase_account(other.services, int(troll), actor="cli", mode="remove")["erased"]
        assert _stored_quotes(app, troll) == []
        clock.advance(minutes=5)
        again = client.post("/api/v1/mod/trolls/analyse", headers=MOD)
        assert again.status_code == 200, again.text
        assert _quoted(again.json(), troll) == []
        assert _stored_quotes(app, troll) == []


def test_erasing_a_banned_reader_twice_keeps_the_ban(app: Townhall, client: Any) -> None:
    """An operator erases an account erased while banned once more (a repeated request, ``townhall erase`` with
    the subject the account holds now): the same sign-in must still find the account and its ban."""
    from click.testing import CliRunner

    from townhall.cli import build_cli
    from townhall.service import enforcement
    from townhall.service.identity import Actor
    from townhall.store.schema import ActorKind, Role
    from tests.ops.conftest import POLICY

    me = auth("sso-banned-1", name="Bertram", email="bertram@example.org")
    assert client.post("/api/v1/threads/t1/comments", json={"text": "A first remark"}, headers=me).status_code == 201
    account_id = client.get("/api/v1/me", headers=me).json()["id"]
    mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
    enforcement.moderator_sanction(app.services, mod, account_id, "ban", "Spam")
    assert client.delete("/api/v1/me", headers=me).status_code == 200
    with app.services.db.read() as conn:
        subject = conn.execute(sa.text("SELECT subject FROM accounts WHERE id = :a"), {"a": account_id}).scalar_one()
    assert subject.startswith("sanctioned:")
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(
        build_cli(), ["erase", "--subject", subject, "--yes", "--db", app.settings.database_url])
    assert done.exit_code == 0, done.output
    again = client.get("/api/v1/me", headers=me).json()
    assert again["id"] == account_id, again  # the ban still holds for this sign-in


def test_a_comment_sent_while_its_author_is_erased_is_not_kept(app: Townhall, client: Any) -> None:
    """A request whose reader was signed in before the erasure committed, and that takes the account's lock
    after it, used to add a comment (text and hashes) to the erased account, shown under "Former reader". The
    sign-in it carries is the one the request resolved before the erasure: modelled here by keeping it."""
    from townhall.service import comments, privacy
    from townhall.service.accounts import sign_in_sso
    from townhall.service.errors import Unauthenticated

    me = auth("erased-mid-post", name="Erin")
    assert client.post("/api/v1/threads/t1/comments", json={"text": "Before."}, headers=me).status_code == 201
    ident = sign_in_sso(app.services, app.settings.default_site, {"sub": "erased-mid-post", "name": "Erin"})
    privacy.erase_account(app.services, ident.account_id, actor=f"account:{ident.account_id}")
    try:
        comments.post(app.services, ident, "t1", "Sent while the erasure ran.")
    except Unauthenticated:
        pass
    else:
        raise AssertionError("a comment was added to an erased account")
    assert "Sent while the erasure ran." not in client.get("/api/v1/threads/t1/comments").text
    r = client.post("/api/v1/threads/t1/comments", json={"text": "After, as a new reader."}, headers=me)
    assert r.status_code == 201 and r.json()["comment"]["author"]["id"] != ident.account_id
