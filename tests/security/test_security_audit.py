"""Regression tests for the security audit of 2026-11-27 (see SECURITY.md, "Fixed in this hardening pass")."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.service.signals import SignalHasher
from tests.fixtures_app import AppFactory, Clock, auth
from tests.security.conftest import assert_envelope
from tests.security.test_limits import client_from, limited, policy_file  # noqa: F401 - the fixtures


def post(c: TestClient, sub: str) -> Any:
    return c.post("/api/v1/threads/audit-thread/comments", json={"text": "An ordinary comment."}, headers=auth(sub))


# --- IPv4 readers of a dual-stack server ("townhall serve --host ::") ---------------------------------------
# They arrive as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d). Cut to a /48 these were all "::/48": every IPv4
# reader in the world shared one rate-limit budget (one client could lock everyone out of writing and signing
# in to the dashboard) and one network for ban-evasion evidence (everyone "on the banned account's network").

def test_ipv4_mapped_address_is_judged_by_its_ipv4_prefix(clock: Clock) -> None:
    hasher = SignalHasher("secret", 30)
    now = clock()
    assert hasher.ip_prefix("::ffff:203.0.113.10", now) == hasher.ip_prefix("203.0.113.10", now)
    assert hasher.ip_prefix("::ffff:203.0.113.10", now) == hasher.ip_prefix("203.0.113.200", now)
    assert hasher.ip_prefix("::ffff:203.0.113.10", now) != hasher.ip_prefix("::ffff:198.51.100.7", now)


def test_ipv4_readers_of_a_dual_stack_server_do_not_share_one_rate_limit(limited: Townhall) -> None:
    attacker = client_from(limited, "::ffff:203.0.113.10")
    for i in range(3):
        assert post(attacker, f"sock-{i}").status_code == 201
    assert_envelope(post(attacker, "sock-x"), 429, "rate_limited")  # the attacker's own /24 is limited
    # a reader elsewhere in the IPv4 world is not
    assert post(client_from(limited, "::ffff:198.51.100.7"), "bystander").status_code == 201


# --- unexpected errors (500) --------------------------------------------------------------------------------
# Starlette answers an unhandled exception from outside every middleware: the 500 envelope went out without
# X-Content-Type-Options, Referrer-Policy or CORS headers (the widget could not even read it).

def test_an_unexpected_error_carries_the_security_and_cors_headers(make_app: AppFactory, sqlite_url: str) -> None:
    app = make_app(sqlite_url)

    @app.asgi.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM somewhere")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom-for-test", headers={"Origin": "https://news.example"})
    error = assert_envelope(r, 500, "internal")
    assert "SELECT" not in r.text and "RuntimeError" not in r.text
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") == "strict-origin-when-cross-origin"
    assert r.headers.get("access-control-allow-origin") == "*"
    assert error["details"] is None


def test_an_unexpected_error_is_still_raised_for_the_log(make_app: AppFactory, sqlite_url: str) -> None:
    app = make_app(sqlite_url)

    @app.asgi.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app) as c, pytest.raises(RuntimeError, match="boom"):
        c.get("/boom-for-test")


# --- secrets in logs: a webhook URL's path or query is often the receiver's secret ------------------------------
# (Slack's and Discord's webhook URLs, ``?token=``; user:password@ is one too). A failed delivery logged the whole
# URL (``job … failed: webhook https://hooks.example/services/T0/B0/SECRET: …``) and kept it in the job's error.

def test_a_failed_webhook_delivery_does_not_log_the_url_secret(make_app: AppFactory, sqlite_url: str, policy_file: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import time

    from townhall.service import webhooks

    app = make_app(sqlite_url, policy=policy_file, webhooks_allow_private=True)
    svc = app.services
    queue = svc.operations.queue
    queue.poll_seconds, queue.max_attempts = 0.05, 1
    webhooks.add(svc, "default", "http://user:PASSWORD1@127.0.0.1:9/services/T0/B0/SECRET2?token=SECRET3", secret="s")
    caplog.set_level(logging.INFO)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/api/v1/threads/t1/comments", json={"text": "Hello"}, headers=auth("alice")).status_code == 201
        deadline = time.time() + 20
        while not queue.list(state="failed"):
            assert time.time() < deadline, "the delivery never failed"
            time.sleep(0.05)
    jobs = queue.list(state="failed")
    assert "127.0.0.1:9" in caplog.text  # the log still says where it failed
    for secret in ("PASSWORD1", "SECRET2", "SECRET3"):
        assert secret not in caplog.text
        assert all(secret not in str(j["last_error"]) for j in jobs), jobs


# --- a site's allowed origins --------------------------------------------------------------------------------
# The dashboard lets an admin name the pages a site's widget runs on ("Allowed origins"), but nothing used them:
# any page could make its visitors' browsers write to the site (guest comments, each from the visitor's own
# address, so per-network limits do not hold; or a reader's token it got hold of). Now a browser's write from
# another origin is refused where a site names its origins; a site that names none takes any, as before.

@pytest.fixture
def with_origins(make_app: AppFactory, sqlite_url: str, policy_file: str) -> Townhall:
    from townhall.service import moderators
    from townhall.service.identity import Actor

    app = make_app(sqlite_url, policy=policy_file)
    moderators.add_site(app.services, Actor.cli(), "paper", "Paper", allow_guests=True,
                        origins=["https://news.example", "https://www.news.example/"])
    return app


def guest_post(c: TestClient, origin: str | None) -> Any:
    headers = {"X-Townhall-Site": "paper", **({"Origin": origin} if origin else {})}
    return c.post("/api/v1/threads/t1/comments", json={"text": "A guest's comment.", "guest_name": "Guest"}, headers=headers)


def test_a_write_from_a_page_the_site_does_not_name_is_refused(with_origins: Townhall) -> None:
    with TestClient(with_origins, raise_server_exceptions=False) as c:
        r = guest_post(c, "https://evil.example")
        assert_envelope(r, 403, "origin_not_allowed")
        assert r.headers.get("access-control-allow-origin") == "*"  # the widget can read why
        r = c.post("/api/v1/threads/t1/comments?site=paper", json={"text": "Hi"}, headers={"Origin": "null"})
        assert_envelope(r, 403, "origin_not_allowed")
        assert c.get("/api/v1/threads/t1/comments?site=paper").json()["comments"] == []


@pytest.mark.parametrize("listed, page, taken", [
    ("https://News.Example:443/", "https://news.example", True),  # the default port, case, a trailing slash
    ("https://news.example", "https://news.example:443", True),  # the default port written out: one origin
    ("https://news.example", "https://news.example:8443", False),
    ("https://bücher.example", "https://xn--bcher-kva.example", True),  # a browser's Origin is punycode
    ("http://[::1]:80", "http://[::1]", True),
    ("news.example", "https://news.example", False),  # no scheme: no page's origin, and still names one
])
def test_origins_are_compared_as_browsers_write_them(make_app: AppFactory, sqlite_url: str, policy_file: str,
                                                      listed: str, page: str, taken: bool) -> None:
    from townhall.service import moderators
    from townhall.service.identity import Actor
    from townhall.store import content

    app = make_app(sqlite_url, policy=policy_file)
    moderators.add_site(app.services, Actor.cli(), "paper", "Paper", allow_guests=True)
    with app.services.db.write() as conn:  # as stored: the dashboard now refuses an entry without its scheme,
        content.update_site(conn, "paper", origins=[listed])  # but one saved before that is still in a site's row
    with TestClient(app, raise_server_exceptions=False) as c:
        r = guest_post(c, page)
        if taken:
            assert r.status_code == 201, r.text
        else:
            assert_envelope(r, 403, "origin_not_allowed")


def test_writes_from_the_sites_pages_townhall_itself_and_servers_are_taken(with_origins: Townhall) -> None:
    with TestClient(with_origins, raise_server_exceptions=False) as c:
        assert guest_post(c, "https://news.example").status_code == 201
        assert guest_post(c, "https://WWW.news.example").status_code == 201
        assert guest_post(c, "http://testserver").status_code == 201  # Townhall's own pages
        assert guest_post(c, None).status_code == 201  # not a browser's cross-origin request
        r = c.options("/api/v1/threads/t1/comments", headers={"Origin": "https://news.example",
                                                              "Access-Control-Request-Method": "POST"})
        assert r.status_code == 200
        # a site that names no origins takes writes from any page, as before
        assert c.post("/api/v1/threads/t1/comments", json={"text": "Hello"},
                      headers={**auth("alice"), "Origin": "https://anywhere.example"}).status_code == 201
