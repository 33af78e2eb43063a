"""``townhall eval``, ``townhall moderate`` and ``townhall train``'s arguments on a newsroom's messy files: one
line that says what is wrong (with the line number where there is one) and exit status 1 or 2, never a
traceback, a half-printed table or figures computed from misread labels or text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from townhall.cli import build_cli

ROWS = [("You are a pathetic idiot and a liar.", 1), ("Thanks, a very useful article.", 0),
        ("What a stupid moron you are.", 1), ("I disagree with the council's budget.", 0)]
BODY = "".join(f'"{t}",{y}\n' for t, y in ROWS)


def _eval(path: Path, *extra: str) -> Result:
    return CliRunner().invoke(build_cli(), ["eval", str(path), "--label-column", "y", *extra])


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    [line] = [ln for ln in result.output.splitlines() if ln.strip()]  # no half-printed table before it
    assert line.startswith("Error: "), line
    return line


def _table(result: Result) -> dict[str, list[str]]:
    assert result.exit_code == 0, result.output
    return {ln.split()[0]: ln.split() for ln in result.output.splitlines()
            if ln.startswith(("abusive", "obscene"))}


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# --- townhall eval: reading the file ---------------------------------------------------------------------

def test_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    line = _one_line_error(_eval(_write(tmp_path, "empty.csv", "")))
    assert "empty" in line and "no column" not in line, line


def test_a_header_without_rows_says_there_are_no_rows(tmp_path: Path) -> None:
    line = _one_line_error(_eval(_write(tmp_path, "header.csv", "text,y\n")))
    assert "no rows" in line, line


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    plain = _table(_eval(_write(tmp_path, "plain.csv", "text,y\n" + BODY)))
    assert _table(_eval(_write(tmp_path, "bom.csv", "\ufefftext,y\n" + BODY))) == plain


def test_a_jsonl_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"text": t, "y": y}) + "\n" for t, y in ROWS)
    assert _table(_eval(_write(tmp_path, "bom.jsonl", "\ufeff" + lines)))["abusive"][3] == "1.000"


def test_latin1_bytes_name_the_line_and_the_encoding(tmp_path: Path) -> None:
    data = ("text,y\n" + BODY + '"Caf\xe9 cr\xe8me",0\n').encode("latin-1")
    line = _one_line_error(_eval(_write(tmp_path, "latin1.csv", data)))
    assert "line 6" in line and "UTF-8" in line, line


def test_crlf_and_quoted_newlines_are_read(tmp_path: Path) -> None:
    plain = _table(_eval(_write(tmp_path, "plain.csv", "text,y\n" + BODY)))
    assert _table(_eval(_write(tmp_path, "crlf.csv", ("text,y\n" + BODY).replace("\n", "\r\n")))) == plain
    multi = _eval(_write(tmp_path, "multi.csv", 'text,y\n"one line\r\nand another",0\n' + BODY))
    assert multi.exit_code == 0 and "5 rows" in multi.output, multi.output


def test_a_missing_label_column_lists_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "cols.csv", "text,is_abusive\n" + BODY)
    line = _one_line_error(_eval(path))
    assert "'y'" in line and "text" in line and "is_abusive" in line, line
    semicolons = _write(tmp_path, "semi.csv", "text;y\n" + "".join(f'"{t}";{y}\n' for t, y in ROWS))
    line = _one_line_error(_eval(semicolons))
    assert "text;y" in line, line  # the one column there is shows the delimiter is wrong


def test_a_duplicated_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "dup.csv", "text,y,y\n" + "".join(f'"{t}",{y},0\n' for t, y in ROWS))
    line = _one_line_error(_eval(path))
    assert "'y'" in line and "twice" in line, line


def test_a_csv_row_with_too_few_fields_names_its_line(tmp_path: Path) -> None:
    line = _one_line_error(_eval(_write(tmp_path, "short.csv", "text,y\n" + BODY + '"only text"\n')))
    assert "line 6" in line, line


# --- townhall eval: labels -------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [("1", "0"), ("yes", "no"), ("True", "False"), ("1.0", "0.0")])
def test_label_spellings_that_mean_0_and_1_are_read(tmp_path: Path, spelling: tuple[str, str]) -> None:
    body = "".join(f'"{t}",{spelling[0] if y else spelling[1]}\n' for t, y in ROWS)
    assert _table(_eval(_write(tmp_path, "l.csv", "text,y\n" + body)))["abusive"][2] == "2"


@pytest.mark.parametrize("bad", ["toxic", "0.7", "", "2", "-1", "nan"])
def test_a_label_that_is_not_0_or_1_is_refused_with_its_line(tmp_path: Path, bad: str) -> None:
    body = "".join(f'"{t}",{bad if i == 2 else y}\n' for i, (t, y) in enumerate(ROWS))
    line = _one_line_error(_eval(_write(tmp_path, "l.csv", "text,y\n" + body)))
    assert "line 4" in line and "'y'" in line, line


def test_a_null_or_missing_jsonl_label_is_refused_with_its_line(tmp_path: Path) -> None:
    null = "".join(json.dumps({"text": t, "y": y or None}) + "\n" for t, y in ROWS)
    assert "line 2" in _one_line_error(_eval(_write(tmp_path, "null.jsonl", null)))
    missing = "".join(json.dumps({"text": t, "y": y} if y else {"text": t}) + "\n" for t, y in ROWS)
    assert "line 2" in _one_line_error(_eval(_write(tmp_path, "missing.jsonl", missing)))


def test_one_class_only_says_auc_is_undefined(tmp_path: Path) -> None:
    result = _eval(_write(tmp_path, "ones.csv", "text,y\n" + "".join(f'"{t}",1\n' for t, _ in ROWS)))
    assert result.exit_code == 0, result.output
    assert "nan" not in result.output.lower()
    assert "AUC is undefined" in result.output, result.output


def test_an_unknown_rule_in_rule_equals_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "l.csv", "text,y\n" + BODY)
    result = CliRunner().invoke(build_cli(), ["eval", str(path), "--label-column", "abusve=y"])
    line = _one_line_error(result)
    assert "abusve" in line and "abusive" in line, line


# --- townhall eval: JSON Lines ---------------------------------------------------------------------------

def test_a_bad_jsonl_line_in_the_middle_names_its_line(tmp_path: Path) -> None:
    data = json.dumps({"text": "a", "y": 1}) + "\n\n{oops\n" + json.dumps({"text": "b", "y": 0}) + "\n"
    line = _one_line_error(_eval(_write(tmp_path, "bad.jsonl", data)))
    assert "line 3" in line, line
    data = json.dumps({"text": "a", "y": 1}) + "\n[1, 2]\n"
    assert "line 2" in _one_line_error(_eval(_write(tmp_path, "list.jsonl", data)))


def test_a_null_or_missing_text_names_its_line(tmp_path: Path) -> None:
    null = json.dumps({"text": "a", "y": 1}) + "\n" + json.dumps({"text": None, "y": 0}) + "\n"
    line = _one_line_error(_eval(_write(tmp_path, "null.jsonl", null)))
    assert "line 2" in line and "'text'" in line, line
    missing = json.dumps({"text": "a", "y": 1}) + "\n" + json.dumps({"y": 0}) + "\n"
    line = _one_line_error(_eval(_write(tmp_path, "missing.jsonl", missing)))
    assert "line 2" in line and "'text'" in line, line


# --- townhall moderate -----------------------------------------------------------------------------------

def test_moderate_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.jsonl", "\ufeff" + json.dumps({"id": 7, "text": "Thanks for the article."}) + "\n")
    result = CliRunner().invoke(build_cli(), ["moderate", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["id"] == 7, result.output


def test_moderate_reads_stdin_with_a_byte_order_mark_and_latin1_bytes() -> None:
    """Standard input is read as the file is: UTF-8 with or without a BOM, undecodable bytes replaced (even where
    the interpreter's own standard input would be strict)."""
    data = ("\ufeff" + json.dumps({"id": 1, "text": "Thanks."}) + "\n").encode() + b'{"id": 2, "text": "caf\xe9"}\n'
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    proc = subprocess.run([sys.executable, "-m", "townhall.cli", "moderate", "-"], input=data, capture_output=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    assert [json.loads(ln)["id"] for ln in proc.stdout.decode().splitlines()] == [1, 2], proc.stdout


# --- townhall train: arguments (no training is run) ------------------------------------------------------

@pytest.mark.parametrize("limit", ["0", "-3"])
def test_train_refuses_a_limit_below_one(tmp_path: Path, limit: str) -> None:
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"),
                                              "--limit", limit])
    assert result.exit_code == 2, result.output
    assert "--limit" in result.output


def test_train_names_the_data_sets_a_wrong_data_folder_lacks(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    line = _one_line_error(result)
    assert "civil_comments_spans" in line and "FileNotFoundError" not in line, line


def test_train_checks_the_encoder_folder_before_training(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("civil_comments_spans", "jigsaw2018_sample", "wiki_toxicity_in_context", "davidson2017", "olid",
                 "tweeteval_offensive", "tweeteval_hate", "stormfront"):
        (data / name).mkdir(parents=True)
    (tmp_path / "enc").mkdir()
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(data), "--out", str(tmp_path / "o"),
                                              "--encoder", str(tmp_path / "enc")])
    line = _one_line_error(result)
    assert "model.onnx" in line, line


def test_eval_reads_a_file_in_batches_with_the_figures_of_one_pass(tmp_path: Path) -> None:
    """A file longer than two batches (and one more row, a batch of one) is scored a batch at a time, not held
    whole; its figures are those of scoring every text at once. (The linear stage alone: the encoder would take
    a minute over these, and the batches are cut before the model is called.)"""
    from sklearn.metrics import roc_auc_score

    from townhall.commands.classifiers import EVAL_BATCH
    from townhall.policy.classifiers import load_model

    texts, labels = [], []
    for i in range(2 * EVAL_BATCH + 1):
        text, y = ROWS[i % len(ROWS)]
        texts.append(f"{text} (reply {i})")
        labels.append(y)
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"text": t, "y": y}) + "\n" for t, y in zip(texts, labels)))
    result = _eval(path, "--route-at", "1")
    assert result.exit_code == 0, result.output
    assert f"{len(texts)} rows" in result.output
    scores = load_model(route_at=1.0).score(texts)
    row = _table(result)["abusive"]
    assert row[1:4] == [str(len(texts)), str(sum(labels)), f"{roc_auc_score(labels, scores['abusive']):.3f}"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_eval_reads_rows_one_at_a_time(tmp_path: Path, suffix: str) -> None:
    """The reader hands out each row as it comes to it (the file is never held whole), and stops with its
    one-line error only when it reaches the row at fault."""
    import click

    from townhall.commands.classifiers import iter_rows

    path = tmp_path / f"rows{suffix}"
    good = "".join(json.dumps({"text": t, "y": y}) + "\n" for t, y in ROWS) if suffix == ".jsonl" else "text,y\n" + BODY
    path.write_text(good + ("{not json\n" if suffix == ".jsonl" else '"a","b","c"\n'))
    rows = iter_rows(path)
    first = [next(rows) for _ in ROWS]
    assert [row["text"] for _, row in first] == [t for t, _ in ROWS]
    with pytest.raises(click.ClickException, match=f"line {len(ROWS) + 1 + (suffix == '.csv')}"):
        next(rows)
