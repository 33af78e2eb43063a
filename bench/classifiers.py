"""Benchmark: Townhall's abusive/obscene model against alt-profanity-check, side by side.

Prints, for every dev split (same rows, same labels): ROC AUC of the shipped cascade, of its first stage
alone (linear), of the cascade with the encoder reading every comment, and of alt-profanity-check's
``predict_prob``; then, for each of these, throughput (comments/second on one core, both labels together),
latency for one comment and the share of comments the encoder read, on two samples of real comments: the
Civil Comments dev split (toxic-heavy) and the Wikipedia talk + Jigsaw dev splits (closer to ordinary traffic).
Speed is measured in a steady state: each model first reads as many other comments of the same sources (training
rows, never the timed ones), which opens the encoder's session and fills the per-word caches.

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


MODES = ("cascade", "linear", "encoder_all")  # shipped default; first stage alone; encoder reads every comment


def models(route_at: float | None = None) -> dict[str, Any]:
    """The modes; ``route_at`` (None: the shipped one) is the cascade's routing threshold."""
    return {"cascade": load_model(route_at=route_at), "linear": load_model(encoder=False),
            "encoder_all": load_model(route_at=0.0)}


def speed(texts: list[str], warm: list[str], predict_prob: Callable[[list[str]], Any],
          route_at: float | None = None) -> dict[str, dict[str, Any]]:
    """Per mode (and alt-profanity-check): comments/s by CPU and wall time, latency, share read by the encoder.

    Each model is fresh (no caches from the AUC pass) and first reads ``warm``, other comments from the same
    sources (training rows): that opens the encoder's session and fills the per-word caches as in a server
    that has been running a while, without ever having seen the timed comments."""
    out: dict[str, dict[str, Any]] = {}
    for mode, model in models(route_at).items():
        model.score(warm)
        cpu, wall = throughput(model.score, texts, batch=500)
        share = float(model.routed(model.linear.score(texts)).mean()) if mode != "linear" else 0.0
        out[mode] = {"cpu": round(cpu), "wall": round(wall), "encoder_share": round(share, 3),
                     **latency(lambda t, m=model: m.score_one(t), texts[: len(texts) // 2])}
    predict_prob(warm)
    cpu, wall = throughput(predict_prob, texts, batch=500)
    out["alt_profanity_check"] = {"cpu": round(cpu), "wall": round(wall),
                                  **latency(lambda t: predict_prob([t]), texts[: len(texts) // 2])}
    return out


def auc_table(dev: list[Any], predict_prob: Callable[[list[str]], Any],
              route_at: float | None = None) -> dict[str, Any]:
    """ROC AUC of each mode and of alt-profanity-check on every dev task, printed and returned."""
    texts = [e.text for e in dev]
    scored = {mode: m.score(texts) for mode, m in models(route_at).items()}
    theirs = np.asarray(predict_prob(texts), dtype=np.float64)
    rows: list[dict[str, Any]] = []
    print(f"{'set':<26}{'task':<20}{'score':<9}{'n':>6}{'pos':>6}{'cascade':>9}{'linear':>8}{'enc-all':>9}"
          f"{'apc':>7}  winner (shipped cascade vs apc)")
    for (source, task), (key, idx, y) in tasks(dev).items():
        if not 0 < y.sum() < len(y):
            continue
        aucs = {m: float(roc_auc_score(y, task_scores(key, {k: v[idx] for k, v in scored[m].items()}))) for m in MODES}
        b = float(roc_auc_score(y, theirs[idx]))
        rows.append({"set": source, "task": task, "score": key, "n": len(idx), "positives": int(y.sum()),
                     "auc": round(aucs["cascade"], 4), "linear_auc": round(aucs["linear"], 4),
                     "encoder_all_auc": round(aucs["encoder_all"], 4), "baseline_auc": round(b, 4)})
        print(f"{source:<26}{task:<20}{key:<9}{len(idx):>6}{int(y.sum()):>6}{aucs['cascade']:>9.3f}"
              f"{aucs['linear']:>8.3f}{aucs['encoder_all']:>9.3f}{b:>7.3f}  "
              f"{'ours' if aucs['cascade'] > b else 'alt-profanity-check'}")
    out: dict[str, Any] = {"auc": rows}
    for m, key in (("cascade", "auc"), ("linear", "linear_auc"), ("encoder_all", "encoder_all_auc")):
        out[f"wins_{m}"] = f"{sum(r[key] > r['baseline_auc'] for r in rows)}/{len(rows)}"
    print("better than alt-profanity-check on: " + ", ".join(f"{m} {out[f'wins_{m}']}" for m in MODES))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--sample", type=int, default=2000, help="comments per speed sample")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--speed-only", action="store_true", help="skip the AUC table")
    ap.add_argument("--route-at", type=float, default=None,
                    help="the cascade's routing threshold (default: the shipped model's)")
    args = ap.parse_args()
    from profanity_check import predict_prob

    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    out: dict[str, object] = {"cpus_allowed": affinity, "route_at": args.route_at}
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        load_model(encoder=False)
        out["load_seconds_linear"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        warm = load_model()
        warm.encoder.logits(["first comment"])
        out["load_seconds_cascade"] = round(time.perf_counter() - t0, 3)
        examples = load_all(args.data, args.seed)
        dev = [e for e in examples if e.split == "dev"]
        if not args.speed_only:
            out.update(auc_table(dev, predict_prob, args.route_at))

        civil = [e.text for e in dev if e.source == "civil_comments_spans"]
        traffic = [e.text for e in dev if e.source in ("wiki_toxicity_in_context", "jigsaw2018_sample")]
        samples = {"civil_dev": (civil * 3)[: args.sample], "traffic_like": traffic[: args.sample]}
        sources = {"civil_dev": ("civil_comments_spans",), "traffic_like": ("wiki_toxicity_in_context", "jigsaw2018_sample")}
        timed = set(civil) | set(traffic)
        warm_up = {k: [e.text for e in examples if e.split == "fit" and e.source in v and e.text not in timed]
                   [: args.sample] for k, v in sources.items()}
        out["samples"] = {k: {"n": len(v), "mean_chars": round(sum(map(len, v)) / len(v)), "warm_up": len(warm_up[k])}
                          for k, v in samples.items()}
        out["speed"] = {k: speed(v, warm_up[k], predict_prob, args.route_at) for k, v in samples.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out["load_average_1min"] = round(load, 2)
    print(f"\nCPUs allowed: {affinity}; 1 thread; load average {load:.1f}; model load: linear "
          f"{out['load_seconds_linear']} s, cascade (encoder session included) {out['load_seconds_cascade']} s")
    names = {"civil_dev": "Civil Comments dev (toxic-heavy: ~93% abusive)",
             "traffic_like": "Wikipedia talk + Jigsaw dev (traffic-like: 1-11% toxic)"}
    for sample, figures in out["speed"].items():  # type: ignore[union-attr]
        info = out["samples"][sample]  # type: ignore[index]
        print(f"\n{names[sample]}, {info['n']} comments, mean {info['mean_chars']} chars "
              f"(each model first reads {info['warm_up']} other comments of the same sources)")
        print(f"{'':<22}{'read by encoder':>16}{'/CPU-s':>9}{'/wall-s':>9}{'p50 ms':>8}{'p99 ms':>8}{'p99 CPU':>9}")
        for mode, f in figures.items():
            share = f"{f['encoder_share']:.1%}" if "encoder_share" in f else "–"
            print(f"{mode:<22}{share:>16}{f['cpu']:>9,}{f['wall']:>9,}{f['wall_p50']:>8.2f}{f['wall_p99']:>8.2f}"
                  f"{f['cpu_p99']:>9.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
