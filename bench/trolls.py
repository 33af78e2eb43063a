"""Benchmark: batch coordination analysis over ~1,000,000 simulated comments from ~100,000 accounts,
plus the per-comment cost of ``CoordinationIndex.add``. Prints wall time and peak RSS (getrusage).

    python bench/trolls.py [--comments 1000000] [--accounts 100000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

from townhall.trolls import CoordinationIndex
from townhall.trolls.evaluate import evaluate
from townhall.trolls.simulate import CampaignSpec, SimConfig, simulate


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def campaigns(n: int) -> tuple[CampaignSpec, ...]:
    presets = [
        dict(text_reuse=0.8, sync=0.8), dict(sync=0.8, shared_device=0.8), dict(text_reuse=0.7, creation_burst=True),
        dict(sync=0.8, brigade=0.8), dict(sync=0.8, shared_ip=0.8), dict(text_reuse=0.6, sync=0.6),
    ]
    return tuple(CampaignSpec(size=5 + (i * 7) % 16, side=i % 2, **presets[i % len(presets)]) for i in range(n))  # type: ignore[arg-type]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    scale = args.comments / 1_000_000
    cfg = SimConfig(
        seed=args.seed, days=30, organic_accounts=args.accounts, organic_comments=int(args.comments * 0.94),
        threads=max(300, int(4000 * scale)), campaigns=campaigns(max(6, int(40 * scale))), heavy=int(50 * scale) + 5,
        heavy_comments=1000, friend_groups=int(100 * scale) + 5, crowds=int(10 * scale) + 2, nat_groups=int(10 * scale) + 2,
        nat_size=60, breaking=int(10 * scale) + 2, breaking_size=800, quotes=6, quoters=12,
    )
    data = args.data if (args.data / "README.md").exists() else None
    t0 = time.perf_counter()
    sim = simulate(cfg, data)
    t_sim = time.perf_counter() - t0
    print(f"simulated {len(sim.events):,} comments, {len(sim.roles):,} accounts ({sim.source.value} data) in {t_sim:.1f}s; "
          f"peak RSS so far {rss_mb():,.0f} MB", flush=True)

    index = CoordinationIndex(rng=random.Random(args.seed))
    lat = np.empty(len(sim.events))
    t0 = time.perf_counter()
    clock = time.perf_counter
    for i, ev in enumerate(sim.events):
        s = clock()
        index.add(ev)
        lat[i] = clock() - s
    t_add = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = index.analyse(sim.now)
    t_an = time.perf_counter() - t1
    ev = evaluate(sim, report)
    print(f"add: {t_add:.1f}s total; per comment p50 {np.percentile(lat, 50) * 1e3:.3f} ms, "
          f"p99 {np.percentile(lat, 99) * 1e3:.3f} ms, max {lat.max() * 1e3:.1f} ms")
    print(f"analyse: {t_an:.1f}s; batch total (add + analyse) {t_add + t_an:.1f}s (target < 300 s)")
    print(f"peak RSS {rss_mb():,.0f} MB (target < 4096 MB; includes the simulated events held in memory)")
    print(f"stats: {dict(report.stats)}")
    print(f"clusters {len(report.clusters)}, flagged accounts {ev.true_flags + ev.false_flags}; "
          f"precision {ev.precision:.3f} recall {ev.recall:.3f} over {ev.trolls} campaign accounts")
    for g in ev.groups:
        if not g.group.startswith("campaign:"):
            print(f"  hard negative {g.group:<20} {g.flagged}/{g.accounts} flagged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
