"""Claiming imported history on the first SSO sign-in only with an address the publisher vouches for: the
OpenID Connect claim ``email_verified`` (a JSON boolean, or the strings "true"/"false" some providers send),
and the ``sso_require_email_verified`` setting for tokens without it. Through the HTTP API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importing import run_import
from tests.fixtures_app import auth
from tests.ops.conftest import POLICY

FIXTURES = Path(__file__).parent / "fixtures"
ANNA = "anna@EXAMPLE.org"  # the archive has anna@example.org (and Anna@Example.org): addresses match in any case
IMPORTED = "import:disqus:user:annas"
MOD = auth("mod", role="moderator")
UNVERIFIED: list[Any] = [False, "false", "FALSE", 0, 1, 1.0, {"verified": True}, ["true"], None, "yes", ""]


def _import(app: Townhall) -> int:
    run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    return _author_of(app, "disqus:3001")["account_id"]


def _author_of(app: Townhall, ext: str) -> dict[str, Any]:
    with app.services.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.text(
            "SELECT c.id, c.account_id, c.status, a.subject, a.email FROM comments c JOIN accounts a ON a.id = c.account_id "
            "WHERE c.external_id = :e"), {"e": ext}).mappings()]
    assert len(rows) == 1, ext
    return rows[0]


def _me(client: TestClient, **claims: Any) -> dict[str, Any]:
    r = client.get("/api/v1/me", headers=auth("sso-anna", name="Anna S.", **claims))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _stored_email(client: TestClient, **claims: Any) -> str | None:
    r = client.get("/api/v1/me/export", headers=auth("sso-anna", name="Anna S.", **claims))
    assert r.status_code == 200, r.text
    return r.json()["account"]["email"]  # type: ignore[no-any-return]


def _audit(client: TestClient, action: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/mod/audit", params={"action": action}, headers=MOD)
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    details = entry["details"]
    return json.loads(details) if isinstance(details, str) else details  # type: ignore[no-any-return]


def _assert_not_claimed(app: Townhall, client: TestClient, imported: int, me: dict[str, Any], **claims: Any) -> None:
    assert me["id"] != imported
    first = _author_of(app, "disqus:3001")
    assert first["account_id"] == imported and first["subject"] == IMPORTED  # the history stays where it was
    headers = auth("sso-anna", name="Anna S.", **claims)  # nor can the new account remove the imported comments
    assert client.delete(f"/api/v1/comments/{first['id']}", headers=headers).status_code in (403, 404)
    assert _author_of(app, "disqus:3001")["status"] == "published"


@pytest.mark.parametrize("verified", UNVERIFIED, ids=repr)
def test_an_unverified_address_claims_nothing_and_is_not_kept(app: Townhall, client: TestClient, verified: Any) -> None:
    imported = _import(app)
    me = _me(client, email=ANNA, email_verified=verified)  # never a 500, whatever the claim's type
    _assert_not_claimed(app, client, imported, me, email=ANNA, email_verified=verified)
    assert _stored_email(client, email=ANNA, email_verified=verified) is None  # no mail goes to it, no linking by it
    notifications = client.get("/api/v1/me/notifications", headers=auth("sso-anna", email=ANNA, email_verified=verified))
    assert notifications.status_code == 200 and notifications.json()["email_known"] is False
    assert _audit(client, "import.claimed") == []
    [declined] = _audit(client, "import.claim_declined")
    assert declined["subject_type"] == "account" and declined["subject_id"] == str(me["id"])
    assert declined["actor"] == f"account:{me['id']}" and declined["actor_kind"] == "reader"
    details = _details(declined)
    assert details["imported_accounts"] == [imported] and details["reason"] == "email_unverified"
    assert details["email_verified"] == ("false" if verified is False or verified in ("false", "FALSE") else "invalid")
    assert "anna" not in json.dumps(declined).lower()  # the audit log is append-only: it names no address


@pytest.mark.parametrize("verified", [True, "true", "True"], ids=repr)
def test_a_verified_address_claims_the_imported_history(app: Townhall, client: TestClient, verified: Any) -> None:
    imported = _import(app)
    me = _me(client, email=ANNA, email_verified=verified)
    assert me["id"] == imported
    first = _author_of(app, "disqus:3001")
    assert first["account_id"] == imported and first["subject"] == "sso-anna"
    assert _stored_email(client, email=ANNA, email_verified=verified) == ANNA
    [claimed] = _audit(client, "import.claimed")
    assert claimed["subject_type"] == "account" and claimed["subject_id"] == str(imported)
    assert _details(claimed)["imported_accounts"] == [imported] and _details(claimed)["email_verified"] == "true"
    assert _audit(client, "import.claim_declined") == []
    r = client.delete(f"/api/v1/comments/{first['id']}", headers=auth("sso-anna", name="Anna S.", email=ANNA))
    assert r.status_code == 204, r.text


def test_without_the_claim_the_publisher_vouches_by_default(app: Townhall, client: TestClient) -> None:
    imported = _import(app)
    assert _me(client, email=ANNA)["id"] == imported
    assert _author_of(app, "disqus:3001")["subject"] == "sso-anna"
    assert _details(_audit(client, "import.claimed")[0])["email_verified"] == "absent"


def test_the_setting_makes_a_missing_claim_count_as_unverified(make_app: Any, db_url: str) -> None:
    app = make_app(db_url, policy=POLICY, sso_require_email_verified=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        imported = _import(app)
        me = _me(client, email=ANNA)
        _assert_not_claimed(app, client, imported, me, email=ANNA)
        assert _stored_email(client, email=ANNA) is None
        assert _details(_audit(client, "import.claim_declined")[0])["email_verified"] == "absent"
        # a reader whose token says the address is verified still claims under the setting
        r = client.get("/api/v1/me", headers=auth("sso-ivan", email="IVAN@example.net", email_verified=True))
        assert r.status_code == 200, r.text
        assert _author_of(app, "disqus:3002")["subject"] == "sso-ivan"


def test_an_address_vouched_for_later_claims_then(app: Townhall, client: TestClient) -> None:
    imported = _import(app)
    me = _me(client, email=ANNA, email_verified=False)
    _assert_not_claimed(app, client, imported, me, email=ANNA, email_verified=False)
    # verified later: the reader's own account takes over the imported history then
    again = _me(client, email=ANNA, email_verified=True)
    assert again["id"] == me["id"]
    first = _author_of(app, "disqus:3001")
    assert first["account_id"] == me["id"] and first["subject"] == "sso-anna" and first["email"] == ANNA
    assert _stored_email(client, email=ANNA, email_verified=True) == ANNA  # now vouched for: kept for e-mail
    [claimed] = _audit(client, "import.claimed")
    assert claimed["subject_id"] == str(me["id"]) and claimed["actor"] == f"account:{me['id']}"
    assert _details(claimed) == {"imported_accounts": [imported], "email_verified": "true", "existing_account": True}
    r = client.delete(f"/api/v1/comments/{first['id']}", headers=auth("sso-anna", name="Anna S.", email=ANNA))
    assert r.status_code == 204, r.text
    # the emptied imported account keeps no address: nothing claims it again
    with app.services.db.read() as conn:
        assert conn.execute(sa.text("SELECT email FROM accounts WHERE id = :i"), {"i": imported}).scalar() is None
    # an unverified address never replaces the one the publisher vouched for
    assert _stored_email(client, email="someone-else@example.org", email_verified=False) == ANNA


def test_a_reader_who_signed_in_before_the_import_takes_over_the_history(app: Townhall, client: TestClient) -> None:
    me = _me(client, email=ANNA, email_verified=True)
    _me_as = lambda sub, email: client.get("/api/v1/me", headers=auth(sub, email=email, email_verified=True))  # noqa: E731
    assert _me_as("sso-ivan-1", "ivan@example.net").status_code == 200  # two readers hold Ivan's address:
    assert _me_as("sso-ivan-2", "IVAN@example.net").status_code == 200  # neither takes over his history
    report = run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    assert report.to_dict()["accounts_joined_to_readers"] == 1
    first = _author_of(app, "disqus:3001")
    assert first["account_id"] == me["id"] and first["subject"] == "sso-anna"
    assert _author_of(app, "disqus:3002")["subject"].startswith("import:")
    # nor does either of them at a later sign-in (here with the address in another case)
    assert _me_as("sso-ivan-1", "Ivan@example.net").status_code == 200
    assert _author_of(app, "disqus:3002")["subject"].startswith("import:")
    [claimed] = _audit(client, "import.claimed")
    assert claimed["actor"] == "import" and _details(claimed)["existing_account"] is True
    # running the import again adds nothing, and claims nothing twice
    again = run_import(app.services, disqus.read((FIXTURES / "disqus.xml").read_text(encoding="utf-8")), "default")
    assert again.comments_new == 0 and again.accounts_claimed == 0
    assert len(_audit(client, "import.claimed")) == 1 and _author_of(app, "disqus:3001")["account_id"] == me["id"]


def test_an_unverified_address_with_no_imported_account_is_not_audited(app: Townhall, client: TestClient) -> None:
    _import(app)
    r = client.get("/api/v1/me", headers=auth("sso-new", email="new@example.org", email_verified=False))
    assert r.status_code == 200, r.text
    assert _audit(client, "import.claim_declined") == [] and _audit(client, "import.claimed") == []
