"""``townhall moderate`` on text the HTTP API refuses (lone surrogates, which JSON's \\ud800 escapes and
undecodable bytes in argv produce), on JSON numbers that are not JSON (NaN, Infinity), and under
``| head -1``. The HTTP API answers such text with a 400 (townhall/service/comments.py ``_comment_text``);
``moderate`` answers each bad line with ``{"line": N, "error": ...}`` and goes on, so must do so here too:
no traceback, no abandoned batch, every output line strict JSON.

Found by an audit (2026-11-28); each test failed before its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOWNHALL = [sys.executable, "-m", "townhall.cli"]


def _strict(line: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")
    return json.loads(line, parse_constant=refuse)


def _moderate(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*TOWNHALL, "moderate", *args], input=stdin, capture_output=True, timeout=120)


@pytest.mark.parametrize("bad", [
    '{"id": 1, "text": "fuck\\udc80"}',       # a lone surrogate in text the encoder re-reads: TypeError traceback
    '{"id": 1, "text": "f\\ud800uck off"}',   # ... in the evidence of a hit: UnicodeEncodeError, batch abandoned
    '{"id": "\\ud800", "text": "hello"}',     # ... in the id
    '{"id": 1, "text": "a\\ud800b"}',         # published here; the HTTP API refuses it (400, not valid Unicode)
], ids=["text-encoder", "text-evidence", "id", "text-published"])
def test_moderate_answers_a_line_with_a_lone_surrogate_and_goes_on(bad: str) -> None:
    done = _moderate(f'{bad}\n{{"id": 2, "text": "hi"}}\n'.encode())
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert done.returncode == 0, err
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == 2, (lines, err)
    first, second = (_strict(line) for line in lines)
    assert first.get("line") == 1 and "error" in first, first
    assert second["id"] == 2 and second["verdict"] == "publish"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_moderate_output_is_strict_json_whatever_the_id(value: str) -> None:
    done = _moderate(f'{{"id": {value}, "text": "hello"}}\n{{"id": 2, "text": "hi"}}\n'.encode())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == 2
    for line in lines:
        _strict(line)  # `{"id": NaN, ...}` is not JSON: jq, JSON.parse and Go's encoding/json refuse it


def test_moderate_text_with_undecodable_bytes_is_one_line_not_a_traceback() -> None:
    done = subprocess.run([*TOWNHALL, "moderate", "--text", b"fuck\xff".decode("utf-8", "surrogateescape")],
                          capture_output=True, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert done.returncode == 1 and len(err.strip().splitlines()) == 1, (done.returncode, err)


def test_moderate_into_head_ends_quietly(tmp_path: Path) -> None:
    """cli.py: "the reader of our output stopped (`townhall … | head -1`): end quietly" (exit 141)."""
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"id": i, "text": f"hello number {i}"}) + "\n" for i in range(3000)))
    script = f"{' '.join(TOWNHALL)} moderate < {many} | head -1; exit ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=120)
    assert done.returncode == 141
    assert done.stderr.decode() == "", done.stderr.decode()
