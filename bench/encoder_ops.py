"""Benchmark: the shipped encoder as Townhall opens it (layer norms unfused) against the same file opened with
ONNX Runtime's own fusions on, which turn it back into SkipLayerNormalization and BiasGelu nodes.

    taskset -c 0 python bench/encoder_ops.py

Prints, for one comment of 16 to 128 tokens, the median milliseconds per run of each (one thread), their
ratio, the largest logit difference between them on the reference texts, and the time per operator type for
one 48-token comment from ONNX Runtime's profiler. Why the nodes are unfused: townhall/training/unfuse.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from townhall.policy.classifiers import ARTIFACTS
from townhall.policy.classifiers.encoder import UNFUSED, encoder_text
from townhall.training.requantize import REFERENCE_TEXTS

MODEL = ARTIFACTS / "encoder" / "model.onnx"


def session(unfused: bool, profile: str | None = None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if profile:
        opts.enable_profiling = True
        opts.profile_file_prefix = profile
    return ort.InferenceSession(str(MODEL), opts, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(UNFUSED) if unfused else [])


def feed(ids: list[int]) -> dict[str, np.ndarray]:
    a = np.array([ids], dtype=np.int64)
    return {"input_ids": a, "attention_mask": np.ones_like(a)}


def ms_per_run(sess: Any, ids: list[int], runs: int) -> float:
    f = feed(ids)
    for _ in range(10):
        sess.run(None, f)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, f)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def op_profile(unfused: bool, ids: list[int], runs: int) -> dict[str, float]:
    """Microseconds per run spent in each operator type."""
    with tempfile.TemporaryDirectory() as tmp:
        sess = session(unfused, profile=os.path.join(tmp, "ort"))
        f = feed(ids)
        for _ in range(runs):
            sess.run(None, f)
        events = json.loads(Path(sess.end_profiling()).read_text(encoding="utf-8"))
    per_op: dict[str, float] = defaultdict(float)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"] / runs
    return dict(sorted(per_op.items(), key=lambda kv: -kv[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="runs per length")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    args = ap.parse_args()
    say = (lambda *a, **k: None) if args.json else print
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(MODEL.parent / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    rng = np.random.default_rng(0)
    fused, unfused = session(False), session(True)
    say(f"one thread; load average {os.getloadavg()[0]:.1f}; {MODEL}")
    say(f"{'tokens':>7}{'fused ms':>10}{'unfused ms':>12}{'unfused/fused':>15}")
    timings = []
    for n in (16, 32, 48, 64, 128):
        ids = [cls, *rng.integers(1000, 20000, n - 2).tolist(), sep]
        a, b = ms_per_run(fused, ids, args.runs), ms_per_run(unfused, ids, args.runs)
        timings.append({"tokens": n, "fused_ms": round(a, 3), "unfused_ms": round(b, 3)})
        say(f"{n:>7}{a:>10.2f}{b:>12.2f}{b / a:>15.2f}")
    diff = 0.0
    for text in REFERENCE_TEXTS:
        f = feed(tok.encode(encoder_text(text)).ids)
        diff = max(diff, float(np.abs(fused.run(["logits"], f)[0] - unfused.run(["logits"], f)[0]).max()))
    say(f"largest logit difference on the {len(REFERENCE_TEXTS)} reference texts: {diff:.4f}")
    ids = [cls, *rng.integers(1000, 20000, 46).tolist(), sep]
    runs = min(50, args.runs)
    profiles = {"fused": op_profile(False, ids, runs), "unfused": op_profile(True, ids, runs)}
    if args.json:
        print(json.dumps({"timings": timings, "largest_logit_difference": diff, "profile_us": profiles}))
        return
    print("\nµs per 48-token run by operator type (ONNX Runtime's profiler):")
    ops = sorted(set(profiles["fused"]) | set(profiles["unfused"]),
                 key=lambda op: -max(profiles["fused"].get(op, 0.0), profiles["unfused"].get(op, 0.0)))
    print(f"{'operator':<26}{'fused':>9}{'unfused':>9}")
    for op in ops[:12]:
        print(f"{op:<26}{profiles['fused'].get(op, 0.0):>9.0f}{profiles['unfused'].get(op, 0.0):>9.0f}")
    print(f"{'all':<26}{sum(profiles['fused'].values()):>9.0f}{sum(profiles['unfused'].values()):>9.0f}")


if __name__ == "__main__":
    main()
