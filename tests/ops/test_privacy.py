"""Readers' data export and erasure: afterwards nothing personal of theirs is found in any table or export;
the audit log keeps the actions. Old abuse signals are purged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import appeals, enforcement, moderation, webhooks
from townhall.service.identity import Actor, Identity
from townhall.store.schema import ActorKind, Role
from tests.fixtures_app import Clock, auth
from tests.ops.conftest import POLICY

SUB, NAME, EMAIL = "sso-alicia-7f3e", "Alicia Zebrowski", "alicia.z@example.org"
TEXT, APPEAL = "Quixotic marmalade sandwiches 4821", "Please reconsider, zebra 5512"
UA = "Mozilla/5.0 (Alicia's unusual browser 77)"


def dump(app: Townhall) -> str:
    """Every value of every table, as one string."""
    out = []
    with app.services.db.read() as conn:
        for name in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                out.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(out)


def _populate(app: Townhall, client: Any) -> dict[str, Any]:
    me = auth(SUB, name=NAME, email=EMAIL)
    headers = {**me, "User-Agent": UA}
    first = client.post("/api/v1/threads/t1/comments", json={"text": TEXT, "device": "dev-alicia-1"}, headers=headers)
    assert first.status_code == 201, first.text
    cid = first.json()["comment"]["id"]
    with TestClient(app, client=("198.51.100.20", 50000)) as elsewhere:  # Bob writes from another network
        other = elsewhere.post("/api/v1/threads/t1/comments", json={"text": "Bob's own view", "parent_id": cid}, headers=auth("bob"))
    client.post("/api/v1/threads/t1/comments", json={"text": f"{TEXT} again", "parent_id": other.json()["comment"]["id"]}, headers=headers)
    client.put(f"/api/v1/comments/{other.json()['comment']['id']}/reaction", json={"kind": "like"}, headers=me)
    client.post(f"/api/v1/comments/{other.json()['comment']['id']}/reports", json={"reason": "other", "note": "zebra 5512 note"}, headers=me)
    assert client.put("/api/v1/me/notifications", json={"replies": True}, headers=me).status_code == 200
    account_id = client.get("/api/v1/me", headers=me).json()["id"]
    svc = app.services
    mod = Actor(ActorKind.MODERATOR, "mod@example.org", Role.MODERATOR, None)
    action = enforcement.moderator_sanction(svc, mod, account_id, "warn", "Keep it civil")
    appeals.appeal(svc, Identity(account_id, "default", SUB, NAME), action, APPEAL)
    moderation.add_note(svc, mod, account_id, f"{NAME} seems fine")
    with svc.db.read() as conn:
        hashes = [v for row in conn.execute(sa.text("SELECT ip_hash, ua_hash, device_hash FROM comments WHERE account_id = :a"),
                                            {"a": account_id}) for v in row if v]
        hashes += [v for v in conn.execute(sa.text("SELECT device_hash FROM accounts WHERE id = :a"), {"a": account_id}).scalars() if v]
    assert len(set(hashes)) == 3  # IP prefix, user agent, device
    return {"id": account_id, "headers": me, "hashes": sorted(set(hashes)), "comment": cid}


def test_export_then_erase_leaves_nothing_personal(app: Townhall, client: Any, tmp_path: Path) -> None:
    app.services.operations.queue.stop()  # keep webhook deliveries in the log (the endpoint is never reached)
    app.services.settings = app.services.settings.with_overrides(webhooks_allow_private=True)  # a loopback endpoint
    webhooks.add(app.services, "default", "http://127.0.0.1:9/hook")
    alicia = _populate(app, client)
    exported = client.get("/api/v1/me/export", headers=alicia["headers"])
    assert exported.status_code == 200
    data = exported.json()
    assert data["account"]["email"] == EMAIL and data["account"]["subject"] == SUB
    assert [c["body"] for c in data["comments"]] == [TEXT, f"{TEXT} again"]
    assert data["appeals"][0]["text"] == APPEAL and data["notifications"] == {"replies": True}
    assert len(data["reactions"]) == 1 and data["reports"][0]["note"] == "zebra 5512 note"
    needles = [SUB, NAME, EMAIL, "Quixotic marmalade", "zebra 5512", *alicia["hashes"]]
    before = dump(app)
    assert all(n in before for n in needles)  # the scan below can find them
    with app.services.db.read() as conn:
        audit_before = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one()

    gone = client.delete("/api/v1/me", headers=alicia["headers"])
    assert gone.status_code == 200 and gone.json()["comments"] == 2 and gone.json()["mode"] == "remove"

    after = dump(app)
    found = [(n, line) for n in needles for line in after.splitlines() if n in line]
    assert found == []
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    out = runner.invoke(build_cli(), ["export", "--db", app.settings.database_url])
    assert out.exit_code == 0 and '"type": "comment"' in out.stdout
    assert [n for n in needles if n in out.stdout] == []
    with app.services.db.read() as conn:
        audit = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
        assert len(audit) == audit_before + 1 and audit[-1] == "account.erased"
        assert "account.warn" in audit and "appeal.created" in audit  # the record of what happened stays
        statuses = conn.execute(sa.text("SELECT status FROM comments WHERE account_id = :a"), {"a": alicia["id"]}).scalars().all()
        assert statuses == ["deleted", "deleted"]
        assert conn.execute(sa.text("SELECT body FROM comments WHERE body = :b"), {"b": "Bob's own view"}).scalar_one()
    thread = client.get("/api/v1/threads/t1/comments").json()
    assert "Bob's own view" in json.dumps(thread) and NAME not in json.dumps(thread)
    again = client.get("/api/v1/me", headers=alicia["headers"]).json()
    assert again["id"] != alicia["id"]  # signing in again starts a new, empty account


def test_cli_erase_anonymise_mode_keeps_text_only(app: Townhall, client: Any) -> None:
    alicia = _populate(app, client)
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    db = ["--db", app.settings.database_url]
    assert runner.invoke(build_cli(), ["privacy", "mode", "anonymise", *db]).exit_code == 0
    shown = runner.invoke(build_cli(), ["privacy", "export", "--subject", SUB, *db])
    assert shown.exit_code == 0 and json.loads(shown.output)["account"]["email"] == EMAIL
    done = runner.invoke(build_cli(), ["erase", "--subject", SUB, "--yes", *db])
    assert done.exit_code == 0, done.output
    after = dump(app)
    assert [n for n in [SUB, NAME, EMAIL, "zebra 5512", *alicia["hashes"]] if n in after] == []
    assert TEXT in after  # anonymised: the text stays, under "Former reader"
    thread = json.dumps(client.get("/api/v1/threads/t1/comments").json())
    assert TEXT in thread and "Former reader" in thread and NAME not in thread
    missing = runner.invoke(build_cli(), ["erase", "--subject", SUB, "--yes", *db])
    assert missing.exit_code != 0 and "No account" in missing.output


def test_signal_retention_purge(app: Townhall, client: Any, clock: Clock) -> None:
    clock.advance(days=-91)  # a comment written 91 days ago (retention: 90 days)
    old = client.post("/api/v1/threads/t1/comments", json={"text": "old", "device": "d1"},
                      headers={**auth("old", now=clock.now, exp_in=200 * 86400), "User-Agent": "UA1"})
    clock.advance(days=91)
    new = client.post("/api/v1/threads/t1/comments", json={"text": "new", "device": "d2"}, headers={**auth("new"), "User-Agent": "UA2"})
    assert old.status_code == new.status_code == 201, (old.text, new.text)
    from townhall.service.privacy import purge_signals

    # the test's clock is back at real time, which the command uses
    purged = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["privacy", "purge-signals", "--db", app.settings.database_url])
    assert purged.exit_code == 0, purged.output
    assert "purged signals of 1 comment(s) and 1 account(s) older than 90 days" in " ".join(purged.output.split())
    with app.services.db.read() as conn:
        rows = {r.body: r for r in conn.execute(sa.text("SELECT body, ip_hash, ua_hash, device_hash FROM comments"))}
    assert rows["old"].ua_hash is None and rows["old"].device_hash is None and rows["old"].ip_hash is None
    assert rows["new"].ua_hash and rows["new"].device_hash and rows["new"].ip_hash
    assert purge_signals(app.services) == {"comments": 0, "accounts": 0, "erasures_completed": 0}
