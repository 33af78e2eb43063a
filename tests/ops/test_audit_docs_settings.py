"""What a check of the documentation against the code found the code doing otherwise than it says.

README.md (Configuration): a setting's wrong value "stops the command with one line naming the setting", and
`TOWNHALL_LOG_LEVEL` is "debug, info, warning or error". A level the logging module does not know (`verbose`,
uvicorn's `trace`) was taken by every command and stopped `townhall serve` with "Error: ValueError: Unknown
level: 'VERBOSE'", naming no setting. docs/policy.md: a rule's `name` is lower-case letters, digits and `_`,
"at most 64"; a longer name of such letters was refused as if its letters were wrong."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.policy import PolicyError
from townhall.policy.policyfile import parse_policy
from townhall.settings import Settings, SettingsError
from townhall.web.factory import configure_logging
from tests.fixtures_app import free_port
from tests.ops.conftest import POLICY

TOWNHALL = str(Path(sys.executable).parent / "townhall")
DEFAULT_POLICY = Path(__file__).resolve().parent.parent.parent / "townhall" / "policy" / "default.policy.toml"


@pytest.mark.parametrize("level", ["verbose", "trace", "informational", "5"])
def test_a_log_level_the_server_cannot_use_is_refused_naming_the_setting(level: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(environ={"TOWNHALL_LOG_LEVEL": level})
    message = str(caught.value)
    assert message.startswith("TOWNHALL_LOG_LEVEL: log_level must be one of debug, info, warning, error"), message
    assert repr(level) in message, message


def test_a_log_level_in_a_config_file_is_checked_too(tmp_path: Path) -> None:
    config = tmp_path / "townhall.toml"
    config.write_text('log_level = "verbose"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"townhall\.toml: log_level must be one of"):
        Settings.load(config_file=config, environ={})


@pytest.mark.parametrize(("given", "kept"), [("debug", "debug"), ("INFO", "info"), (" Warning ", "warning"),
                                             ("error", "error"), ("critical", "critical")])
def test_every_documented_log_level_is_taken_and_works(given: str, kept: str) -> None:
    settings = Settings.load(environ={"TOWNHALL_LOG_LEVEL": given})
    assert settings.log_level == kept
    configure_logging(settings.log_level)  # what `townhall serve` does with it: raises for a level it cannot use
    assert logging.getLogger("townhall").level == logging.getLevelName(kept.upper())
    configure_logging("info")


def test_any_command_names_a_wrong_log_level_in_one_line(tmp_path: Path) -> None:
    done = CliRunner(env={"TOWNHALL_POLICY": POLICY, "TOWNHALL_LOG_LEVEL": "verbose"}).invoke(
        build_cli(), ["migrate", "--db", f"sqlite:///{tmp_path / 'townhall.db'}"])
    assert done.exit_code == 1, done.output
    assert " ".join(done.output.split()).startswith("Error: TOWNHALL_LOG_LEVEL: log_level must be one of"), done.output
    assert not (tmp_path / "townhall.db").exists()  # stopped before it touched anything


def test_serve_stops_with_the_setting_named_not_a_value_error(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOWNHALL_POLICY": POLICY, "TOWNHALL_LOG_LEVEL": "trace",
           "COLUMNS": "400", **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}  # a worktree's code
    done = subprocess.run([TOWNHALL, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "ValueError" not in done.stderr, done.stderr
    assert "TOWNHALL_LOG_LEVEL: log_level must be one of" in done.stderr, done.stderr


def _policy_with_rule_name(name: str) -> bytes:
    return DEFAULT_POLICY.read_text(encoding="utf-8").replace('name = "f_word"', f'name = "{name}"', 1).encode()


def test_a_rule_name_over_64_characters_is_refused_for_its_length() -> None:
    parse_policy(_policy_with_rule_name("a" * 64), "my.policy.toml")  # at most 64: taken
    with pytest.raises(PolicyError) as caught:
        parse_policy(_policy_with_rule_name("a" * 65), "my.policy.toml")
    assert "64" in str(caught.value), str(caught.value)
    assert "65" in str(caught.value), str(caught.value)  # how long it is


def test_a_rule_name_with_other_characters_is_still_refused_for_them() -> None:
    with pytest.raises(PolicyError, match=r"rules\[1\]\.name: must be lower-case letters, digits and _"):
        parse_policy(_policy_with_rule_name("F-word"), "my.policy.toml")
