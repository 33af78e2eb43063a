"""`townhall erase` looks the reader up before it asks (a publisher's walkthrough, 2026-11-28).

It asked "Erase the reader 'x'? This cannot be undone" first, and only once the operator had said yes did it say
that there is no such reader (a mistyped subject or site). It now fails at once with the one-line error, and asks
only about a reader that exists. The first test failed on the code before: the prompt came, and with no answer
the command ended "Aborted!"."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from tests.fixtures_app import auth
from tests.ops.conftest import POLICY
from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.service import privacy

PROMPT = "Erase the reader"


def erase(app: Townhall, *args: str, answer: str | None = None) -> Any:
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY})
    return runner.invoke(build_cli(), ["erase", *args, "--db", app.settings.database_url], input=answer)


def test_an_unknown_reader_is_said_before_any_question(app: Townhall) -> None:
    for args in (["--subject", "nobody"], ["--subject", "nobody", "--site", "nowhere"]):
        done = erase(app, *args)  # no answer typed: a question would end in "Aborted!"
        assert done.exit_code == 1, done.output
        assert PROMPT not in done.output, done.output  # before: asked first
        assert done.output.strip().splitlines() == ["Error: No account with this subject on this site."], done.output


def test_a_known_reader_is_asked_about_and_erased_only_on_yes(app: Townhall, client: Any) -> None:
    me = auth("sso-erase-me", name="Erin Example")
    posted = client.post("/api/v1/threads/t1/comments", json={"text": "Quiet marmalade 3310"}, headers=me)
    assert posted.status_code == 201, posted.text
    account = privacy.account_id_of(app.services, "default", "sso-erase-me")
    kept = erase(app, "--subject", "sso-erase-me", answer="n\n")
    assert kept.exit_code == 1 and PROMPT in kept.output and "Aborted!" in kept.output, kept.output
    assert privacy.account_id_of(app.services, "default", "sso-erase-me") == account  # still there
    done = erase(app, "--subject", "sso-erase-me", answer="y\n")
    assert done.exit_code == 0 and PROMPT in done.output and f"erased account {account}:" in done.output, done.output
    again = erase(app, "--subject", "sso-erase-me", "--yes")
    assert again.exit_code == 1, again.output
    assert again.output.strip().splitlines() == ["Error: No account with this subject on this site."], again.output
