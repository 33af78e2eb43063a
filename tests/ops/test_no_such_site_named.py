"""A site id that names no site is refused with a message that names it (``No such site: nowhere.``), on every
path: a command prints only the message, and an operator with several sites must see which id was mistyped.
About twenty service functions said "No such site." alone (townhall.service.errors.no_such_site now makes the one
refusal); HTTP answers keep their code (``not_found``) and ``details`` (``{"site": …}``) as they were.

Found by an audit (2026-11-28): each test below failed before the fix (the message was "No such site.")."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.ops.conftest import POLICY
from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import dashboard, moderation
from townhall.service.errors import NotFound
from townhall.service.identity import Actor


@pytest.mark.parametrize("args", [
    ["announce", "Comments close at 22:00 tonight.", "--site", "nowhere"],  # announcements.set_announcement
    ["privacy", "mode", "anonymise", "--site", "nowhere"],                  # privacy.set_erase_mode
    ["threads", "set", "budget-vote", "--title", "Budget", "--site", "nowhere"],  # thread_metadata.update_thread
], ids=["announce", "privacy-mode", "threads-set"])
def test_a_command_names_the_missing_site(app: Townhall, args: list[str]) -> None:
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), [*args, "--db", app.settings.database_url])
    assert done.exit_code == 1, done.output
    assert done.output.strip().splitlines()[-1] == "Error: No such site: nowhere.", done.output


@pytest.mark.parametrize("path", [
    "/api/v1/site",                  # threads.site_info
    "/api/v1/threads/t-1/comments",  # threads.list_comments
    "/api/v1/counts?thread=t-1",     # counts.counts
    "/api/v1/announcement",          # announcements.current
    "/api/v1/threads/t-1/live",      # web/live.py
], ids=["site", "comments", "counts", "announcement", "live"])
def test_an_http_answer_names_the_missing_site_and_keeps_its_code_and_details(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"X-Townhall-Site": "nowhere"})
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == {"code": "not_found", "message": "No such site: nowhere.",
                                      "details": {"site": "nowhere"}}


def test_a_service_call_names_the_missing_site(app: Townhall) -> None:
    """``set_thread_state`` said "No such site." with no details at all; it now has them as every other path."""
    calls = [lambda: moderation.set_thread_state(app.services, Actor.cli(), "nowhere", "t-1", "closed"),
             lambda: dashboard.policy_view(app.services, Actor.cli(), "nowhere")]
    for call in calls:
        with pytest.raises(NotFound) as refused:
            call()
        assert (refused.value.message, refused.value.details) == ("No such site: nowhere.", {"site": "nowhere"})


@pytest.mark.parametrize("site,shown", [("sport", "sport"), ("", "''"), (" sport", "' sport'"), ("a\nb", "'a\\nb'")])
def test_the_message_is_one_line_that_shows_the_id_as_given(site: str, shown: str) -> None:
    from townhall.service.errors import no_such_site  # here: the other tests ran (and failed) on the code before it

    refusal = no_such_site(site)
    assert (refusal.message, refusal.details, refusal.code) == (f"No such site: {shown}.", {"site": site}, "not_found")
