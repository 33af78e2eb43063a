"""Benchmark: Townhall's abusive/obscene model against alt-profanity-check, side by side.

Prints, for every dev split (same rows, same labels): ROC AUC of our score and of alt-profanity-check's
``predict_prob``; then throughput (comments/second on one core, both labels together) and p99 latency for
one comment, for both models, on real comments (the Civil Comments dev split).

    taskset -c 0 python bench/classifiers.py --data ../shared/data

Threads are limited to one with threadpoolctl; run under ``taskset -c 0`` to pin to one core as well.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from townhall.policy.classifiers import load_model
from townhall.training.data import load_all
from townhall.training.report import task_scores, tasks

SEED = 13  # the seed the shipped model was trained with (its dev split)


def throughput(fn: Callable[[Sequence[str]], object], texts: Sequence[str], batch: int) -> tuple[float, float]:
    """(comments per CPU-second of this process, comments per wall-second). On a shared machine the CPU
    figure is the per-core capacity; the wall figure also counts time other processes held the core."""
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return len(texts) / (time.process_time() - c0), len(texts) / (time.perf_counter() - w0)


def latency(fn: Callable[[str], object], texts: Sequence[str]) -> dict[str, float]:
    """p50/p99 milliseconds per single comment, by wall clock and by this thread's CPU time."""
    wall, cpu = [], []
    for t in texts:
        c0, w0 = time.thread_time(), time.perf_counter()
        fn(t)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.thread_time() - c0)
    w, c = np.array(wall) * 1000, np.array(cpu) * 1000
    return {"wall_p50": round(float(np.median(w)), 3), "wall_p99": round(float(np.percentile(w, 99)), 3),
            "cpu_p50": round(float(np.median(c)), 3), "cpu_p99": round(float(np.percentile(c, 99)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    from profanity_check import predict_prob

    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    out: dict[str, object] = {"cpus_allowed": affinity}
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        model = load_model()
        out["load_seconds"] = round(time.perf_counter() - t0, 3)
        dev = [e for e in load_all(args.data, args.seed) if e.split == "dev"]
        texts = [e.text for e in dev]
        ours = model.score(texts)
        theirs = np.asarray(predict_prob(texts), dtype=np.float64)
        rows: list[dict[str, Any]] = []
        print(f"{'set':<26}{'task':<20}{'score':<9}{'n':>6}{'pos':>6}{'AUC ours':>10}{'AUC apc':>9}  winner")
        for (source, task), (key, idx, y) in tasks(dev).items():
            if not 0 < y.sum() < len(y):
                continue
            a = float(roc_auc_score(y, task_scores(key, {k: v[idx] for k, v in ours.items()})))
            b = float(roc_auc_score(y, theirs[idx]))
            rows.append({"set": source, "task": task, "score": key, "n": len(idx), "positives": int(y.sum()),
                         "auc": round(a, 4), "baseline_auc": round(b, 4)})
            print(f"{source:<26}{task:<20}{key:<9}{len(idx):>6}{int(y.sum()):>6}{a:>10.3f}{b:>9.3f}  "
                  f"{'ours' if a > b else 'alt-profanity-check'}")
        out["auc"] = rows
        out["wins"] = f"{sum(r['auc'] > r['baseline_auc'] for r in rows)}/{len(rows)}"
        print(f"ours better on {out['wins']} dev tasks")

        civil = [e.text for e in dev if e.source == "civil_comments_spans"]
        sample = (civil * 3)[:6000]
        fresh = load_model()  # no warm caches from the AUC pass
        ours_tp = throughput(fresh.score, sample, batch=500)
        theirs_tp = throughput(predict_prob, sample, batch=500)
        one = load_model()
        ours_lat = latency(lambda t: one.score_one(t), civil[:2000])
        theirs_lat = latency(lambda t: predict_prob([t]), civil[:2000])
        out["throughput_per_core"] = {"townhall": {"cpu": round(ours_tp[0]), "wall": round(ours_tp[1])},
                                      "alt_profanity_check": {"cpu": round(theirs_tp[0]), "wall": round(theirs_tp[1])}}
        out["latency_ms"] = {"townhall": ours_lat, "alt_profanity_check": theirs_lat}
    mean_len = sum(map(len, civil)) / len(civil)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out["load_average_1min"] = round(load, 2)
    print(f"\nreal comments (Civil Comments dev, mean {mean_len:.0f} chars); CPUs allowed: {affinity}; 1 thread; "
          f"load average {load:.1f}")
    print(f"model load: {out['load_seconds']} s")
    print(f"throughput, both labels together (per CPU-second / per wall-second):  townhall {ours_tp[0]:,.0f} / "
          f"{ours_tp[1]:,.0f} comments/s;  alt-profanity-check (one label) {theirs_tp[0]:,.0f} / {theirs_tp[1]:,.0f}")
    for name, lat in (("townhall", ours_lat), ("alt-profanity-check", theirs_lat)):
        print(f"latency, one comment, {name}: wall p50 {lat['wall_p50']:.2f} ms, p99 {lat['wall_p99']:.2f} ms; "
              f"CPU p50 {lat['cpu_p50']:.2f} ms, p99 {lat['cpu_p99']:.2f} ms")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
