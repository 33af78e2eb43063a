"""Settings are data: each has a name, a default and a help line, is documented in the README, and can
come from a TOML file or a TOWNHALL_<NAME> environment variable."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from townhall.settings import SPECS, Settings, SettingsError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_specs_and_dataclass_agree() -> None:
    assert [s.name for s in SPECS] == [f.name for f in fields(Settings)]
    for spec, field in zip(SPECS, fields(Settings)):
        assert spec.default == field.default, spec.name
        assert spec.help.strip(), spec.name


def test_every_setting_is_documented_in_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [s.name for s in SPECS if f"TOWNHALL_{s.name.upper()}" not in text]
    assert not missing, f"settings missing from README.md: {missing}"


def test_sources_in_priority_order(tmp_path: Path) -> None:
    cfg = tmp_path / "townhall.toml"
    cfg.write_text('database_url = "sqlite:///from-file.db"\nallow_guests = true\nrate_limit_per_minute = 5\n')
    env = {"TOWNHALL_RATE_LIMIT_PER_MINUTE": "7", "TOWNHALL_SSO_SECRET": "s3cret"}
    s = Settings.load(cfg, environ=env, policy="/x.toml")
    assert s.database_url == "sqlite:///from-file.db" and s.allow_guests is True
    assert s.rate_limit_per_minute == 7 and s.sso_secret == "s3cret" and s.policy == "/x.toml"


@pytest.mark.parametrize("env", [{"TOWNHALL_ALLOW_GUESTS": "maybe"}, {"TOWNHALL_MAX_BODY_BYTES": "lots"}])
def test_bad_values_are_clear(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="TOWNHALL_"):
        Settings.load(environ=env)


def test_unknown_key_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        Settings.load(cfg, environ={})


def test_secret_generated_and_persisted(make_app, sqlite_url: str) -> None:
    first = make_app(sqlite_url, secret="").services.secret
    second = make_app(sqlite_url, secret="").services.secret
    assert first and first == second


def test_an_empty_guest_setting_is_unset() -> None:
    """TOWNHALL_ALLOW_GUESTS= (a compose file's ${VAR} left empty) leaves the site's setting alone, like no
    variable at all; a value sets it."""
    assert Settings.load(environ={"TOWNHALL_ALLOW_GUESTS": ""}).allow_guests is None
    assert Settings.load(environ={"TOWNHALL_ALLOW_GUESTS": "  "}).allow_guests is None
    assert Settings.load(environ={}).allow_guests is None
    assert Settings.load(environ={"TOWNHALL_ALLOW_GUESTS": "false"}).allow_guests is False
    assert Settings.load(environ={"TOWNHALL_ALLOW_GUESTS": "yes"}).allow_guests is True


@pytest.mark.parametrize(("name", "value", "why"), [
    ("ip_salt_rotation_days", "nan", "must be a finite number"),  # every post answered 500 (int(x // nan))
    ("session_hours", "inf", "must be a finite number"),
    ("signal_retention_days", "-1", "must be more than 0"),  # the daily purge would forget every signal at once
    ("signal_retention_days", "0", "must be more than 0"),
    ("body_timeout_seconds", "-1", "must be at least 0"),
    ("max_body_bytes", "0", "must be at least 1"),
    ("rate_limit_per_minute", "-5", "must be at least 0"),
    ("live_streams_per_client", "-1", "must be at least 0"),
    ("worker_threads", "-3", "must be at least 0"),
    ("page_cache_seconds", "-1", "must be at least 0"),
    ("troll_interval_seconds", "-inf", "must be a finite number"),
    ("sso_token_max_age_days", "-30", "must be at least 0"),
])
def test_numbers_out_of_range_are_refused(tmp_path: Path, name: str, value: str, why: str) -> None:
    variable = f"TOWNHALL_{name.upper()}"
    with pytest.raises(SettingsError, match=f"^{variable}: {name} {why}, not '{value}'$"):
        Settings.load(environ={variable: value})
    cfg = tmp_path / "townhall.toml"
    cfg.write_text(f"{name} = {value}\n")
    with pytest.raises(SettingsError, match=f"{name} {why}"):
        Settings.load(cfg, environ={})


@pytest.mark.parametrize(("name", "value"), [
    ("rate_limit_per_minute", "0"), ("troll_interval_seconds", "0"), ("page_cache_seconds", "0"),
    ("live_streams_per_client", "0"), ("worker_threads", "0"), ("edit_window_minutes", "-1"),
    ("classifier_route_at", "-1"), ("signal_retention_days", "0.5"), ("sso_token_max_age_days", "0"),
    ("body_timeout_seconds", "0"),
])
def test_the_documented_edge_values_are_kept(name: str, value: str) -> None:
    """0 disables or means "the default" for several settings, and a negative number means "the policy's" or
    "the model's" for two: those stay allowed."""
    assert getattr(Settings.load(environ={f"TOWNHALL_{name.upper()}": value}), name) == float(value)
