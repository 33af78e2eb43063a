"""Adversarial inputs: every matcher and the normaliser run in time linear in the input length."""

from __future__ import annotations

import random
import time
from typing import Callable

import pytest

from townhall.policy.normalise import normalise
from townhall.policy.types import Subject

from tests.policy.helpers import wordlist

MB = 1_000_000
RULE = wordlist(["fuck", "shit", "kill", "ass", "lil", "bastard"], allow=["Fucking, Austria"])


def _adversarial(n: int) -> dict[str, str]:
    rng = random.Random(20261126)
    return {
        "f run": "f" * n,
        "fu": "fu" * (n // 2),
        "f then u run": "f" + "u" * n,
        "f then masks": "f" + "*" * n,
        "f*": "f*" * (n // 2),
        "spaced": "f u " * (n // 4),
        "ph": "ph" * (n // 2),
        "fc": "fc" * (n // 2),
        "f.": "f." * (n // 2),
        "pipes": "|" * n,
        "leet mix": "1!$|" * (n // 4),
        "s run": "s" * n,
        "a$": "a$" * (n // 2),
        "url": "http://" + "fvk" * (n // 3),
        "random symbols": "".join(rng.choice("fuckphvq*#_. |<($!1s@") for _ in range(n)),
        "many hits": "fuk " * (n // 4),
        "one word of hits": "fuck" * (n // 4),  # every match widens to the same 1 MB word
        "allow-listed hits": "fucking, austria " * (n // 17),
        "wide chars": "ｆ\u200bｕ" * (n // 3),
        "marks": "f" + "\u0301" * n,
        "glued weak forms": "xfuk" * (n // 4),  # every candidate looks back for a compound head
        "camel humps": "aFuk" * (n // 4),
        "weak form, long ending": "fuk" + "e" * n,
        "spaced repeated k": "f u c " + "k " * (n // 2),
        "spaced, a new separator each time": "f" + "".join(chr(0x4E00 + i % 20000) + "u" for i in range(n // 2)),
        "right-to-left overrides": ("\u202e" + "kcuf") * (n // 5),
        "short masks": "f*k" * (n // 3),
    }


def _seconds(fn: Callable[[], object]) -> float:
    """CPU seconds of this thread: other jobs on a busy machine do not count, nor do threads an earlier test left
    running in this process (a live server's, a background catch-up), which process_time would count."""
    start = time.thread_time()
    fn()
    return time.thread_time() - start


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(_adversarial(8)))
def test_one_megabyte_adversarial_input_is_linear(name: str) -> None:
    big = _adversarial(MB)[name]
    small = _adversarial(MB // 8)[name]
    t_big = min(_seconds(lambda: RULE.evaluate(Subject(big))) for _ in range(2))
    t_small = min(_seconds(lambda: RULE.evaluate(Subject(small))) for _ in range(3))
    assert t_big < 10.0, f"{name}: 1 MB took {t_big:.2f}s"
    # 8x the input may take ~8x the time; a quadratic matcher would take ~64x
    assert t_big < 24 * t_small + 0.1, f"{name}: 1 MB {t_big:.3f}s vs 125 kB {t_small:.3f}s"


@pytest.mark.timeout(120)
def test_normaliser_is_linear_on_non_ascii() -> None:
    big = "ｆ\u0301\u200bü𝐜к" * (MB // 6)
    t = _seconds(lambda: normalise(big))
    assert t < 10.0
    norm = normalise(big)
    assert norm.text.startswith("fuck") and norm.evidence(0, 4) == big[:6]
