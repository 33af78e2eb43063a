from __future__ import annotations

import random

import numpy as np
from scipy.stats import poisson

from townhall.trolls.signals import (
    arrivals, cooccurrence, poisson_bits, reciprocal_pairs, shared_infrastructure, significance_bits,
)


def test_poisson_bits_never_overstate_surprise() -> None:
    for k, m in [(3, 0.1), (5, 1.0), (10, 2.5), (20, 0.01), (4, 3.0)]:
        exact = -np.log10(poisson.sf(k - 1, m))
        got = float(poisson_bits(np.array([k]), np.array([m]))[0])
        assert got <= exact + 1e-9
        assert got >= exact - 0.5
    assert float(poisson_bits(np.array([1]), np.array([2.0]))[0]) == 0.0


def _background(rng: random.Random, n_acc: int, threads: int, per_thread: int, spread: int) -> list[tuple[int, int, int]]:
    rows = []
    for t in range(threads):
        start = rng.randrange(10**6)
        for _ in range(per_thread):
            rows.append((t, rng.randrange(n_acc), start + rng.randrange(spread)))
    return rows


def _signal(rows: list[tuple[int, int, int]], n_acc: int, window: int = 600) -> object:
    cell, acc, ts = (np.array(x, dtype=np.int64) for x in zip(*rows))
    arr = arrivals(cell, acc, ts, window)
    return cooccurrence(arr, n_acc, window, 40, 3, significance_bits(n_acc, 1.0))


def test_breaking_news_crowds_are_not_coordination() -> None:
    rng = random.Random(1)
    n_acc = 400
    rows = _background(rng, n_acc, 200, 8, 24 * 3600)
    for t in range(200, 206):  # six breaking stories: 300 readers each within 15 minutes
        start = rng.randrange(10**6)
        for a in rng.sample(range(n_acc), 300):
            rows.append((t, a, start + rng.randrange(900)))
    sig = _signal(rows, n_acc)
    assert not (sig.strength >= 0.5).any()  # type: ignore[attr-defined]


def test_repeated_coarrival_on_quiet_threads_is_significant_and_explained() -> None:
    rng = random.Random(2)
    n_acc = 400
    rows = _background(rng, n_acc, 300, 6, 24 * 3600)
    group = [390, 391, 392, 393, 394]
    for t in range(300, 310):
        start = rng.randrange(10**6)
        for a in group:
            rows.append((t, a, start + rng.randrange(240)))
    sig = _signal(rows, n_acc)
    strong = {(int(a), int(b)) for a, b, s in zip(sig.a, sig.b, sig.strength) if s >= 0.5}  # type: ignore[attr-defined]
    expected_pairs = {(a, b) for a in group for b in group if a < b}
    assert expected_pairs <= strong
    assert strong <= expected_pairs
    assert (sig.observed[sig.strength >= 0.5] > 5 * sig.expected[sig.strength >= 0.5]).all()  # type: ignore[attr-defined]


def test_busier_accounts_get_higher_expectations() -> None:
    rng = random.Random(3)
    n_acc = 200
    rows = _background(rng, n_acc, 300, 5, 3600)
    for t in range(300):  # accounts 0 and 1 post on every thread, in its busy first hour like everyone
        start = min(r[2] for r in rows[t * 5 : t * 5 + 5])
        rows.append((t, 0, start + rng.randrange(3600)))
        rows.append((t, 1, start + rng.randrange(3600)))
    sig = _signal(rows, n_acc, window=600)
    heavy = [(o, e) for a, b, o, e in zip(sig.a, sig.b, sig.observed, sig.expected) if (a, b) == (0, 1)]  # type: ignore[attr-defined]
    assert heavy and heavy[0][1] > 5.0  # many co-arrivals, but many were expected
    assert not (sig.strength >= 0.5).any()  # type: ignore[attr-defined]


def test_device_counts_more_than_ip_and_common_prefixes_count_little() -> None:
    acc = np.arange(80)
    device = np.full(80, -1)
    device[:2] = 0  # a family tablet
    device[10:16] = 1  # six accounts on one phone
    dev, _ = shared_infrastructure(device, acc, 80, 60, 20, 0.25, 2.0)
    s = {(int(a), int(b)): float(x) for a, b, x in zip(dev.a, dev.b, dev.strength)}
    assert s[(0, 1)] < 0.5 and s[(10, 11)] >= 1.0
    ip = np.full(80, -1)
    ip[20:80] = 5  # a newsroom NAT: sixty readers
    ip[:6] = 6  # six accounts on a rare prefix
    sig, _ = shared_infrastructure(ip, acc, 80, 64, 8, 0.125, 1.0)
    s = {(int(a), int(b)): float(x) for a, b, x in zip(sig.a, sig.b, sig.strength)}
    assert s[(20, 21)] < 0.2 and s[(0, 1)] >= 0.5


def test_conversations_are_reciprocal_pairs() -> None:
    replier = np.array([1, 2, 3, 1])
    owner = np.array([2, 1, 4, 3])
    keys = reciprocal_pairs(replier, owner, 10)
    assert keys.tolist() == [1 * 10 + 2]
