"""Operations audit, start-up: a settings file that is not UTF-8 text and a database path that is a folder are told
in one line naming the file, with exit status 1 and no traceback, by `townhall serve` and `townhall migrate`; nothing
is created at the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from tests.ops.conftest import POLICY

COMMANDS = [["serve", "--port", "1"], ["migrate"], ["doctor"]]


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output, output
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_a_settings_file_that_is_not_utf8_is_named_in_the_error(tmp_path: Path, args: list[str]) -> None:
    config = tmp_path / "townhall.toml"
    config.write_bytes('site_name = "Caf\xe9"\n'.encode("latin-1"))  # saved by an editor in Latin-1
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), [*args, "--config", str(config),
                                                                           "--db", f"sqlite:///{tmp_path / 'th.db'}"])
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (done.output, done.exception)
    text = _one_line(done.output)
    assert str(config) in "".join(text.split()) and "UTF-8" in text, text
    assert not (tmp_path / "th.db").exists()


@pytest.mark.parametrize("args", COMMANDS[:2], ids=lambda a: a[0])
def test_a_database_path_that_is_a_folder_is_said_to_be_one(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "townhall.db"
    folder.mkdir()
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY}).invoke(build_cli(), [*args, "--db", f"sqlite:///{folder}"])
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit), (done.output, done.exception)
    text = _one_line(done.output)
    # (serve's message is printed by rich, which wraps a long path where the terminal's width ends)
    assert str(folder) in "".join(text.split()) and "folder" in text, text
    assert list(folder.iterdir()) == []
