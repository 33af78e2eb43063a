"""Political opinions the model has never seen: how many would the default policy hold or refuse?

The fairness tests (tests/classifiers/test_fairness.py) hold a paired set of viewpoints that must never be
held or refused. That set was written while the model was being built, so it can flatter it. This script
scores a second set, ``bench/data/political_opinions.txt`` (or ``--file``), written after the model was
trained and used for nothing else, with the shipped cascade, its linear stage alone and the encoder on
every comment, and prints for each how many comments the default policy's classifier rules would hold for
a moderator or refuse, and which.

    python bench/viewpoint.py
    python bench/viewpoint.py --file my_opinions.txt --json

One opinion per line; lines starting with ``#`` are comments. No network.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from townhall.policy.classifiers import load_model
from townhall.policy.policyfile import load_policy
from townhall.policy.rules.classifier import ClassifierRule

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "political_opinions.txt"


def read_texts(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def thresholds(policy: Path | None) -> dict[str, tuple[float, float]]:
    """{label: (hold_at, reject_at)} of the policy's classifier rules (the packaged house rules by default)."""
    return {r.label: (r.hold_at, r.reject_at) for r in load_policy(policy).rules if isinstance(r, ClassifierRule)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--policy", type=Path, default=None, help="policy file (default: the packaged house rules)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    texts = read_texts(args.file)
    cuts = thresholds(args.policy)
    models = {"cascade": load_model(), "linear": load_model(encoder=False), "encoder_all": load_model(route_at=0.0)}
    rows = []
    for name, model in models.items():
        scores = model.score(texts)
        held: list[tuple[str, str, float]] = []
        refused: list[tuple[str, str, float]] = []
        for label, (hold_at, reject_at) in cuts.items():
            for text, p in zip(texts, np.asarray(scores[label]).tolist()):
                if p >= reject_at:
                    refused.append((label, text, round(p, 3)))
                elif p >= hold_at:
                    held.append((label, text, round(p, 3)))
        rows.append({"model": name, "comments": len(texts), "held": len(held), "refused": len(refused),
                     "abusive_p90": round(float(np.quantile(scores["abusive"], 0.9)), 3),
                     "abusive_max": round(float(np.max(scores["abusive"])), 3),
                     "held_comments": held, "refused_comments": refused})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{len(texts)} political opinions from {args.file.name}; thresholds of "
          f"{args.policy.name if args.policy else 'the packaged house rules'}: "
          + ", ".join(f"{k} hold {h:g} / refuse {r:g}" for k, (h, r) in cuts.items()))
    print(f"{'model':12} {'held':>5} {'refused':>8} {'abusive p90':>12} {'abusive max':>12}")
    for row in rows:
        print(f"{row['model']:12} {row['held']:5d} {row['refused']:8d} {row['abusive_p90']:12.3f} {row['abusive_max']:12.3f}")
    for row in rows:
        for label, text, p in row["held_comments"] + row["refused_comments"]:
            print(f"  {row['model']}: {label} {p:.3f}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
