"""``townhall policy check`` and ``townhall moderate``, run through click's CliRunner and a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources as importlib_resources
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from townhall.cli import COMMAND_MODULES
from townhall.commands.policy import register

from tests.policy.stubs import NoModelResources
from tests.policy.test_policyfile import MINIMAL

DEFAULT_FILE = Path(str(importlib_resources.files("townhall.policy").joinpath("default.policy.toml")))


@pytest.fixture()
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path


def _cli() -> click.Group:
    """The townhall group with only this area's commands (other areas' modules may be mid-edit)."""
    group = click.Group("townhall")
    register(group)
    return group


def _run(args: list[str], stdin: str | None = None, **obj: object) -> Result:
    return CliRunner().invoke(_cli(), args, input=stdin, obj=dict(obj) or None)


def test_commands_are_registered_with_the_townhall_cli() -> None:
    assert "policy" in COMMAND_MODULES
    assert set(_cli().commands) == {"policy", "moderate"}


def test_moderate_with_the_default_policy_reports_classifier_scores() -> None:
    """End to end with the shipped model (no substitution): f_word plus the classifiers' own scores."""
    result = _run(["moderate", "--text", "Thanks for the article, f*ck yeah."])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["scores"]) == {"f_word", "abusive", "obscene"}
    assert out["scores"]["f_word"] == 1 and out["verdict"] == "reject"
    assert all(0 <= out["scores"][k] <= 1 for k in ("abusive", "obscene"))
    assert out["hits"][0]["evidence"] == "f*ck"


def test_check_round_trips_the_default_policy() -> None:
    result = _run(["policy", "check", str(DEFAULT_FILE)], resources=NoModelResources())
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"OK {DEFAULT_FILE} (version ")
    for name in ("f_word", "abusive", "obscene", "paid_troll", "enforcement", "trust"):
        assert f"• {name}" in out
    assert "except the F word" in out


def test_check_reports_file_line_message_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text(MINIMAL.replace('action = "reject"', 'action = "nuke"'), encoding="utf-8")
    result = _run(["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert result.stderr == f"{bad}:9: rules[1].action: must be one of reject, hold, flag\n"
    assert "Traceback" not in result.output


def test_moderate_jsonl_keeps_order_and_reports_malformed_lines(policy_file: Path, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "A fine comment."}),
        "{not json",
        json.dumps({"id": 7, "text": "what the f*ck"}),
        "",
        json.dumps({"id": "c"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "d", "text": "Vote now", "coordination_score": 0.95, "coordination_cluster": "k3"}),
        json.dumps({"id": "e", "text": "Fukushima"}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(["moderate", "--policy", str(policy_file), str(src)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id", o.get("line")) for o in out] == ["a", 2, 7, 5, 6, "d", "e"]
    assert out[0] == {"id": "a", "verdict": "publish", "scores": {"f_word": 0}, "hits": []}
    assert out[1]["error"].startswith("not JSON")
    assert out[2]["verdict"] == "reject" and out[2]["scores"]["f_word"] == 1
    assert out[2]["hits"] == [{"rule": "f_word", "action": "reject", "description": "No F word.", "span": [9, 13],
                               "evidence": "f*ck"}]
    assert out[3] == {"line": 5, "error": 'missing "text"'}
    assert out[4] == {"line": 6, "error": "expected a JSON object, got list"}
    assert out[5]["verdict"] == "hold" and out[5]["scores"] == {"f_word": 0, "paid_troll": 0.95}
    assert out[6]["verdict"] == "publish"
    assert result.stderr.splitlines() == [f"{src}:2: not JSON: Expecting property name enclosed in double quotes "
                                          "(column 2)", f'{src}:5: missing "text"',
                                          f"{src}:6: expected a JSON object, got list"]
    assert "abusive" not in result.stdout  # no classifier rules in this policy: no such scores


def test_moderate_reads_stdin_and_text(policy_file: Path) -> None:
    result = _run(["moderate", "--policy", str(policy_file), "-"], stdin='{"id": 1, "text": "fuuuuck"}\n')
    assert json.loads(result.stdout)["verdict"] == "reject"
    one = _run(["moderate", "--policy", str(policy_file), "--text", "f u c k you"])
    assert one.exit_code == 0
    assert json.loads(one.stdout)["hits"][0]["evidence"] == "f u c k"


def test_moderate_bad_policy_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[policy\n", encoding="utf-8")
    result = _run(["moderate", "--policy", str(bad), "--text", "hi"])
    assert result.exit_code == 1 and result.stderr.startswith(f"{bad}:1: TOML syntax:")


@pytest.mark.timeout(60)
def test_moderate_streams_in_a_real_process(policy_file: Path) -> None:
    """A subprocess fed line by line answers each line before the input ends (constant memory, streaming)."""
    script = ("import click, sys; from townhall.commands.policy import register; g = click.Group(); register(g); "
              "g(sys.argv[1:])")
    proc = subprocess.Popen([sys.executable, "-c", script, "moderate", "--policy", str(policy_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1, env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"})
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps({"id": 1, "text": "fuck"}) + "\n")
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        assert first["id"] == 1 and first["verdict"] == "reject"
        proc.stdin.write(json.dumps({"id": 2, "text": "fine"}) + "\n")
        proc.stdin.close()
        rest = [json.loads(line) for line in proc.stdout]
        assert [r["id"] for r in rest] == [2]
    finally:
        proc.stdin.close() if not proc.stdin.closed else None
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""
