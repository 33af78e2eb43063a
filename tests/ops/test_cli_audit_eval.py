"""``townhall eval`` given a policy file that ``townhall policy check`` refuses, or a JSON Lines file whose text
holds a lone surrogate (a \\ud800 escape): one line naming the fault, exit 1, before any table is printed;
never a traceback.

Found by an audit (2026-11-28); each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from townhall.cli import build_cli
from townhall.commands.classifiers import DEFAULT_POLICY

ROWS = [("You are a pathetic idiot and a liar.", 1), ("Thanks, a very useful article.", 0),
        ("What a stupid moron you are.", 1), ("I disagree with the council's budget.", 0)]


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "rows; thresholds from" not in result.output, "a half-printed table: " + result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("old,new,says", [
    ("hold_at = 0.86", 'hold_at = "0.86"', "hold_at: must be a number"),
    ('label = "abusive"', 'label = "spam"', "unknown label 'spam'"),
    ("hold_at = 0.86", "hold_at = 1.5", "hold_at: must be between 0 and 1"),
], ids=["string-threshold", "unknown-label", "threshold-above-1"])
def test_eval_refuses_a_policy_that_policy_check_refuses(tmp_path: Path, old: str, new: str, says: str) -> None:
    policy = tmp_path / "p.toml"
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert old in text
    policy.write_text(text.replace(old, new, 1), encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("text,y\n" + "".join(f'"{t}",{y}\n' for t, y in ROWS), encoding="utf-8")
    check = CliRunner().invoke(build_cli(), ["policy", "check", str(policy)])
    assert check.exit_code == 1 and says in check.output  # the policy is wrong, and policy check says so
    line = _one_line_error(CliRunner().invoke(build_cli(), ["eval", str(data), "--label-column", "y",
                                                            "--policy", str(policy)]))
    assert says in line, line


def test_eval_names_the_line_whose_text_holds_a_lone_surrogate(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    rows = [{"text": t, "y": y} for t, y in ROWS]
    rows[2]["text"] = "You stupid moron \ud800 idiot"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")  # json.dumps writes \ud800
    line = _one_line_error(CliRunner().invoke(build_cli(), ["eval", str(data), "--label-column", "y"]))
    assert "line 3" in line, line


@pytest.mark.parametrize("specs", [("y", "z"), ("abusive=y", "abusive=z")], ids=["two-columns", "one-rule-twice"])
def test_eval_refuses_a_label_column_it_would_ignore(tmp_path: Path, specs: tuple[str, str]) -> None:
    """`--label-column y --label-column z` measured z alone, and `abusive=y abusive=z` abusive against z alone:
    the first column was accepted and dropped without a word, and the table names no column."""
    data = tmp_path / "d.csv"
    data.write_text("text,y,z\n" + "".join(f'"{t}",{y},{1 - y}\n' for t, y in ROWS), encoding="utf-8")
    args = ["eval", str(data)]
    for spec in specs:
        args += ["--label-column", spec]
    line = _one_line_error(CliRunner().invoke(build_cli(), args))
    assert "'y'" in line and "'z'" in line, line
