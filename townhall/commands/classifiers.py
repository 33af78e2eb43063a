"""``townhall train`` and ``townhall eval``: build the shipped classifiers and measure them on your data."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tomllib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy" / "default.policy.toml"
EVAL_BATCH = 2000  # comments scored at once by ``eval``: the model's features for a batch, never the file's


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


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The ``(line number, row)`` pairs of a CSV or JSON Lines file (UTF-8, with or without a byte order mark),
    one at a time, so that a file is never held whole. Anything that cannot be read as such is a one-line
    :class:`click.ClickException`, raised when the reader comes to it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                yield from _read_jsonl(path, fh)
            else:
                yield from _read_csv(path, fh)
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


def _read_jsonl(path: Path, fh: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    empty = True
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{path}: line {number}: not JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict):
            raise click.ClickException(f"{path}: line {number}: expected a JSON object, got {type(record).__name__}")
        empty = False
        yield number, record
    if empty:
        raise click.ClickException(f"{path} is empty")


def _read_csv(path: Path, fh: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(fh)
    empty = True
    try:
        header = next(reader, None)
        if header is None:
            raise click.ClickException(f"{path} is empty")
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise click.ClickException(f"{path}: column {name!r} appears twice in the header")
            seen.add(name)
        for fields in reader:
            if not fields:  # a blank line
                continue
            if len(fields) < len(header) or any(f.strip() for f in fields[len(header):]):
                raise click.ClickException(f"{path}: line {reader.line_num} has {len(fields)} fields, the header "
                                           f"has {len(header)}")
            empty = False
            yield reader.line_num, dict(zip(header, fields))
    except csv.Error as exc:
        raise click.ClickException(f"{path}: line {reader.line_num}: not CSV: {exc}") from None
    if empty:
        raise click.ClickException(f"{path} has a header but no rows")


@dataclass(slots=True)
class Scan:
    """What a first pass over a labelled file learns, keeping no text: its columns, its row count, the first
    row whose text is not text, and each label column's 0/1 labels (-1 where a row's label is not one), with
    the first row at fault."""

    text_column: str
    label_columns: tuple[str, ...]
    columns: dict[str, None] = field(default_factory=dict)
    rows: int = 0
    bad_text: tuple[int, str] | None = None
    labels: dict[str, array] = field(default_factory=dict)
    bad_label: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def read(self, path: Path) -> Scan:
        from townhall.service.core import storable

        for column in self.label_columns:
            self.labels[column] = array("b")
        for number, row in iter_rows(path):
            self.rows += 1
            self.columns.update(dict.fromkeys(row))
            text = row.get(self.text_column)
            if self.bad_text is None and not isinstance(text, str):
                self.bad_text = (number, "no text" if text is None else f"a {type(text).__name__}, not text")
            elif self.bad_text is None and not storable(text.replace("\x00", "")):  # a \ud800 escape: no classifier takes it
                self.bad_text = (number, "text that is not valid Unicode (a lone surrogate)")
            for column, out in self.labels.items():
                try:
                    out.append(_binary(row.get(column)))
                except ValueError:
                    out.append(-1)
                    self.bad_label.setdefault(column, (number, row.get(column)))
        return self

    def check_text(self, path: Path) -> None:
        if self.text_column not in self.columns:
            raise _no_column(path, self.text_column, list(self.columns))
        if self.bad_text is not None:
            number, what = self.bad_text
            raise click.ClickException(f"{path}: line {number}: column {self.text_column!r} has {what}")

    def label(self, path: Path, column: str) -> np.ndarray:
        if column not in self.columns:
            raise _no_column(path, column, list(self.columns))
        if column in self.bad_label:
            number, value = self.bad_label[column]
            what = "has no label" if value is None or value == "" else f"has the label {value!r}"
            raise click.ClickException(f"{path}: line {number}: column {column!r} {what}; labels must be 0 or 1 "
                                       "(or true/false, yes/no)")
        return np.frombuffer(self.labels[column], dtype=np.int8).astype(int)


def texts_in_batches(path: Path, text_column: str, size: int = EVAL_BATCH) -> Iterator[list[str]]:
    """The file's texts again, ``size`` at a time (after :class:`Scan` found every one of them to be text)."""
    batch: list[str] = []
    for _, row in iter_rows(path):
        batch.append(row[text_column])
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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

    from townhall.policy import load_policy
    from townhall.policy.rules.base import Resources

    # the checks of `townhall policy check` (a PolicyError, told as file:line: message): a threshold that is
    # text or above 1, or an unknown label, is refused before anything is read or printed
    resources = Resources(route_at=route_at)
    load_policy(policy, resources=resources)
    rules = classifier_rules(policy)
    if not rules:
        raise click.ClickException(f"{policy} has no classifier rules")
    shared: str | None = None
    per_rule: dict[str, str] = {}
    for spec in label_columns:  # each column given is measured: a second one for the same rule is refused, not dropped
        if "=" in spec:
            rule, column = (part.strip() for part in spec.split("=", 1))
            if rule in per_rule and per_rule[rule] != column:
                raise click.ClickException(f"--label-column gives rule {rule!r} two columns, {per_rule[rule]!r} and "
                                           f"{column!r}; give one per rule")
            per_rule[rule] = column
        else:
            if shared is not None and shared != spec:
                raise click.ClickException(f"--label-column gives two columns for every rule, {shared!r} and {spec!r}; "
                                           "give one, or RULE=COLUMN per rule")
            shared = spec
    known = {r["name"] for r in rules} | {r["label"] for r in rules}
    for rule in per_rule:
        if rule not in known:
            raise click.ClickException(f"{policy} has no classifier rule {rule!r} (it has "
                                       f"{', '.join(sorted(r['name'] for r in rules))})")
    # a first pass checks every text and reads every label before anything is printed or scored, so that a
    # bad row stops the command before minutes of scoring and a half-printed table; the second scores the
    # texts a batch at a time: neither holds the file whole
    wanted = [per_rule.get(r["name"], per_rule.get(r["label"], shared)) for r in rules]
    needed = tuple(dict.fromkeys(c for c in [*wanted, shared] if c is not None))
    scan = Scan(text_column, needed).read(file)
    scan.check_text(file)
    targets: list[tuple[str, str, np.ndarray]] = []
    for r, col in zip(rules, wanted):
        if col is not None:
            targets.append((r["name"], col, scan.label(file, col)))
    y_shared = scan.label(file, shared) if shared is not None else None
    model = resources.classifier_model()
    parts: dict[str, list[np.ndarray]] = {}
    reread = 0
    for batch in texts_in_batches(file, text_column):
        for label, values in model.score(batch).items():
            parts.setdefault(label, []).append(values)
        if hasattr(model, "routed"):
            reread += int(model.routed(model.linear.score(batch)).sum())
    scores = {label: np.concatenate(values) for label, values in parts.items()}
    click.echo(f"{file}: {scan.rows} rows; thresholds from {policy}")
    if hasattr(model, "routed"):
        click.echo(f"the encoder re-read {reread / scan.rows:.1%} of them (route_at {model.settings.route_at})")
    click.echo(f"{'rule':<16}{'n':>7}{'pos':>7}{'AUC':>8}{'hold P':>9}{'hold R':>9}{'rej P':>8}{'rej R':>8}")
    any_hold = np.zeros(scan.rows, dtype=bool)
    any_reject = np.zeros(scan.rows, dtype=bool)
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
