"""``townhall train`` and ``townhall eval``: build the shipped classifiers and measure them on your data."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import numpy as np

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy" / "default.policy.toml"


def register(group: click.Group) -> None:
    group.add_command(train_command)
    group.add_command(eval_command)


@click.command("train")
@click.option("--data", "data", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The public data sets (../shared/data).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for model/, report.json, report.md and pr_curves.png.")
@click.option("--seed", default=13, show_default=True, help="Seed for the dev/calibration split.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use at most N rows per data set (a quick smoke run).")
@click.option("--encoder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Add the cascade's second stage: a folder with model.onnx and tokenizer.json "
                   "(from townhall/training/finetune_encoder.py export).")
@click.option("--install", is_flag=True, help="Also copy the model into the package's artifacts folder.")
def train_command(data: Path, out: Path, seed: int, limit: int | None, encoder: Path | None, install: bool) -> None:
    """Train the abusive/obscene classifiers and write artifacts plus a report."""
    from townhall.training.data import LOADERS
    from townhall.training.train import TrainConfig, train

    # a mistyped folder is told now, not after minutes of training
    missing = [name for name in LOADERS if not (data / name).is_dir()]
    if missing:
        raise click.ClickException(f"{data} lacks the data set folder{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(missing)} (point --data at the public data sets, ../shared/data)")
    if encoder is not None:
        lacking = [name for name in ("model.onnx", "tokenizer.json") if not (encoder / name).is_file()]
        if lacking:
            raise click.ClickException(f"{encoder} has no {' or '.join(lacking)} (the --encoder folder is what "
                                       "townhall/training/finetune_encoder.py export writes)")
    results = train(TrainConfig(data=data, out=out, seed=seed, limit=limit, encoder=encoder), log=click.echo)
    thresholds: dict[str, dict[str, float]] = results["thresholds"]  # type: ignore[assignment]
    for label, th in thresholds.items():
        click.echo(f"{label}: hold_at = {th['hold_at']:.2f}, reject_at = {th['reject_at']:.2f}")
    if install:
        from townhall.policy.classifiers import ARTIFACTS

        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        shutil.copytree(out / "model", ARTIFACTS)
        click.echo(f"installed into {ARTIFACTS}")


def classifier_rules(policy: Path) -> list[dict[str, Any]]:
    """The ``type = "classifier"`` entries of a policy file (name, label, hold_at, reject_at)."""
    doc = tomllib.loads(policy.read_text(encoding="utf-8"))
    rules = [r for r in doc.get("rules", []) if r.get("type") == "classifier"]
    for r in rules:
        for key in ("name", "label", "hold_at", "reject_at"):
            if key not in r:
                raise click.ClickException(f"{policy}: classifier rule {r.get('name', '?')!r} lacks `{key}`")
    return rules


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The columns and the ``(line number, row)`` pairs of a CSV or JSON Lines file (UTF-8, with or without a
    byte order mark). Anything that cannot be read as such is a one-line :class:`click.ClickException`."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                return _read_jsonl(path, fh)
            return _read_csv(path, fh)
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: line {_first_undecodable_line(path)} is not UTF-8 text "
                                   "(save the file as UTF-8)") from None


def _first_undecodable_line(path: Path) -> int:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _read_jsonl(path: Path, fh: Any) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    columns: dict[str, None] = {}
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{path}: line {number}: not JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict):
            raise click.ClickException(f"{path}: line {number}: expected a JSON object, got {type(record).__name__}")
        columns.update(dict.fromkeys(record))
        rows.append((number, record))
    if not rows:
        raise click.ClickException(f"{path} is empty")
    return list(columns), rows


def _read_csv(path: Path, fh: Any) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(fh)
    try:
        header = next(reader, None)
        if header is None:
            raise click.ClickException(f"{path} is empty")
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise click.ClickException(f"{path}: column {name!r} appears twice in the header")
            seen.add(name)
        rows: list[tuple[int, dict[str, Any]]] = []
        for fields in reader:
            if not fields:  # a blank line
                continue
            if len(fields) < len(header) or any(f.strip() for f in fields[len(header):]):
                raise click.ClickException(f"{path}: line {reader.line_num} has {len(fields)} fields, the header "
                                           f"has {len(header)}")
            rows.append((reader.line_num, dict(zip(header, fields))))
    except csv.Error as exc:
        raise click.ClickException(f"{path}: line {reader.line_num}: not CSV: {exc}") from None
    if not rows:
        raise click.ClickException(f"{path} has a header but no rows")
    return header, rows


def _no_column(path: Path, column: str, columns: list[str]) -> click.ClickException:
    there = ", ".join(repr(c) for c in columns) or "none"
    return click.ClickException(f"{path}: no column {column!r} (the columns are {there})")


_ONES = ("1", "true", "yes", "y", "1.0")
_ZEROS = ("0", "false", "no", "n", "0.0")


def _binary(value: Any) -> int:
    """1 or 0 for a label spelled as one (1/0, true/false, yes/no); ValueError for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    s = str(value).strip().lower() if isinstance(value, str) else None
    if s in _ONES:
        return 1
    if s in _ZEROS:
        return 0
    raise ValueError(value)


def _labels(path: Path, rows: list[tuple[int, dict[str, Any]]], column: str, columns: list[str]) -> np.ndarray:
    if column not in columns:
        raise _no_column(path, column, columns)
    out = np.empty(len(rows), dtype=int)
    for i, (number, row) in enumerate(rows):
        try:
            out[i] = _binary(row.get(column))
        except ValueError:
            value = row.get(column)
            what = "has no label" if value is None or value == "" else f"has the label {value!r}"
            raise click.ClickException(f"{path}: line {number}: column {column!r} {what}; labels must be 0 or 1 "
                                       "(or true/false, yes/no)") from None
    return out


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label-column", "label_columns", multiple=True, required=True,
              help="COLUMN (0/1 for every rule) or RULE=COLUMN (repeatable), e.g. abusive=is_abusive.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--policy", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_POLICY,
              help="Policy file whose classifier thresholds to use (default: the shipped policy).")
@click.option("--route-at", type=click.FloatRange(0.0, 1.0), default=None,
              help="Linear score from which the encoder reads a comment (0: every comment, 1: none; "
                   "default: the shipped model's).")
def eval_command(file: Path, label_columns: tuple[str, ...], text_column: str, policy: Path,
                 route_at: float | None) -> None:
    """Measure the classifier rules of a policy on a labelled CSV or JSONL file."""
    from sklearn.metrics import roc_auc_score

    from townhall.policy.classifiers import load_model

    rules = classifier_rules(policy)
    if not rules:
        raise click.ClickException(f"{policy} has no classifier rules")
    shared: str | None = None
    per_rule: dict[str, str] = {}
    for spec in label_columns:
        if "=" in spec:
            rule, column = spec.split("=", 1)
            per_rule[rule.strip()] = column.strip()
        else:
            shared = spec
    known = {r["name"] for r in rules} | {r["label"] for r in rules}
    for rule in per_rule:
        if rule not in known:
            raise click.ClickException(f"{policy} has no classifier rule {rule!r} (it has "
                                       f"{', '.join(sorted(r['name'] for r in rules))})")
    columns, rows = read_rows(file)
    if text_column not in columns:
        raise _no_column(file, text_column, columns)
    texts = []
    for number, row in rows:
        text = row.get(text_column)
        if not isinstance(text, str):
            what = "no text" if text is None else f"a {type(text).__name__}, not text"
            raise click.ClickException(f"{file}: line {number}: column {text_column!r} has {what}")
        texts.append(text)
    # every label is read before anything is printed, so a bad one stops the command before a half-printed table
    targets: list[tuple[str, str, np.ndarray]] = []
    for r in rules:
        col = per_rule.get(r["name"], per_rule.get(r["label"], shared))
        if col is not None:
            targets.append((r["name"], col, _labels(file, rows, col, columns)))
    y_shared = _labels(file, rows, shared, columns) if shared is not None else None
    model = load_model(route_at=route_at)
    scores = model.score(texts)
    click.echo(f"{file}: {len(rows)} rows; thresholds from {policy}")
    if hasattr(model, "routed"):
        share = float(model.routed(model.linear.score(texts)).mean()) if texts else 0.0
        click.echo(f"the encoder re-read {share:.1%} of them (route_at {model.settings.route_at})")
    click.echo(f"{'rule':<16}{'n':>7}{'pos':>7}{'AUC':>8}{'hold P':>9}{'hold R':>9}{'rej P':>8}{'rej R':>8}")
    any_hold = np.zeros(len(rows), dtype=bool)
    any_reject = np.zeros(len(rows), dtype=bool)
    by_rule = {name: (col, y) for name, col, y in targets}
    one_class: dict[str, int] = {}
    for r in rules:
        s = scores[r["label"]]
        any_hold |= s >= r["hold_at"]
        any_reject |= s >= r["reject_at"]
        if r["name"] in by_rule:
            col, y = by_rule[r["name"]]
            _line(r["name"], y, s, s >= r["hold_at"], s >= r["reject_at"], roc_auc_score)
            if y.min() == y.max():
                one_class[col] = int(y[0])
    if shared is not None and y_shared is not None:
        s_any = np.max(np.stack([scores[r["label"]] for r in rules]), axis=0)
        _line("either rule", y_shared, s_any, any_hold, any_reject, roc_auc_score)
        if y_shared.min() == y_shared.max():
            one_class[shared] = int(y_shared[0])
    for col, value in one_class.items():
        click.echo(f"AUC is undefined (–) for column {col!r}: every row is labelled {value}, and AUC needs both "
                   + ("classes; recall needs a 1." if value == 0 else "classes."))


def _line(name: str, y: np.ndarray, s: np.ndarray, hold: np.ndarray, reject: np.ndarray, auc_fn: Any) -> None:
    def pr(fired: np.ndarray) -> tuple[str, str]:
        tp = int((fired & (y == 1)).sum())
        p = f"{tp / fired.sum():.3f}" if fired.sum() else "–"
        rec = f"{tp / y.sum():.3f}" if y.sum() else "–"
        return p, rec

    auc = f"{auc_fn(y, s):.3f}" if 0 < y.sum() < len(y) else "–"
    (hp, hr), (rp, rr) = pr(hold), pr(reject)
    click.echo(f"{name:<16}{len(y):>7}{int(y.sum()):>7}{auc:>8}{hp:>9}{hr:>9}{rp:>8}{rr:>8}")
