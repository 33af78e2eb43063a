"""Benchmark: the linear stage on a source it never trained on (leave one source out).

The issue warns that comment sets from other sources will show a model that only fits its training sets.
This script measures that here: for each source, it trains the linear stage with ``townhall train``'s code on
every *other* source (the source's fit and calibration rows are left out; the counterfactual templates stay),
and scores the source's dev split, which training never sees anyway. It prints, per dev task, the ROC AUC of
that model, of the shipped linear stage (which trained on the source's fit split; from
``docs/training/report.json``) and of alt-profanity-check (from the same report).

    python bench/crossset.py --data ../shared/data [--only civil] [--json out.json]

Sources are grouped where their comments come from the same place: the Jigsaw sample and Wiki toxicity in
context are both Wikipedia talk pages, and TweetEval offensive is OLID again (evaluation only). The encoder is
not retrained (that needs a GPU): these figures are the linear stage's. About 40 seconds per source on two
cores of an AMD EPYC (Zen 5). No network.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from townhall.training.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
GROUPS: dict[str, frozenset[str]] = {
    "civil": frozenset({"civil_comments_spans"}),
    "wikipedia": frozenset({"jigsaw2018_sample", "wiki_toxicity_in_context"}),
    "davidson": frozenset({"davidson2017"}),
    "olid": frozenset({"olid", "tweeteval_offensive"}),
    "tweeteval_hate": frozenset({"tweeteval_hate"}),
    "stormfront": frozenset({"stormfront"}),
}


def shipped_figures(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(set, task) -> the published report's row (trained with every source)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    return {(t["set"], t["task"]): t for t in report["tasks"]}


def fmt(v: object) -> str:
    return f"{v:.3f}" if isinstance(v, float) else "–"


def left_out(data: Path, group: frozenset[str], seed: int, limit: int | None) -> list[dict[str, Any]]:
    """Train without ``group``; that model's dev rows for the group's tasks."""
    with tempfile.TemporaryDirectory(prefix="townhall-crossset-") as tmp:
        results = train(TrainConfig(data=data, out=Path(tmp), seed=seed, limit=limit, exclude=group),
                        log=lambda _: None)
    tasks = results["tasks"]
    assert isinstance(tasks, list)
    return [t for t in tasks if t["set"] in group]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=None, help="rows per set (a smoke test; figures meaningless)")
    ap.add_argument("--only", action="append", choices=sorted(GROUPS), help="these sources only (repeatable)")
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "training" / "report.json",
                    help="the published report to compare with")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    shipped = shipped_figures(args.report)
    rows: list[dict[str, Any]] = []
    print(f"{'left out':<16}{'set':<26}{'task':<20}{'n':>6}{'pos':>6}{'unseen':>8}{'shipped':>9}{'apc':>7}"
          f"{'seconds':>9}")
    for name in args.only or sorted(GROUPS):
        t0 = time.monotonic()
        for t in left_out(args.data, GROUPS[name], args.seed, args.limit):
            ref = shipped.get((t["set"], t["task"]), {})
            row = {"left_out": name, "set": t["set"], "task": t["task"], "n": t["n"], "positives": t["positives"],
                   "unseen_auc": t["auc"], "shipped_linear_auc": ref.get("linear_auc"),
                   "alt_profanity_check_auc": ref.get("baseline_auc"), "seconds": round(time.monotonic() - t0)}
            rows.append(row)
            print(f"{name:<16}{t['set']:<26}{t['task']:<20}{t['n']:>6}{t['positives']:>6}{fmt(row['unseen_auc']):>8}"
                  f"{fmt(row['shipped_linear_auc']):>9}{fmt(row['alt_profanity_check_auc']):>7}{row['seconds']:>9}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "limit": args.limit, "rows": rows}, indent=1),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
