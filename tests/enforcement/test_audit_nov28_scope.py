"""Found by an audit (2026-11-28; each test failed before its fix): an installation-wide ban must stick on a sister site the reader first visits after the ban."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.enforcement.test_scope import MOD, _installation_policy, _site
from tests.fixtures_app import auth


def test_installation_ban_holds_on_a_sister_site_first_visited_after_the_ban(make_app, db_url: str,
                                                                             tmp_path: Path) -> None:
    """The reader is told "Banned on all sites of this installation"; the ban is copied only onto accounts that
    already exist on the other sites, so the same sign-in on a sister site it never visited before posts freely."""
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    with TestClient(app) as client:
        aid = client.get("/api/v1/me", headers=auth("same-person")).json()["id"]
        r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert r.status_code in (200, 201), r.text
        # same sign-in (same secret, same subject), first visit to the sister site after the ban
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"},
                        headers=auth("same-person"))
        assert r.status_code == 403, r.text


def test_lifting_an_installation_ban_after_the_reader_erased_that_account_lifts_its_copies(make_app, db_url: str,
                                                                                          tmp_path: Path) -> None:
    """Erasing the banned account keeps a keyed hash of its subject; the ban's copies on the sister sites are found
    by the subject, so a later lifting (a moderator's restore, or an appeal granted) leaves them in force."""
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    with TestClient(app) as client:
        reader = auth("same-person", email="same@example.org")
        aid = client.get("/api/v1/me", headers=reader).json()["id"]
        client.get("/api/v1/me", params={"site": "sister"}, headers=reader)
        r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert r.status_code == 201, r.text
        assert client.get("/api/v1/me", params={"site": "sister"}, headers=reader).json()["state"] == "banned"
        assert client.delete("/api/v1/me", headers=reader).status_code == 200  # erased while banned
        r = client.post(f"/api/v1/mod/accounts/{aid}/restore", json={"reason": "The ban was a mistake."}, headers=MOD)
        assert r.status_code == 200, r.text
        # the ban is lifted on its own site; its copy on the sister site must go with it
        assert client.get("/api/v1/me", params={"site": "sister"}, headers=reader).json()["state"] == "active"
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"}, headers=reader)
        assert r.status_code == 201, r.text
