"""`townhall users add-moderator`: creates a local moderator whose password then signs in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.service import moderators
from townhall.service.core import build_services
from townhall.service.errors import Unauthenticated
from townhall.settings import Settings


def test_add_moderator_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'th.db'}"
    runner = CliRunner()
    cli = build_cli()
    ok = runner.invoke(cli, ["users", "add-moderator", "ed@news.example", "--site", "default", "--password-stdin", "--db", db],
                       input="a long enough password\n")
    assert ok.exit_code == 0, ok.output
    admin = runner.invoke(cli, ["users", "add-moderator", "root@news.example", "--admin", "--db", db],
                          input="another long password\nanother long password\n")
    assert admin.exit_code == 0, admin.output
    short = runner.invoke(cli, ["users", "add-moderator", "x@news.example", "--password-stdin", "--db", db], input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    listed = runner.invoke(cli, ["users", "list-moderators", "--db", db])
    assert listed.output.splitlines() == ["ed@news.example\tmoderator\tdefault", "root@news.example\tadmin\t*"]

    svc = build_services(Settings(database_url=db, data_dir=str(tmp_path)))
    try:
        row = moderators.authenticate(svc, "ED@news.example", "a long enough password")
        assert moderators.actor_for(row).sites == frozenset({"default"})
        assert moderators.actor_for(moderators.authenticate(svc, "root@news.example", "another long password")).sites is None
        with pytest.raises(Unauthenticated):
            moderators.authenticate(svc, "ed@news.example", "a long enough passwor")
    finally:
        svc.db.dispose()
