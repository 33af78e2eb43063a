"""Benchmark: a publisher's word list of 10 to 5,000 words — load time and matching speed.

Prints, per list size, the time to load the rule (check and build its matcher), comments per CPU-second over
real comments from ../shared/data (tests/policy/corpus.py), and the CPU time to judge one 5 KB comment
(the best of a few runs).

    taskset -c 0 python bench/wordlist.py --data ../shared/data
    taskset -c 0 python bench/wordlist.py --data ../shared/data --old   # also one regex pair per word

The words are seven-letter random strings (seeded; they rarely occur, as most of a real list's words do not
in a given comment) plus a tenth taken from the comments themselves, so that some do match. ``--old`` also
times the per-word patterns (townhall.policy.wordmatch.WordMatcher, what the rule compiled before it used
townhall.policy.wordtrie.WordTrie) on the same comments, for comparison; it is slow for large lists.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import platform
import random
import re
import string
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.policy.corpus import comments  # noqa: E402
from townhall.policy.normalise import normalise  # noqa: E402
from townhall.policy.rules.base import Resources, RuleSpec  # noqa: E402
from townhall.policy.rules.wordlist import WordListRule  # noqa: E402
from townhall.policy.types import Action, Subject  # noqa: E402
from townhall.policy.wordmatch import WordMatcher  # noqa: E402


def word_list(n: int, texts: Sequence[str]) -> list[str]:
    rng = random.Random(20261127)
    counts = collections.Counter(w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower()))
    real = [w for w, _ in counts.most_common(200 + n // 10)][200:]  # not the commonest words ("that", "this")
    words = dict.fromkeys(real[: n // 10])
    while len(words) < n:
        words["".join(rng.choice(string.ascii_lowercase) for _ in range(7))] = None
    return list(words)


def cpu(fn: Callable[[], object], repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--sizes", default="10,100,1000,2000,5000")
    parser.add_argument("--old", action="store_true", help="also time one regex pair per word (slow)")
    args = parser.parse_args(argv)

    texts = list(itertools.islice(comments(args.data), args.comments))
    big = ""
    for text in texts:  # a 5 KB comment made of real ones
        big += text + "\n\n"
        if len(big) >= 5_000:
            break
    big = big[:5_000]
    print(f"# bench/wordlist.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
          f"{platform.processor() or platform.machine()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"# {len(texts):,} real comments from {args.data} (mean {sum(map(len, texts)) / len(texts):.0f} chars); "
          "CPU seconds of this process")
    print("| words | matcher | load (s) | comments/CPU-s | one 5 KB comment (ms) | comments with a hit |")
    print("|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        words = word_list(n, texts)
        spec = RuleSpec("words", "wordlist", "No.", Action.REJECT, False, {"words": words})
        load = cpu(lambda: WordListRule.from_spec(spec, Resources()))
        rule = WordListRule.from_spec(spec, Resources())
        hits = sum(1 for t in texts if rule.evaluate(Subject(t)).hits)
        rate = len(texts) / cpu(lambda: [rule.evaluate(Subject(t)) for t in texts])
        one = cpu(lambda: rule.evaluate(Subject(big)), repeats=5)
        print(f"| {n:,} | WordTrie (rule) | {load:.3f} | {rate:,.0f} | {one * 1000:.1f} | {hits:,} |", flush=True)
        if args.old:
            holder: list[WordMatcher] = []
            load = cpu(lambda: holder.extend(WordMatcher.compile(w) for w in words))

            def old(text: str) -> int:
                folded = normalise(text).text
                return sum(1 for m in holder for _ in m.find(folded))

            old_hits = sum(1 for t in texts if old(t))
            rate = len(texts) / cpu(lambda: [old(t) for t in texts])
            one = cpu(lambda: old(big), repeats=2)
            print(f"| {n:,} | per-word patterns (before) | {load:.3f} | {rate:,.0f} | {one * 1000:.1f} | {old_hits:,} |",
                  flush=True)


if __name__ == "__main__":
    main()
