"""A moderator whom the newsroom takes off moderation loses the dashboard at their next request, not when their
session cookie runs out (``session_hours``, 12 by default).

An SSO moderator's session used to carry the role of the token it was opened with, and nothing on the server was
read again: after the publisher's next token for them said ``reader`` (the account's role lowered, audited as
``account.role_changed``), the old cookie went on deciding comments for up to 12 hours. A local moderator whom an
admin removes or moves off a site (dashboard or ``townhall users``) must likewise be refused at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.store import people
from tests.dashboard.helpers import PASSWORD, add_moderator, csrf_token, sign_in, sso_sign_in, write_policy
from tests.fixtures_app import AppFactory, auth, make_token


@pytest.fixture
def dash_app(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    return make_app(sqlite_url, policy=write_policy(tmp_path))


@pytest.fixture
def client(dash_app: Townhall) -> Iterator[TestClient]:
    with TestClient(dash_app, raise_server_exceptions=False) as c:
        yield c


def _held(client: TestClient, sub: str = "carl") -> int:
    r = client.post("/api/v1/threads/t1/comments", json={"text": "Only a moron would vote for this."}, headers=auth(sub))
    assert r.status_code == 201 and r.json()["comment"]["status"] == "held", r.text
    return int(r.json()["comment"]["id"])


def _decide(client: TestClient, comment_id: int, csrf: str) -> Any:
    return client.post(f"/admin/comments/{comment_id}/decision", data={"decision": "approve", "csrf_token": csrf},
                       headers={"X-Requested-With": "fetch"}, follow_redirects=False)


def _refused(client: TestClient, comment_id: int, csrf: str) -> None:
    """The session opens no page and takes no action any more."""
    page = client.get("/admin/queue/held", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/login"), page.status_code
    acted = _decide(client, comment_id, csrf)
    assert acted.status_code == 401, acted.text


def _role(app: Townhall, sub: str) -> str:
    with app.services.db.read() as conn:
        row = people.find_account(conn, app.settings.default_site, sub)
    assert row is not None
    return str(row["role"])


def test_an_sso_moderator_demoted_by_the_publishers_next_token_loses_the_dashboard_at_once(
        dash_app: Townhall, client: TestClient) -> None:
    held = _held(client)
    assert sso_sign_in(client, make_token("maria", name="Maria", role="moderator")).status_code == 303
    page = client.get("/admin/queue/held")
    assert page.status_code == 200 and "Maria" in page.text
    csrf = csrf_token(page.text)
    # the publisher takes her off moderation: her next token (the widget's, on any article) says reader
    assert client.get("/api/v1/me", headers=auth("maria", name="Maria")).status_code == 200
    assert _role(dash_app, "maria") == "reader"
    _refused(client, held, csrf)
    # the moderators' API takes the role from each token: her new one opens nothing there either
    assert client.get("/api/v1/mod/queues/held", headers=auth("maria")).status_code == 403


def test_a_dashboard_sign_in_promotes_a_reader_account_and_a_later_demotion_ends_it(
        dash_app: Townhall, client: TestClient) -> None:
    """A reader who commented before becoming a moderator: the moderator token at /admin/sso records the new
    role (so the session is not refused by the account's old one); a reader token afterwards ends it again."""
    held = _held(client)
    assert client.get("/api/v1/me", headers=auth("rob")).status_code == 200
    assert _role(dash_app, "rob") == "reader"
    assert sso_sign_in(client, make_token("rob", role="moderator")).status_code == 303
    page = client.get("/admin/queue/held")
    assert page.status_code == 200
    assert _role(dash_app, "rob") == "moderator"
    assert _decide(client, held, csrf_token(page.text)).status_code == 200
    other = _held(client, "cora")
    assert client.get("/api/v1/me", headers=auth("rob")).status_code == 200  # demoted
    _refused(client, other, csrf_token(page.text))


def _signed_in_as(client: TestClient, email: str) -> tuple[str, str]:
    """Sign in with the password form; returns the session cookie and its CSRF token, and signs the client out."""
    client.cookies.clear()
    assert sign_in(client, email).status_code == 303
    cookie = client.cookies.get("th_session")
    csrf = csrf_token(client.get("/admin/queue/held").text)
    client.cookies.clear()
    return cookie, csrf


def _use(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set("th_session", cookie, path="/admin")


def test_a_local_moderator_removed_in_the_dashboard_is_refused_at_the_next_request(
        dash_app: Townhall, client: TestClient) -> None:
    held = _held(client)
    add_moderator(dash_app.services, "admin@example.org", admin=True)
    mod_id = add_moderator(dash_app.services, "mod@example.org")
    admin_cookie, admin_csrf = _signed_in_as(client, "admin@example.org")
    mod_cookie, mod_csrf = _signed_in_as(client, "mod@example.org")
    _use(client, mod_cookie)
    assert client.get("/admin/queue/held").status_code == 200
    _use(client, admin_cookie)
    r = client.post(f"/admin/moderators/{mod_id}/remove", data={"confirm": "yes", "csrf_token": admin_csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    _use(client, mod_cookie)
    _refused(client, held, mod_csrf)


def test_a_local_moderator_moved_off_a_site_loses_it_at_the_next_request(dash_app: Townhall, client: TestClient) -> None:
    held = _held(client)
    svc = dash_app.services
    from townhall.service import moderators
    from townhall.service.identity import Actor

    moderators.add_site(svc, Actor.cli(), "sport", "Sport")
    add_moderator(svc, "admin@example.org", admin=True)
    mod_id = add_moderator(svc, "mod@example.org", sites=("default",))
    admin_cookie, admin_csrf = _signed_in_as(client, "admin@example.org")
    mod_cookie, mod_csrf = _signed_in_as(client, "mod@example.org")
    _use(client, admin_cookie)
    r = client.post(f"/admin/moderators/{mod_id}", data={"role": "moderator", "sites": "sport", "csrf_token": admin_csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    _use(client, mod_cookie)
    acted = _decide(client, held, mod_csrf)
    assert acted.status_code == 403, acted.text  # the default site's comment is no longer theirs to decide
    assert client.get("/admin/queue/held?site=sport").status_code == 200  # still signed in, for sport


def test_a_local_moderator_removed_with_the_command_line_is_refused_at_the_next_request(
        dash_app: Townhall, client: TestClient) -> None:
    held = _held(client)
    add_moderator(dash_app.services, "mod@example.org")
    mod_cookie, mod_csrf = _signed_in_as(client, "mod@example.org")
    runner = CliRunner()
    db = ["--db", dash_app.settings.database_url]
    done = runner.invoke(build_cli(), ["users", "remove-moderator", "mod@example.org", "--yes", *db])
    assert done.exit_code == 0, done.output
    assert "removed" in done.output
    listed = runner.invoke(build_cli(), ["users", "list-moderators", *db])
    assert listed.exit_code == 0 and "mod@example.org" not in listed.output
    _use(client, mod_cookie)
    _refused(client, held, mod_csrf)
    again = runner.invoke(build_cli(), ["users", "remove-moderator", "mod@example.org", "--yes", *db])
    assert again.exit_code == 1 and re.search(r"No moderator mod@example\.org", again.output), again.output


def test_the_command_line_resetting_a_moderators_sites_applies_at_the_next_request(
        dash_app: Townhall, client: TestClient) -> None:
    held = _held(client)
    add_moderator(dash_app.services, "mod@example.org")
    mod_cookie, mod_csrf = _signed_in_as(client, "mod@example.org")
    from townhall.service import moderators
    from townhall.service.identity import Actor

    moderators.add_site(dash_app.services, Actor.cli(), "sport", "Sport")
    r = CliRunner().invoke(build_cli(), ["users", "add-moderator", "mod@example.org", "--site", "sport", "--password-stdin",
                                         "--db", dash_app.settings.database_url], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    _use(client, mod_cookie)
    _refused(client, held, mod_csrf)  # a reset (even to the same password) ends the session: sign in again
