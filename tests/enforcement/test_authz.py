"""Every moderator endpoint refuses readers, guests and bad tokens; a site's moderators stay on their site."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from starlette.testclient import TestClient

from townhall.store import content
from tests.fixtures_app import SSO_SECRET, auth, make_token

MOD_ENDPOINTS = [
    ("GET", "/api/v1/mod/queues/held", None),
    ("GET", "/api/v1/mod/queues/appeals", None),
    ("POST", "/api/v1/mod/comments/{cid}/decision", {"action": "reject", "reason": "x"}),
    ("POST", "/api/v1/mod/accounts/{aid}/sanctions", {"sanction": "ban", "reason": "x"}),
    ("POST", "/api/v1/mod/accounts/{aid}/restore", {"reason": "x"}),
    ("POST", "/api/v1/mod/accounts/{aid}/reject-all", {"reason": "x"}),
    ("POST", "/api/v1/mod/accounts/{aid}/notes", {"text": "x"}),
    ("GET", "/api/v1/mod/accounts/{aid}", None),
    ("POST", "/api/v1/mod/appeals/1/decision", {"outcome": "uphold", "response": "x"}),
    ("GET", "/api/v1/mod/audit", None),
]


def _unsigned(claims: dict) -> str:
    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def bad_headers() -> dict[str, dict[str, str]]:
    return {
        "anonymous": {},
        "reader": auth("reader"),
        "guest-claiming-moderator": {"Authorization": "Bearer " + _unsigned({"sub": "guest:x", "role": "admin"})},
        "alg-none": {"Authorization": "Bearer " + _unsigned({"sub": "mod", "role": "moderator"})},
        "wrong-key": {"Authorization": "Bearer " + make_token("mod", role="moderator", secret="another-secret-of-enough-length!")},
        "expired": {"Authorization": "Bearer " + make_token("mod", role="moderator", exp_in=-3600)},
        "hs512": {"Authorization": "Bearer " + jwt.encode({"sub": "mod", "role": "moderator"}, SSO_SECRET, algorithm="HS512")},
        "garbage": {"Authorization": "Bearer abc.def.ghi"},
    }


@pytest.fixture
def targets(client: TestClient) -> dict[str, int]:
    r = client.post("/api/v1/threads/a/comments", json={"text": "hello"}, headers=auth("author"))
    return {"cid": r.json()["comment"]["id"], "aid": r.json()["comment"]["author"]["id"]}


def test_moderator_endpoints_refuse_everyone_else(client: TestClient, targets: dict[str, int]) -> None:
    for method, path, body in MOD_ENDPOINTS:
        url = path.format(**targets)
        for name, headers in bad_headers().items():
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code in (401, 403), (name, method, url, r.status_code, r.text)
            assert set(r.json()["error"]) == {"code", "message", "details"}
    # a signed token naming a guest's subject cannot sign in at all, let alone as a moderator
    guest_guarded = client.get("/api/v1/mod/queues/held", headers=auth("guest:abc"))
    assert guest_guarded.status_code == 401 and "prefix" in guest_guarded.json()["error"]["message"]


def test_moderator_can(client: TestClient, targets: dict[str, int]) -> None:
    assert client.get("/api/v1/mod/queues/held", headers=auth("mod", role="moderator")).status_code == 200


def test_moderators_of_one_site_cannot_act_on_another(app, client: TestClient, targets: dict[str, int]) -> None:
    other_secret = "the-other-publisher-secret-long-enough"
    with app.services.db.write() as conn:
        content.insert_site(conn, id="other", name="Other Paper", sso_secret=other_secret, allow_guests=False,
                            auto_create_threads=True, policy_path=None, origins=[], created_at=app.services.now())
    other_mod = {"Authorization": "Bearer " + make_token("omod", role="moderator", secret=other_secret)}
    # their own queue works ...
    assert client.get("/api/v1/mod/queues/held", params={"site": "other"}, headers=other_mod).status_code == 200
    # ... the default site's queue does not, whichever way they ask
    assert client.get("/api/v1/mod/queues/held", params={"site": "default"}, headers=other_mod).status_code == 401
    assert client.get("/api/v1/mod/queues/held", headers={**other_mod, "x-townhall-site": "default"}).status_code == 401
    # acting on the default site's comment or account through their own site is refused
    for method, path, body in MOD_ENDPOINTS[2:8]:
        r = client.request(method, path.format(**targets), params={"site": "other"}, json=body, headers=other_mod)
        assert r.status_code == 403, (path, r.text)
    default_mod = auth("mod", role="moderator")
    assert client.get("/api/v1/mod/queues/held", params={"site": "other"}, headers=default_mod).status_code == 401
