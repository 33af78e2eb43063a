"""`townhall doctor` warns of a site's allowed origin saved before the dashboard checked them (a publisher's
walkthrough, 2026-11-28): ``www.news.example`` without its scheme matches no page, so a site that lists only such
entries refuses every browser write from the publisher's own pages. The dashboard now refuses such an entry
(tests/dashboard/test_dashboard_site_origins.py); one already stored is left as it is, and doctor names it.
Failed on the code before: doctor said nothing of it."""

from __future__ import annotations

from click.testing import CliRunner

from tests.fixtures_app import AppFactory
from tests.ops.conftest import POLICY
from townhall.cli import build_cli
from townhall.store import content


def doctor_lines(url: str) -> list[str]:
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), ["doctor", "--db", url])
    assert done.exit_code == 0, done.output  # a warning, not an error
    return [" ".join(line.split()) for line in done.output.splitlines()]


def test_doctor_names_a_stored_entry_that_is_no_origin(make_app: AppFactory, sqlite_url: str) -> None:
    app = make_app(sqlite_url, policy=POLICY)
    with app.services.db.write() as conn:  # as a site saved before the check keeps them
        content.update_site(conn, "default", origins=["https://news.example/", "www.news.example"])
    warned = [line for line in doctor_lines(sqlite_url) if "site origins:" in line]
    assert len(warned) == 1, warned
    assert ("site default: 'www.news.example' is not an origin (scheme://host[:port]): write it as "
            "https://www.news.example") in warned[0]
    assert "https://news.example/'" not in warned[0]  # an origin, case and slash as typed, is not named
    with app.services.db.write() as conn:
        content.update_site(conn, "default", origins=["https://news.example/", "https://www.news.example"])
    assert not [line for line in doctor_lines(sqlite_url) if "site origins" in line]
