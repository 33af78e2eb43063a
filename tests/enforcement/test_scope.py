"""Ban scope: a publisher running several sites can make a ban hold on all of them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.testclient import TestClient

from townhall.store import content
from tests.fixtures_app import SSO_SECRET, auth, make_token

MOD = auth("mod", role="moderator")


def _site(app, site_id: str, secret: str = SSO_SECRET) -> None:
    with app.services.db.write() as conn:
        content.insert_site(conn, id=site_id, name=site_id, sso_secret=secret, allow_guests=False,
                            auto_create_threads=True, policy_path=None, origins=[], created_at=app.services.now())


def _installation_policy(tmp_path: Path) -> str:
    """The packaged house rules with ``ban_scope = "installation"``."""
    text = (resources.files("townhall.policy") / "default.policy.toml").read_text()
    policy = tmp_path / "network.policy.toml"
    policy.write_text(text.replace('ban_scope = "site"', 'ban_scope = "installation"'))
    return str(policy)


def test_site_ban_stays_on_its_site(make_app, db_url: str) -> None:
    app = make_app(db_url)
    _site(app, "sister")
    with TestClient(app) as client:
        aid = client.get("/api/v1/me", headers=auth("same-person")).json()["id"]
        client.get("/api/v1/me", params={"site": "sister"}, headers=auth("same-person"))
        client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert client.post("/api/v1/threads/a/comments", json={"text": "hi"}, headers=auth("same-person")).status_code == 403
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"}, headers=auth("same-person"))
        assert r.status_code == 201


def test_installation_ban_covers_the_same_person_elsewhere(make_app, db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    with TestClient(app) as client:
        aid = client.get("/api/v1/me", headers=auth("same-person")).json()["id"]
        client.get("/api/v1/me", params={"site": "sister"}, headers=auth("same-person"))
        client.get("/api/v1/me", params={"site": "sister"}, headers=auth("someone-else"))
        client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"}, headers=auth("same-person"))
        assert r.status_code == 403 and "all sites" in r.json()["error"]["details"]["reason"]
        token = make_token("someone-else")
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"},
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201


def test_an_installation_ban_follows_an_address_only_within_the_same_sign_in(make_app, db_url: str,
                                                                             tmp_path: Path) -> None:
    """A publisher vouches for the addresses in its own tokens: the same address links the same person's
    accounts on sites that share its sign-in, but one publisher naming an address cannot ban another
    publisher's reader (it could name anyone's)."""
    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    other_secret = "another-publishers-sign-in-secret-0123456789abcdef"
    _site(app, "elsewhere", secret=other_secret)
    victim = {"Authorization": f"Bearer {make_token('victim-at-b', email='victim@example.org', secret=other_secret)}"}
    post = {"json": {"text": "hi"}, "params": {"site": "elsewhere"}, "headers": victim}
    with TestClient(app) as client:
        # a throwaway account on the default site, with the other publisher's reader's address
        aid = client.get("/api/v1/me", headers=auth("throwaway", email="Victim@example.org")).json()["id"]
        client.get("/api/v1/me", params={"site": "sister"}, headers=auth("sister-sub", email="victim@example.org"))
        assert client.get("/api/v1/me", params={"site": "elsewhere"}, headers=victim).status_code == 200
        r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert r.status_code in (200, 201), r.text
        assert client.post("/api/v1/threads/a/comments", **post).status_code == 201
        assert client.get("/api/v1/me", params={"site": "elsewhere"}, headers=victim).json()["state"] == "active"
        # the same sign-in's address on a sister site is the same person: the ban holds there
        r = client.post("/api/v1/threads/a/comments", params={"site": "sister"}, json={"text": "hi"},
                        headers=auth("sister-sub", email="victim@example.org"))
        assert r.status_code == 403


def test_lifting_a_ban_lifts_its_copies_after_the_sign_in_secret_changed(make_app, db_url: str, tmp_path: Path) -> None:
    """SECURITY.md's remedy after a leak is a new sign-in secret: copies of a ban made before it are still
    copies, and lifting the ban lifts them."""
    import sqlalchemy as sa

    from townhall.store.schema import accounts, sites

    app = make_app(db_url, policy=_installation_policy(tmp_path))
    _site(app, "sister")
    with TestClient(app) as client:
        aid = client.get("/api/v1/me", headers=auth("anna", email="anna@example.org")).json()["id"]
        copy = client.get("/api/v1/me", params={"site": "sister"}, headers=auth("anna-b", email="anna@example.org")).json()["id"]
        r = client.post(f"/api/v1/mod/accounts/{aid}/sanctions", json={"sanction": "ban", "reason": "abuse"}, headers=MOD)
        assert r.status_code in (200, 201), r.text
        new = "a-new-sign-in-secret-after-a-leak-0123456789abcdef"
        with app.services.db.write() as conn:
            conn.execute(sa.update(sites).where(sites.c.id == "default").values(sso_secret=new))
        app.services.forget("site:")
        mod = {"Authorization": f"Bearer {make_token('mod', role='moderator', secret=new)}"}
        r = client.post(f"/api/v1/mod/accounts/{aid}/restore", json={"reason": "A mistake."}, headers=mod)
        assert r.status_code == 200, r.text
        with app.services.db.read() as conn:
            states = dict(conn.execute(sa.select(accounts.c.id, accounts.c.state).where(accounts.c.id.in_([aid, copy]))).all())
        assert states == {aid: "active", copy: "active"}
