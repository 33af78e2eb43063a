"""Evaluation table: account-level precision/recall per campaign strength, and false flags among every
hard-negative group, on seeded simulations (real text and troll timing when ../shared/data is present).

    python bench/trolls_eval.py [--seeds 3] [--campaigns 12] [--accounts 3000] [--comments 40000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from townhall.trolls import analyse_events
from townhall.trolls.evaluate import Strength, campaign_mix, evaluate
from townhall.trolls.sim_data import load_material
from townhall.trolls.simulate import SimConfig, simulate


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--campaigns", type=int, default=12)
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--comments", type=int, default=40000)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    args = ap.parse_args()
    data = args.data if (args.data / "README.md").exists() else None
    negatives: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    print(f"{'strength':<11} {'campaigns':>9} {'trolls':>6} {'flagged':>7} {'precision':>9} {'recall':>6}  "
          f"{'campaigns caught (>=half flagged)':>33}  {'recall, 2+ families':>19}")
    started = time.perf_counter()
    source = None
    for strength in Strength:
        tp = fp = trolls = caught = n_camp = two = two_flagged = 0
        for seed in range(args.seeds):
            material = load_material(data, random.Random(seed + 1))
            source = material.source
            specs = campaign_mix(strength, args.campaigns, random.Random(1000 + seed))
            sim = simulate(SimConfig(seed=seed, organic_accounts=args.accounts, organic_comments=args.comments, campaigns=specs),
                           data, material)
            report = analyse_events(sim.events, sim.now, rng=random.Random(seed))
            ev = evaluate(sim, report)
            tp, fp, trolls = tp + ev.true_flags, fp + ev.false_flags, trolls + ev.trolls
            two, two_flagged = two + ev.independent_trolls, two_flagged + ev.independent_flagged
            for g in ev.groups:
                if g.group.startswith("campaign:"):
                    n_camp += 1
                    caught += int(g.flagged * 2 >= g.accounts)
                else:
                    negatives[g.group][0] += g.flagged
                    negatives[g.group][1] += g.accounts
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"{strength.value:<11} {n_camp:>9} {trolls:>6} {tp + fp:>7} {precision:>9.3f} {tp / trolls:>6.3f}  {caught:>30}/{n_camp}  "
              f"{(two_flagged / two if two else float('nan')):>15.3f} ({two})")
    print("\nhard-negative group        accounts  falsely flagged (all strengths and seeds)")
    for name, (flagged, total) in negatives.items():
        print(f"{name:<26} {total:>8}  {flagged}")
    print(f"\ntext and timing source: {source.value if source else '?'}; {args.seeds} seed(s) x {len(Strength)} strengths; "
          f"{time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
