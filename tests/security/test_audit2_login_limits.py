"""Second audit: password guessing against one moderator from many networks.

The dashboard counts sign-in attempts per client network (/24, /48). An attacker who guesses one moderator's
password from many networks (a botnet, cloud addresses, free IPv6 /48 tunnels) gets a full budget from each,
so the number of guesses against that one account had no bound. Attempts must also count against the address
tried, whatever network they come from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from townhall.app import Townhall
from tests.dashboard.helpers import add_moderator, sign_in, write_policy
from tests.fixtures_app import AppFactory

PER_MINUTE = 3
NETWORKS = ("203.0.113.10", "198.51.100.7", "192.0.2.55", "100.64.1.9", "2001:db8:1::5", "2001:db8:2::5")


def _limited(make_app: AppFactory, sqlite_url: str, tmp_path: Path) -> Townhall:
    app = make_app(sqlite_url, policy=write_policy(tmp_path), rate_limit_per_minute=PER_MINUTE)
    add_moderator(app.services, "mod@example.org")
    add_moderator(app.services, "other@example.org")
    return app


def _from(app: Townhall, ip: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(ip, 40000))


def test_guesses_from_many_networks_are_bounded_per_moderator(make_app: AppFactory, sqlite_url: str,
                                                              tmp_path: Path) -> None:
    app = _limited(make_app, sqlite_url, tmp_path)
    statuses: list[int] = []
    for ip in NETWORKS:  # the test's clock stands still: every attempt is in the same minute
        with _from(app, ip) as guesser:
            statuses += [sign_in(guesser, "mod@example.org", f"guess {ip} {n}").status_code for n in range(PER_MINUTE)]
    checked = [s for s in statuses if s == 401]  # each 401 is a password tried against the account
    assert len(checked) <= PER_MINUTE, f"{len(checked)} guesses at one moderator's password in a minute: {statuses}"
    assert set(statuses) <= {401, 429}
    # the account's own budget, spent by the guessers, does not spend anyone else's
    with _from(app, "198.18.0.1") as colleague:
        assert sign_in(colleague, "other@example.org").status_code == 303


def test_the_address_is_compared_as_typed_case_and_spaces_aside(make_app: AppFactory, sqlite_url: str,
                                                                tmp_path: Path) -> None:
    """Writing the address another way ("MOD@example.org ") is the same account's budget, not a new one."""
    app = _limited(make_app, sqlite_url, tmp_path)
    spellings = ("mod@example.org", "MOD@example.org", " mod@example.org ", "Mod@Example.Org")
    answers: list[Any] = []
    for n, (ip, email) in enumerate(zip(NETWORKS, spellings)):
        with _from(app, ip) as guesser:
            answers.append(sign_in(guesser, email, f"wrong guess {n}").status_code)
    assert answers.count(401) <= PER_MINUTE, answers
    assert answers[-1] == 429, answers
