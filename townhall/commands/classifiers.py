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
@click.option("--limit", type=int, default=None, help="Use at most N rows per data set (a quick smoke run).")
@click.option("--encoder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Add the cascade's second stage: a folder with model.onnx and tokenizer.json "
                   "(from townhall/training/finetune_encoder.py export).")
@click.option("--install", is_flag=True, help="Also copy the model into the package's artifacts folder.")
def train_command(data: Path, out: Path, seed: int, limit: int | None, encoder: Path | None, install: bool) -> None:
    """Train the abusive/obscene classifiers and write artifacts plus a report."""
    from townhall.training.train import TrainConfig, train

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


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _binary(value: Any) -> int:
    s = str(value).strip().lower()
    if s in ("1", "true", "yes", "y", "1.0"):
        return 1
    if s in ("0", "false", "no", "n", "0.0", ""):
        return 0
    try:
        return int(float(s) >= 0.5)
    except ValueError as exc:
        raise click.ClickException(f"label value {value!r} is not 0/1") from exc


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
    rows = read_rows(file)
    if not rows or text_column not in rows[0]:
        raise click.ClickException(f"{file}: no column {text_column!r}")
    texts = [str(r[text_column] or "") for r in rows]
    model = load_model(route_at=route_at)
    scores = model.score(texts)
    click.echo(f"{file}: {len(rows)} rows; thresholds from {policy}")
    if hasattr(model, "routed"):
        share = float(model.routed(model.linear.score(texts)).mean()) if texts else 0.0
        click.echo(f"the encoder re-read {share:.1%} of them (route_at {model.settings.route_at})")
    click.echo(f"{'rule':<16}{'n':>7}{'pos':>7}{'AUC':>8}{'hold P':>9}{'hold R':>9}{'rej P':>8}{'rej R':>8}")
    any_hold = np.zeros(len(rows), dtype=bool)
    any_reject = np.zeros(len(rows), dtype=bool)
    for r in rules:
        col = per_rule.get(r["name"], per_rule.get(r["label"], shared))
        s = scores[r["label"]]
        any_hold |= s >= r["hold_at"]
        any_reject |= s >= r["reject_at"]
        if col is None:
            continue
        if col not in rows[0]:
            raise click.ClickException(f"{file}: no column {col!r}")
        y = np.array([_binary(row[col]) for row in rows])
        _line(r["name"], y, s, s >= r["hold_at"], s >= r["reject_at"], roc_auc_score)
    if shared is not None:
        y = np.array([_binary(row[shared]) for row in rows])
        s_any = np.max(np.stack([scores[r["label"]] for r in rules]), axis=0)
        _line("either rule", y, s_any, any_hold, any_reject, roc_auc_score)


def _line(name: str, y: np.ndarray, s: np.ndarray, hold: np.ndarray, reject: np.ndarray, auc_fn: Any) -> None:
    def pr(fired: np.ndarray) -> tuple[str, str]:
        tp = int((fired & (y == 1)).sum())
        p = f"{tp / fired.sum():.3f}" if fired.sum() else "–"
        rec = f"{tp / y.sum():.3f}" if y.sum() else "–"
        return p, rec

    auc = f"{auc_fn(y, s):.3f}" if 0 < y.sum() < len(y) else "–"
    (hp, hr), (rp, rr) = pr(hold), pr(reject)
    click.echo(f"{name:<16}{len(y):>7}{int(y.sum()):>7}{auc:>8}{hp:>9}{hr:>9}{rp:>8}{rr:>8}")
