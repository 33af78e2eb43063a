"""Threshold choice and the training report (JSON, Markdown, precision-recall PNG) on the dev splits."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_auc_score

from townhall.policy.classifiers.model import LABELS
from townhall.training.data import Example

THRESHOLD_SET = "civil_comments_spans"  # the most comment-like set decides the reject thresholds
# Hold thresholds also answer to, for abusive, OLID's targeted insults: Civil's spans set is ~93% abusive, so precision
# there is a weak test on its own; OLID's TIN label is the closest to "abusive" with a natural base rate.
THRESHOLD_TASKS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({
    "abusive": ((THRESHOLD_SET, "abusive"), ("olid", "targeted_insult")),
    "obscene": ((THRESHOLD_SET, "obscene"),),
})
REJECT_PRECISION = 0.95
HOLD_PRECISION = 0.80
HOLD_FLOOR = 0.5  # a moderator looks first only when the model finds abuse more likely than not
# Civil Comments' spans set holds only posts most raters found toxic (abusive base rate ~0.93 on dev), so
# precision there alone is a weak test; a rejection must also be one the calibrated model itself gives
# >= this probability (calibrated on the pooled calibration split of every set).
REJECT_FLOOR = 0.9
NEVER = 1.0  # calibrated scores stay below 1.0: a threshold of 1.0 never fires
MIN_SUPPORT = 20  # a threshold must keep at least this many dev comments above it


def task_scores(key: str, scores: dict[str, np.ndarray]) -> np.ndarray:
    """Our score answering a task: one label, or ``any`` (the larger of the two)."""
    if key == "any":
        return np.maximum(scores["abusive"], scores["obscene"])
    return scores[key]


def fires(key: str, scores: dict[str, np.ndarray], thresholds: dict[str, float]) -> np.ndarray:
    """Which rows a rule (or, for ``any``, either rule) acts on at the given per-label thresholds."""
    labels = LABELS if key == "any" else (key,)
    return np.logical_or.reduce([scores[k] >= thresholds[k] for k in labels])


def tasks(dev: Sequence[Example]) -> dict[tuple[str, str], tuple[str, list[int], np.ndarray]]:
    """(set, task) -> (score key, row indices into dev, 0/1 labels)."""
    grouped: dict[tuple[str, str], list[tuple[int, str, int]]] = defaultdict(list)
    for i, e in enumerate(dev):
        for task, (key, y) in e.targets.items():
            grouped[(e.source, task)].append((i, key, y))
    return {k: (v[0][1], [i for i, _, _ in v], np.array([y for _, _, y in v])) for k, v in sorted(grouped.items())}


def safe_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None


def lowest_threshold(y: np.ndarray, s: np.ndarray, precision: float, min_support: int = MIN_SUPPORT) -> float:
    """Smallest score t such that every cut at or above t (keeping >= min_support rows) has the precision."""
    order = np.argsort(-s, kind="stable")
    ys, ss = y[order], s[order]
    tp = np.cumsum(ys)
    counts = np.arange(1, len(ys) + 1)
    prec = tp / counts
    # only cut between distinct scores
    last_of_value = np.r_[ss[1:] != ss[:-1], True]
    ok = (prec >= precision) | (counts < min_support)
    best = 1.0
    for k in range(len(ss)):
        if not last_of_value[k]:
            continue
        if not ok[k]:
            break
        if counts[k] >= min_support:
            best = float(ss[k])
    return best


def choose_thresholds(dev: Sequence[Example], scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """hold_at and reject_at per label from the dev splits named in :data:`THRESHOLD_TASKS`.

    reject_at: the lowest score (rounded up to 0.01) at and above which Civil dev precision stays >=
    REJECT_PRECISION, and at least REJECT_FLOOR; NEVER when Civil supports no such threshold (the rule then
    only holds). hold_at: the lowest score at and above which precision stays >= HOLD_PRECISION on every
    dev split named in THRESHOLD_TASKS, and at least HOLD_FLOOR; where they cannot support it, the model's
    own calibrated HOLD_PRECISION.
    """
    out: dict[str, dict[str, float]] = {}
    all_tasks = tasks(dev)
    for label in LABELS:
        found: dict[str, float] = {}
        for name, target, floor, fallback in (("reject", REJECT_PRECISION, REJECT_FLOOR, NEVER),
                                              ("hold", HOLD_PRECISION, HOLD_FLOOR, HOLD_PRECISION)):
            per_task = []
            for key in THRESHOLD_TASKS[label] if name == "hold" else ((THRESHOLD_SET, label),):
                if key not in all_tasks:
                    continue
                _, rows, y = all_tasks[key]
                per_task.append(lowest_threshold(y, scores[label][rows], target))
            t = max(per_task) if per_task else NEVER
            found[name] = fallback if t >= NEVER else math.ceil(max(floor, t) * 100) / 100
            found[f"{name}_precision_threshold"] = round(t, 4)
        out[label] = {"hold_at": min(found["hold"], found["reject"]), "reject_at": found["reject"],
                      "reject_precision_threshold": found["reject_precision_threshold"],
                      "hold_precision_threshold": found["hold_precision_threshold"]}
    return out


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> tuple[float, list[dict[str, Any]]]:
    """Expected calibration error and the reliability table (equal-width bins)."""
    table: list[dict[str, Any]] = []
    total = 0.0
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        conf, acc = float(p[m].mean()), float(y[m].mean())
        total += m.sum() / len(p) * abs(conf - acc)
        table.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(m.sum()), "mean_p": round(conf, 3),
                      "observed": round(acc, 3)})
    return float(total), table


def _baseline() -> Callable[[list[str]], np.ndarray] | None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    return lambda texts: np.asarray(predict_prob(texts), dtype=np.float64)


def evaluate(dev: Sequence[Example], scores: dict[str, np.ndarray], thresholds: dict[str, dict[str, float]],
             compare: Mapping[str, dict[str, np.ndarray]] | None = None) -> dict[str, Any]:
    """Per set and task: AUC, precision/recall at hold and reject, calibration; baseline AUC if installed;
    ``compare`` adds ``{name}_auc`` for other scorings of the same rows (the cascade's stages)."""
    baseline = _baseline()
    base_scores = baseline([e.text for e in dev]) if baseline else None
    hold = {k: v["hold_at"] for k, v in thresholds.items()}
    reject = {k: v["reject_at"] for k, v in thresholds.items()}
    rows_out = []
    for (source, task), (key, rows, y) in tasks(dev).items():
        sub = {k: v[rows] for k, v in scores.items()}
        s = task_scores(key, sub)
        entry: dict[str, Any] = {"set": source, "task": task, "score": key, "n": len(rows), "positives": int(y.sum()),
                                 "auc": safe_auc(y, s)}
        if base_scores is not None:
            entry["baseline_auc"] = safe_auc(y, base_scores[rows])
        for name, other in (compare or {}).items():
            entry[f"{name}_auc"] = safe_auc(y, task_scores(key, {k: v[rows] for k, v in other.items()}))
        for name, th in (("hold", hold), ("reject", reject)):
            f = fires(key, sub, th)
            tp = int((f & (y == 1)).sum())
            entry[f"{name}_precision"] = tp / int(f.sum()) if f.sum() else None
            entry[f"{name}_recall"] = tp / int(y.sum()) if y.sum() else None
            entry[f"{name}_fired"] = int(f.sum())
        if key != "any":
            entry["ece"], entry["reliability"] = ece(y, s)
        rows_out.append(entry)
    return {"thresholds": thresholds, "tasks": rows_out, "threshold_set": THRESHOLD_SET,
            "threshold_tasks": {k: ["/".join(t) for t in v] for k, v in THRESHOLD_TASKS.items()},
            "reject_precision_target": REJECT_PRECISION, "hold_precision_target": HOLD_PRECISION}


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def markdown(results: dict[str, Any]) -> str:
    cascade = any("linear_auc" in t for t in results["tasks"])
    lines = ["# Classifier training report", "",
             f"Seed {results.get('seed')}, limit {results.get('limit')}, "
             f"trained in {results.get('training_seconds')} s.",
             f"Thresholds chosen on the dev splits {results['threshold_tasks']}: reject where precision ≥ "
             f"{results['reject_precision_target']}, hold where precision ≥ {results['hold_precision_target']} "
             f"(and p ≥ {HOLD_FLOOR}); a reject threshold is never below p = {REJECT_FLOOR}; 1.00 means never.",
             *([f"Cascade: the encoder reads a comment when the linear model gives either label ≥ "
                f"{results['route_at']}; `AUC` is the cascade's, `linear AUC` the first stage's alone, "
                f"`encoder-on-all AUC` the blend with the encoder reading every comment."]
               if cascade else []),
             "", "| label | hold_at | reject_at |", "|---|---|---|"]
    for label, th in results["thresholds"].items():
        lines.append(f"| {label} | {th['hold_at']:.2f} | {th['reject_at']:.2f} |")
    lines += ["", "## Dev splits", "",
              "`score` is the model score that answers the set's question (`any` = the larger of abusive and obscene; "
              "precision/recall for `any` count a comment caught by either rule). Baseline = alt-profanity-check.", "",
              "| set | task | score | n | pos | AUC | baseline AUC | hold P | hold R | reject P | reject R | ECE |"
              + (" linear AUC | encoder-on-all AUC |" if cascade else ""),
              "|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if cascade else "")]
    keys = ["set", "task", "score", "n", "positives", "auc", "baseline_auc", "hold_precision", "hold_recall",
            "reject_precision", "reject_recall", "ece"] + (["linear_auc", "encoder_all_auc"] if cascade else [])
    for t in results["tasks"]:
        lines.append("| " + " | ".join(_fmt(t.get(k)) for k in keys) + " |")
    cf = results.get("counterfactual")
    if cf:
        lines += ["", "## Held-out counterfactual templates (abusive)", "",
                  f"Sentences of `townhall.training.counterfactual` whose harsh word training never saw: "
                  f"{cf['things']} aimed at things (not abuse), {cf['people']} at people (abuse); held = score ≥ "
                  f"hold_at {cf['hold_at']:.2f}.", "",
                  "| model | things: mean | things held | people: mean | people held | AUC |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {name} | {m['things_mean']:.3f} | {m['things_held']} | {m['people_mean']:.3f} | "
                  f"{m['people_held']} | {m['auc']:.3f} |" for name, m in cf.items() if isinstance(m, dict)]
    for t in results["tasks"]:
        if t["set"] == results["threshold_set"] and t.get("reliability"):
            lines += ["", f"### Reliability, {t['set']} / {t['task']}", "", "| bin | n | mean p | observed |",
                      "|---|---|---|---|"]
            lines += [f"| {r['bin']} | {r['n']} | {r['mean_p']:.3f} | {r['observed']:.3f} |" for r in t["reliability"]]
    return "\n".join(lines) + "\n"


def pr_plot(path: Path, dev: Sequence[Example], scores: dict[str, np.ndarray]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    all_tasks = tasks(dev)
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    for ax, key in zip(axes, ("abusive", "obscene", "any")):
        for (source, task), (k, rows, y) in all_tasks.items():
            if k != key or not 0 < y.sum() < len(y):
                continue
            s = task_scores(key, {kk: v[rows] for kk, v in scores.items()})
            p, r, _ = precision_recall_curve(y, s)
            ax.plot(r, p, label=f"{source}/{task}")
        ax.set_title(f"score: {key}")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(out: Path, results: dict[str, Any], dev: Sequence[Example], scores: dict[str, np.ndarray]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for t in results["tasks"]:
        for k, v in list(t.items()):
            if isinstance(v, float):
                t[k] = round(v, 4)
    (out / "report.json").write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
    (out / "report.md").write_text(markdown(results), encoding="utf-8")
    pr_plot(out / "pr_curves.png", dev, scores)
