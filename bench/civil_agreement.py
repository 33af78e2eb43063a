"""How far do Civil Comments' own annotators agree? A ceiling for any model's ROC AUC on that set.

The Civil Comments spans set (``../shared/data/civil_comments_spans``) labels each post by the share of its
annotators who marked an Insult/Threat/Identity-attack span (abusive) or a Profane/Obscene span beyond the F
word (obscene); Townhall's evaluation label is "at least half of them". This script asks how well one
annotator predicts the others: for every post with at least ``--min-annotators`` counted annotators, one of
them is held out at random, the label is "at least half of the *others* marked it", and the held-out
annotator's mark is scored against it (ROC AUC of a yes/no score). Townhall's shipped cascade is scored
against the very same labels, post by post, so the two AUCs compare like with like. Repeated over
``--draws`` random draws; prints the mean and the range.

    python bench/civil_agreement.py --data ../shared/data            # the dev split (what the README reports)
    python bench/civil_agreement.py --data ../shared/data --all      # every post of the set (the cascade was
                                                                     # trained on the non-dev ones: optimistic)

No network; reads the data set and the packaged model only.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from townhall.policy.classifiers import load_model
from townhall.training.data import CivilVotes, civil_votes, split_of


def draw(votes: list[CivilVotes], label: str, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """(held-out annotator's mark, whether at least half of the others marked the post) for every post."""
    human, others = [], []
    for v in votes:
        marked = getattr(v, label)
        workers = sorted(v.workers)
        held = workers.pop(rng.randrange(len(workers)))
        human.append(int(held in marked))
        others.append(int(sum(w in marked for w in workers) / len(workers) >= 0.5))
    return np.array(human), np.array(others)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--all", action="store_true", help="every post, not only the dev split")
    ap.add_argument("--min-annotators", type=int, default=3)
    ap.add_argument("--draws", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    model = load_model()
    seed = int(model.meta["seed"])  # the shipped model's training seed decides which posts are in the dev split
    votes = [v for v in civil_votes(args.data) if len(v.workers) >= args.min_annotators
             and (args.all or split_of(v.text, seed) == "dev")]
    t0 = time.perf_counter()
    scores = model.score([v.text for v in votes])
    took = time.perf_counter() - t0
    if not args.json:
        print(f"Civil Comments spans, {'every post' if args.all else f'dev split (seed {seed})'}, posts with "
              f">= {args.min_annotators} counted annotators: {len(votes)} (scored by the cascade in {took:.1f} s)")
        print(f"{'label':8} {'positives':>9}  {'one annotator vs the others':>28}  {'cascade vs the same labels':>27}")
    rng = random.Random(0)
    rows = []
    for label in ("abusive", "obscene"):
        ours = np.asarray(scores[label])
        human_aucs, model_aucs, positives = [], [], []
        for _ in range(args.draws):
            human, y = draw(votes, label, rng)
            if 0 < y.sum() < len(y):
                human_aucs.append(roc_auc_score(y, human))
                model_aucs.append(roc_auc_score(y, ours))
                positives.append(y.mean())
        rows.append({"label": label, "posts": len(votes), "positives": round(float(np.mean(positives)), 3),
                     "annotator_auc": round(float(np.mean(human_aucs)), 3),
                     "cascade_auc": round(float(np.mean(model_aucs)), 3)})
        if not args.json:
            print(f"{label:8} {np.mean(positives):9.2f}  {np.mean(human_aucs):>10.3f} ({min(human_aucs):.3f}-"
                  f"{max(human_aucs):.3f})      {np.mean(model_aucs):>10.3f} ({min(model_aucs):.3f}-{max(model_aucs):.3f})")
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"mean (range) over {args.draws} draws of the held-out annotator")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
