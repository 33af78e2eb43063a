"""Every number in a policy file is finite and within its documented range (docs/policy.md, "Numbers"), and
a rule's strike is one the service can count: refused at load with ``file:line: key: message``, the way
``townhall policy check`` reports every other mistake. The largest values allowed work end to end through
the HTTP API (a strike that counts for 100 years, a 100-year suspension, a year-long edit window)."""

from __future__ import annotations

from importlib import resources as importlib_resources
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.app import Townhall
from townhall.commands.policy import register
from townhall.policy import PolicyError, load_policy

from tests.fixtures_app import AppFactory, Clock, auth
from tests.policy.stubs import NoModelResources

DEFAULT = importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_text(encoding="utf-8")
T = "/api/v1/threads/numbers/comments"


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def _edit(old: str, new: str) -> str:
    assert DEFAULT.count(old) == 1, old
    return DEFAULT.replace(old, new)


# (line of the default file to change, its new text, the key the message names, what the message says)
BAD_NUMBERS = [
    ("strike_expiry_days = 90", "strike_expiry_days = inf", "enforcement.strike_expiry_days", "must be a finite number, not inf"),
    ("strike_expiry_days = 90", "strike_expiry_days = nan", "enforcement.strike_expiry_days", "must be a finite number, not nan"),
    ("strike_expiry_days = 90", "strike_expiry_days = 1e7", "enforcement.strike_expiry_days",
     "must be greater than 0 and at most 36500 days, not 10000000.0"),
    ("hours = 24", "hours = inf", "enforcement.ladder[2].hours", "must be a finite number, not inf"),
    ("hours = 24", "hours = nan", "enforcement.ladder[2].hours", "must be a finite number, not nan"),
    ("hours = 24", "hours = 1e300", "enforcement.ladder[2].hours", "must be greater than 0 and at most 876000 hours"),
    ("hours = 24", "hours = -inf", "enforcement.ladder[2].hours", "must be a finite number, not -inf"),
    ("strikes = 3", "strikes = 9223372036854775807", "enforcement.ladder[3].strikes", "must be between 1 and 1000"),
    ("edit_window_minutes = 15", "edit_window_minutes = nan", "comments.edit_window_minutes", "must be a finite number, not nan"),
    ("edit_window_minutes = 15", "edit_window_minutes = inf", "comments.edit_window_minutes", "must be a finite number, not inf"),
    ("edit_window_minutes = 15", "edit_window_minutes = 1e12", "comments.edit_window_minutes",
     "must be between 0 and 525600 minutes, not 1000000000000.0"),
    ("threshold = 3", "threshold = 1000001", "reports.threshold", "must be between 1 and 1000, not 1000001"),
    ("new_account_days = 7", "new_account_days = inf", "reports.new_account_days", "must be a finite number, not inf"),
    ("new_account_days = 7", "new_account_days = 1e6", "reports.new_account_days", "must be between 0 and 36500 days"),
    ("new_account_weight = 0.25", "new_account_weight = nan", "reports.new_account_weight", "must be a finite number, not nan"),
    ("min_age_days = 30", "min_age_days = nan", "trust.min_age_days", "must be a finite number, not nan"),
    ("min_published = 20", "min_published = 99999999999", "trust.min_published", "must be between 0 and 1000000"),
    ("clean_days = 90", "clean_days = inf", "trust.clean_days", "must be a finite number, not inf"),
    ("clean_days = 90", "clean_days = 1e9", "trust.clean_days", "must be between 0 and 36500 days"),
    ("ip_window_hours = 72", "ip_window_hours = nan", "evasion.ip_window_hours", "must be a finite number, not nan"),
    ("ip_window_hours = 72", "ip_window_hours = 1e5", "evasion.ip_window_hours", "must be greater than 0 and at most 8760 hours"),
    ("shared_network_accounts = 5", "shared_network_accounts = 10001", "evasion.shared_network_accounts",
     "must be between 3 and 10000, not 10001"),
    ("max_length = 5000", "max_length = 1000001", "comments.max_length", "must be between 1 and 1000000, not 1000001"),
    # TOML integers have no size limit in Python's reader: too large for a float, and still refused by name
    ("max_length = 5000", "max_length = 1" + "0" * 43, "comments.max_length", "must be between 1 and 1000000"),
    ("edit_window_minutes = 15", "edit_window_minutes = 1" + "0" * 400, "comments.edit_window_minutes",
     "must be between 0 and 525600 minutes"),
    ("hold_at = 0.86", "hold_at = nan", "rules[2].hold_at", "must be a finite number, not nan"),
    ("reject_at = 0.9 ", "reject_at = inf ", "rules[2].reject_at", "must be a finite number, not inf"),
]


def _cli() -> click.Group:
    group = click.Group("townhall")
    register(group)
    return group


@pytest.mark.parametrize(("old", "new", "key", "message"), BAD_NUMBERS, ids=[b[1] for b in BAD_NUMBERS])
def test_policy_check_refuses_non_finite_and_out_of_range_numbers(tmp_path: Path, old: str, new: str, key: str,
                                                                  message: str) -> None:
    text = _edit(old, new)
    path = tmp_path / "my.policy.toml"
    path.write_text(text, encoding="utf-8")
    line = _line_of(text, new.strip())
    with pytest.raises(PolicyError) as info:
        load_policy(path, resources=NoModelResources())
    assert (info.value.file, info.value.line) == (str(path), line), str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: {key}: {message}"), str(info.value)
    result = CliRunner().invoke(_cli(), ["policy", "check", str(path)], obj={"resources": NoModelResources()})
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"{path}:{line}: {key}: {message}") and "Traceback" not in result.output


def test_the_largest_numbers_allowed_load(tmp_path: Path) -> None:
    text = (_edit("strike_expiry_days = 90", "strike_expiry_days = 36500")
            .replace("hours = 24", "hours = 876000", 1)
            .replace("edit_window_minutes = 15", "edit_window_minutes = 525600")
            .replace("ip_window_hours = 72", "ip_window_hours = 8760")
            .replace("clean_days = 90", "clean_days = 36500"))
    path = tmp_path / "max.policy.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_policy(path, resources=NoModelResources()).settings
    assert settings.enforcement.strike_expiry_days == 36500 and settings.enforcement.ladder[1].hours == 876000
    assert settings.comments.edit_window_minutes == 525600 and settings.evasion.ip_window_hours == 8760


WORD_RULE = '''
[[rules]]
name = "badword"
type = "wordlist"
description = "No badword here."
action = "{action}"
strike = true
words = ["badword"]
'''


def _with_word_rule(action: str, edit: str = "") -> str:
    text = DEFAULT + WORD_RULE.format(action=action)
    for pair in filter(None, edit.split("|")):
        old, new = pair.split("=>")
        text = text.replace(old, new, 1)
    return text


def test_a_flag_rule_cannot_promise_a_strike(tmp_path: Path) -> None:
    """A flagged comment is published and nothing counts a strike for it: the loader says so instead of
    `policy check` describing the rule as "Counts as a strike" (docs/policy.md: strikes come from refusals and
    from a moderator's rejection of a held comment)."""
    path = tmp_path / "flag.policy.toml"
    text = _with_word_rule("flag")
    path.write_text(text, encoding="utf-8")
    line = len(text.splitlines()) - 1  # the new rule's `strike = true`, just above its `words`
    expected = f'{path}:{line}: rules[5].strike: cannot be true for action = "flag"'
    with pytest.raises(PolicyError) as info:
        load_policy(path, resources=NoModelResources())
    assert str(info.value).startswith(expected), str(info.value)
    result = CliRunner().invoke(_cli(), ["policy", "check", str(path)], obj={"resources": NoModelResources()})
    assert result.exit_code == 1 and result.stderr.startswith(expected) and "Counts as a strike" not in result.output
    for action in ("hold", "reject"):  # the combinations that do strike still load
        path.write_text(_with_word_rule(action), encoding="utf-8")
        assert load_policy(path, resources=NoModelResources()).rule("badword").strike  # type: ignore[attr-defined]
    path.write_text(_with_word_rule("flag").replace("strike = true\nwords", "strike = false\nwords"), encoding="utf-8")
    assert load_policy(path, resources=NoModelResources()).rule("badword").action.value == "flag"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["premoderation", "new_account"])
def test_a_rule_cannot_take_the_name_of_a_built_in_hold(tmp_path: Path, name: str) -> None:
    path = tmp_path / "names.policy.toml"
    path.write_text(_with_word_rule("reject").replace('name = "badword"', f'name = "{name}"'), encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"rules\[5\]\.name: duplicate rule name '{name}' \(the name of a built-in check\)"):
        load_policy(path, resources=NoModelResources())


def _app(make_app: AppFactory, db_url: str, tmp_path: Path, text: str) -> Townhall:
    path = tmp_path / "runtime.policy.toml"
    path.write_text(text, encoding="utf-8")
    return make_app(db_url, policy=str(path))


def test_the_largest_durations_work_through_the_api(make_app: AppFactory, db_url: str, tmp_path: Path,
                                                    clock: Clock) -> None:
    """A strike that counts for 100 years and a 100-year suspension are stored and enforced (no 500); an
    edit window of a year lets a reader edit a month later."""
    text = _with_word_rule("reject", "strike_expiry_days = 90=>strike_expiry_days = 36500|hours = 24=>hours = 876000"
                                     "|edit_window_minutes = 15=>edit_window_minutes = 525600")
    app = _app(make_app, db_url, tmp_path, text)
    with TestClient(app, raise_server_exceptions=False) as client:
        reader = auth("long-memory")
        first = client.post(T, json={"text": "badword once"}, headers=reader)
        assert first.status_code == 422 and first.json()["error"]["code"] == "rejected_by_house_rules", first.text
        clock.advance(days=3650)  # ten years on, the strike still counts
        second = client.post(T, json={"text": "badword twice"}, headers=reader)
        assert second.status_code == 422, second.text
        me = client.get("/api/v1/me", headers=reader).json()
        assert me["active_strikes"] == 2 and me["state"] == "suspended", me
        clock.advance(days=3650)
        refused = client.post(T, json={"text": "A calm comment."}, headers=reader)
        assert refused.status_code == 403 and refused.json()["error"]["details"]["sanction"] == "suspend", refused.text

        writer = auth("slow-editor")
        posted = client.post(T, json={"text": "A first draft."}, headers=writer)
        assert posted.status_code == 201, posted.text
        clock.advance(days=30)
        edited = client.patch(f"/api/v1/comments/{posted.json()['comment']['id']}", json={"text": "A second draft."},
                              headers=writer)
        assert edited.status_code == 200, edited.text
        site = client.get("/api/v1/site")
        assert site.status_code == 200 and site.json()["edit_window_minutes"] == 525600, site.text
