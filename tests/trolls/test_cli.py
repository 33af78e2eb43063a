from __future__ import annotations

import io
import json
import random

from click.testing import CliRunner

from tests.trolls.helpers import T0, comment, sentence
from townhall.cli import build_cli
from townhall.service.trolls_batch import run_batch
from townhall.trolls.events import comment_to_dict


def _lines() -> list[str]:
    rng = random.Random(4)
    events = [comment(100000 + i, f"reader{rng.randrange(200)}", f"story-{rng.randrange(60)}", rng.uniform(0, 3000),
                      sentence(rng), ip=f"ip-{rng.randrange(150)}", device=f"dev-{i}") for i in range(2500)]
    paid = [f"paid{i}" for i in range(6)]
    for op in range(10):
        point = sentence(rng)
        for k, m in enumerate(paid):
            events.append(comment(op * 10 + k, m, f"quiet-{op}", op * 300 + k * 2, point, device="dev-farm",
                                  account_created_at=T0))
    events.sort(key=lambda e: e.created_at)
    return [json.dumps(comment_to_dict(e)) for e in events]


def test_cli_writes_one_line_per_account_and_reports_bad_lines() -> None:
    lines = _lines()
    lines.insert(3, "{not json")
    lines.insert(10, json.dumps({"id": "x", "account": "a", "thread": "t", "created_at": "yesterday", "text": "hi"}))
    result = CliRunner().invoke(build_cli(), ["trolls", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert "line 4: not JSON" in result.stderr
    assert "line 11: created_at is not ISO 8601" in result.stderr
    accounts = {o["account"]: o for o in out}
    assert len(accounts) == len(out)
    assert {a for a, o in accounts.items() if o["flagged"]} == {f"paid{i}" for i in range(6)}
    paid = accounts["paid0"]
    assert paid["score"] >= 0.8 and paid["cluster"]
    assert {e["signal"] for e in paid["evidence"]} >= {"text_reuse", "shared_device"}
    assert all(set(o) == {"account", "score", "flagged", "cluster", "evidence"} for o in out)
    assert all(0.0 <= o["score"] <= 1.0 for o in out)


def test_threshold_option_and_batch_use_case() -> None:
    lines = _lines()
    sink = io.StringIO()
    summary = run_batch(io.StringIO("\n".join(lines)), sink, threshold=0.999)
    assert summary.flagged == 0 and summary.accounts == len(sink.getvalue().splitlines())
    result = CliRunner().invoke(build_cli(), ["trolls", "-", "--threshold", "1.5"], input="")
    assert result.exit_code != 0


def test_bad_input_is_reported_line_by_line_never_as_a_traceback() -> None:
    """Whatever a line holds, the command reports it and goes on: JSON nested beyond Python's recursion limit,
    a byte order mark before the first line, times beyond what the detector can compare, a comment id used
    twice, and lone surrogates (valid JSON, not writable as UTF-8) in a text that ends up in the evidence."""
    lines = _lines()
    paid = [json.loads(line) for line in lines if json.loads(line)["account"].startswith("paid")]
    for record in paid:
        record["text"] += " \ud800 and more"
    lines = [line for line in lines if not json.loads(line)["account"].startswith("paid")] + [json.dumps(r) for r in paid]
    base = {"account": "odd", "thread": "t", "text": "some words"}
    bad = [
        "[" * 100_000,
        json.dumps({**base, "id": "far-past", "created_at": "0001-01-01T00:00:00+14:00"}),
        json.dumps({**base, "id": "far-future", "created_at": "9999-12-31T23:59:59-14:00"}),
        json.dumps({**base, "id": json.loads(lines[0])["id"], "created_at": paid[0]["created_at"]}),
    ]
    text = "\ufeff" + "\n".join(lines[:1] + bad + lines[1:]) + "\n"
    result = CliRunner().invoke(build_cli(), ["trolls", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.stderr and result.exception is None
    assert "line 2: not JSON (nested too deeply)" in result.stderr
    assert "line 3: created_at is out of range (1970 to 2099)" in result.stderr
    assert "line 4: created_at is out of range (1970 to 2099)" in result.stderr
    assert f"line 5: comment id '{json.loads(lines[0])['id']}' was already used on line 1" in result.stderr
    assert "line 1:" not in result.stderr  # the byte order mark is not part of the first record
    out = {o["account"]: o for o in map(json.loads, result.stdout.splitlines())}
    assert "odd" not in out
    assert {a for a, o in out.items() if o["flagged"]} == {f"paid{i}" for i in range(6)}
    shown = [c["text"] for e in out["paid0"]["evidence"] if e["signal"] == "text_reuse" for d in e["details"] for c in d["comments"]]
    assert shown and all("? and more" in t for t in shown)


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`townhall trolls events.jsonl | head -1`: no traceback and no "Error: BrokenPipeError" when the pipe closes."""
    import subprocess
    import sys

    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    cmd = f"{sys.executable} -m townhall.cli trolls {events} | head -n 1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=300)
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["account"]
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
