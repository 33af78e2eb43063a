"""Benchmark: Townhall's F-word rule against better-profanity restricted to the same word family.

Prints one table: comments/second on one core over real comments from ../shared/data (all texts of the
sources in tests/policy/corpus.py, including comments with the word), recall on the reviewed disguise set
(townhall/policy/disguises.py), false positives on its innocent neighbours and mentions, and hits on real
comments that a deliberately broad pattern finds clean (false positives).

    taskset -c 0 python bench/rules.py --data ../shared/data

better-profanity is given the F-word family as its custom word list (it then generates its own leetspeak
variants of each listed word); nothing else of its default list is loaded.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from better_profanity import Profanity  # noqa: E402

from tests.policy.corpus import clean_comments, comments  # noqa: E402
from townhall.policy.disguises import F_WORD_DISGUISED, F_WORD_INNOCENT, F_WORD_MENTIONS  # noqa: E402
from townhall.policy.rules.base import Resources, RuleSpec  # noqa: E402
from townhall.policy.rules.wordlist import WordListRule  # noqa: E402
from townhall.policy.types import Action, Subject  # noqa: E402

# The F-word family as a publisher would list it for a plain word-list filter.
F_WORD_FORMS = (
    "fuck", "fucks", "fucked", "fucker", "fuckers", "fucking", "fuckin", "motherfucker", "motherfuckers",
    "motherfucking", "fuckwit", "fuckface", "fuckhead", "clusterfuck", "fuk", "fukin", "fuking", "fck", "fcking",
    "phuck", "fvck", "fucc", "fuq", "fcuk", "fuckoff", "fuckyou",
)

Detector = Callable[[str], bool]


def townhall_detector() -> Detector:
    spec = RuleSpec("f_word", "wordlist", "No F word.", Action.REJECT, False, {"words": ["fuck"]})
    rule = WordListRule.from_spec(spec, Resources())
    return lambda text: bool(rule.evaluate(Subject(text)).hits)


def better_profanity_detector() -> Detector:
    profanity = Profanity()
    profanity.load_censor_words(list(F_WORD_FORMS))
    return lambda text: bool(profanity.contains_profanity(text))


def rate(detect: Detector, texts: Sequence[str], repeats: int) -> tuple[float, float]:
    """Comments per CPU-second of this single-threaded process (other jobs on the machine do not count)
    and per wall-clock second, each the best of ``repeats`` runs."""
    cpu = wall = float("inf")
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for text in texts:
            detect(text)
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return len(texts) / cpu, len(texts) / wall


def share(detect: Detector, texts: Sequence[str]) -> tuple[int, int]:
    return sum(1 for t in texts if detect(t)), len(texts)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--comments", type=int, default=20_000, help="real comments timed for the Townhall rule")
    parser.add_argument("--bp-comments", type=int, default=5_000, help="real comments timed for better-profanity")
    parser.add_argument("--clean", type=int, default=20_000, help="clean real comments checked for false positives")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    real = [t for t in itertools.islice(comments(args.data), args.comments)]
    clean = list(itertools.islice(clean_comments(args.data), args.clean))
    disguised = [c.text for c in F_WORD_DISGUISED]
    innocent = [c.text for c in F_WORD_INNOCENT + F_WORD_MENTIONS]
    mean_len = sum(map(len, real)) / len(real)

    rows = []
    for name, detector, n in (("townhall f_word", townhall_detector(), args.comments),
                              ("better-profanity (F-word list)", better_profanity_detector(), args.bp_comments)):
        per_cpu, per_wall = rate(detector, real[:n], args.repeats)
        caught, total = share(detector, disguised)
        fp_inn, total_inn = share(detector, innocent)
        fp_clean, total_clean = share(detector, clean)
        by_kind: dict[str, list[int]] = {}
        for case in F_WORD_DISGUISED:
            counts = by_kind.setdefault(case.kind, [0, 0])
            counts[0] += detector(case.text)
            counts[1] += 1
        rows.append((name, per_cpu, per_wall, min(n, len(real)), caught, total, fp_inn, total_inn, fp_clean, total_clean,
                     by_kind))

    print(f"# bench/rules.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
          f"{platform.processor() or platform.machine()}, one core")
    print(f"# load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"# real comments: {len(real):,} texts from {args.data} (mean {mean_len:.0f} chars); "
          f"clean set: {len(clean):,}")
    header = ("detector", "comments/CPU-s", "comments/s (wall)", "timed on", "disguise recall", "innocent+mention FP", "clean-comment FP")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, per_cpu, per_wall, n, caught, total, fp_inn, total_inn, fp_clean, total_clean, _ in rows:
        print(f"| {name} | {per_cpu:,.0f} | {per_wall:,.0f} | {n:,} | {caught}/{total} ({caught / total:.1%}) | "
              f"{fp_inn}/{total_inn} | {fp_clean}/{total_clean:,} |")
    print()
    kinds = list(rows[0][-1])
    print("| disguise class | " + " | ".join(r[0] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for kind in kinds:
        cells = [f"{r[-1][kind][0]}/{r[-1][kind][1]}" for r in rows]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
