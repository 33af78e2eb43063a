"""What `townhall export` / `townhall import townhall FILE` carries to another installation, checked by a real round
trip (docs/operations.md, "Exporting a site, moving to another installation", says the same):

* carried: the site (SSO secret, announcement), its erasure mode, threads (message, premoderation), accounts with
  their role — a moderator's account is still a moderator's, and a moderator signed in through the publisher's
  sign-in still moderates the moved site — and their sanctions: a banned reader is still banned;
* not carried: webhooks (their URLs and secrets belong to the old installation's receivers: add them again), the
  dashboard's own moderator accounts (installation-wide, with passwords: `townhall users add-moderator` again), and
  readers' ignore lists.

Not an audit finding: this passed before the change that documented it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from townhall.cli import build_cli
from townhall.service import enforcement, moderators, webhooks
from townhall.service.identity import Actor
from townhall.store.db import Database

MOD = {"role": "moderator"}


def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    db = Database(url)
    try:
        with db.read() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
    finally:
        db.dispose()


def _post(client: TestClient, sub: str, text: str, **claims: Any) -> Any:
    return client.post("/api/v1/threads/budget/comments", json={"text": text, "title": "Budget"},
                       headers=auth(sub, **claims))


def test_a_moved_site_keeps_roles_and_sanctions_but_not_webhooks_or_dashboard_moderators(
        make_app: Any, sqlite_url: str, tmp_path: Path) -> None:
    old = make_app(sqlite_url, policy=POLICY)
    svc = old.services
    with TestClient(old) as client:
        assert _post(client, "editor", "Comments close at ten.", **MOD).status_code == 201
        assert _post(client, "bob", "First!").status_code == 201
        assert _post(client, "ann", "Hello").status_code == 201
        bob = client.get("/api/v1/me", headers=auth("bob")).json()["id"]
        ann = auth("ann")
        assert client.put(f"/api/v1/me/ignored/{bob}", headers=ann).status_code == 200
        assert client.put("/api/v1/mod/announcement", json={"text": "Election night"}, headers=auth("editor", **MOD)).status_code == 200
    enforcement.moderator_sanction(svc, Actor.cli(), bob, "ban", "Spam")
    webhooks.add(svc, "default", "https://hooks.example.org/in", secret="old-installation-secret")
    moderators.add_moderator(svc, "desk@example.org", "a long enough password", sites=["default"])

    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    archive = tmp_path / "site.jsonl"
    done = runner.invoke(build_cli(), ["export", "-o", str(archive), "--db", sqlite_url])
    assert done.exit_code == 0, done.output
    fresh = f"sqlite:///{tmp_path / 'moved.db'}"
    done = runner.invoke(build_cli(), ["import", "townhall", str(archive), "--db", fresh])
    assert done.exit_code == 0, done.output

    roles = {r["subject"]: (r["role"], r["state"]) for r in _rows(fresh, "SELECT subject, role, state FROM accounts")}
    assert roles == {"editor": ("moderator", "active"), "bob": ("reader", "banned"), "ann": ("reader", "active")}
    assert [r["kind"] for r in _rows(fresh, "SELECT kind FROM account_actions")] == ["ban"]
    assert _rows(fresh, "SELECT announcement FROM sites") == [{"announcement": "Election night"}]
    # not carried
    assert _rows(fresh, "SELECT id FROM webhooks") == []
    assert _rows(fresh, "SELECT email FROM moderators") == []
    assert _rows(fresh, "SELECT account_id FROM ignored_accounts") == []

    moved = make_app(fresh, policy=POLICY, data_dir=str(tmp_path / "moved-data"))
    with TestClient(moved) as client:
        refused = _post(client, "bob", "Back again")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "account_sanctioned", refused.text
        closed = client.put("/api/v1/mod/threads/budget/state", json={"state": "closed"}, headers=auth("editor", **MOD))
        assert closed.status_code == 200, closed.text
