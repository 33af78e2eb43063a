"""The same events give the same report: whatever order they arrive in (a reply before the comment it answers,
as when another process took that comment), however often they are analysed, and while comments go on being
added during an analysis. A long-running index forgets what it no longer holds, and the ban-evasion lookup
reads the stored signatures in place."""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

import numpy as np

from tests.trolls.helpers import T0, comment, sentence
from townhall.trolls import CommentEvent, CoordinationIndex, DetectorConfig, ReactionEvent, Report, Signal, analyse_events
from townhall.trolls.simulate import CampaignSpec, SimConfig, simulate
from townhall.trolls.store import BLOCK
from townhall.trolls.text import NUM_PERM


def _scores(report: Report) -> dict[str, tuple[float, str | None, bool]]:
    return {a: (r.score, r.cluster, r.flagged) for a, r in report.accounts.items()}


def _site_with_reply_brigades() -> tuple[list[CommentEvent | ReactionEvent], object]:
    """A small simulated site with two reply-brigade campaigns (replies and arrivals, no shared text or hardware)."""
    specs = (CampaignSpec(size=8, sync=0.9, brigade=0.9), CampaignSpec(size=6, sync=0.9, brigade=0.9, side=1))
    sim = simulate(SimConfig(seed=3, organic_accounts=600, organic_comments=6000, threads=120, campaigns=specs,
                             friend_groups=4, crowds=1, crowd_size=12, nat_groups=1, nat_size=15, breaking=1,
                             breaking_size=60), None)
    return list(sim.events), sim


def test_a_reply_recorded_before_the_comment_it_answers_still_counts() -> None:
    events, sim = _site_with_reply_brigades()
    in_order = analyse_events(events, sim.now, rng=random.Random(0))  # type: ignore[attr-defined]
    brigaded = {a for a, r in in_order.accounts.items() if r.strengths.get(Signal.BRIGADE, 0.0) >= 0.5}
    assert brigaded and in_order.flagged_accounts()
    replies_first = sorted(events, key=lambda e: isinstance(e, CommentEvent) and e.parent is None)
    assert replies_first != events
    again = analyse_events(replies_first, sim.now, rng=random.Random(0))  # type: ignore[attr-defined]
    assert _scores(again) == _scores(in_order)


def test_the_order_of_arrival_and_repeated_analyses_change_nothing() -> None:
    """Accounts are numbered in the order they are first seen; clusters, the rhythm baseline and the seeded
    community split must not depend on that numbering, nor on how many analyses ran before."""
    events, sim = _site_with_reply_brigades()
    batch = analyse_events(events, sim.now, rng=random.Random(0))  # type: ignore[attr-defined]
    shuffled = list(events)
    random.Random(5).shuffle(shuffled)
    index = CoordinationIndex(rng=random.Random(0))
    for e in shuffled[: len(shuffled) // 2]:
        index.add(e)
    index.analyse(sim.now)  # type: ignore[attr-defined]  # a scheduled run part-way through
    for e in shuffled[len(shuffled) // 2:]:
        index.add(e)
    first = index.analyse(sim.now)  # type: ignore[attr-defined]
    second = index.analyse(sim.now)  # type: ignore[attr-defined]
    assert _scores(first) == _scores(batch) == _scores(second)
    assert [(c.id, c.score) for c in first.clusters] == [(c.id, c.score) for c in batch.clusters]


def test_a_large_component_is_split_the_same_way_whatever_the_arrival_order() -> None:
    """Components above ``split_above`` are split with seeded Louvain: the split must follow the accounts'
    names, not the order the index first saw them in (Louvain visits nodes in the order they were added)."""
    rng = random.Random(2)
    events = [comment(100000 + i, f"reader{rng.randrange(300)}", f"story-{rng.randrange(80)}", rng.uniform(0, 3000),
                      sentence(rng)) for i in range(3000)]
    crew = [f"crew{i:02d}" for i in range(48)]
    for op in range(40):  # a crew of 48 without sub-teams: any split of it is as good as another
        point = sentence(rng)
        for k, m in enumerate(rng.sample(crew, 12)):
            events.append(comment(op * 100 + k, m, f"quiet-{op}", op * 120 + k, point))
    events.sort(key=lambda e: e.created_at)
    batch = analyse_events(events, rng=random.Random(0))
    parts = [c for c in batch.clusters if set(c.members) <= set(crew)]
    assert len(parts) > 1 and sum(len(c.members) for c in parts) > DetectorConfig().split_above
    for seed in (1, 3, 4):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        again = analyse_events(shuffled, batch.generated_at, rng=random.Random(0))
        assert [c.members for c in again.clusters] == [c.members for c in batch.clusters]
        assert _scores(again) == _scores(batch)


def test_comments_added_while_an_analysis_runs_wait_only_for_the_copy() -> None:
    """A service passes the lock it holds around ``add`` as ``guard``: the analysis holds it while it prunes
    and copies the index, and comments added after that (here: as soon as the guard is let go) neither fail
    nor change the report being made; the next analysis counts them."""
    rng = random.Random(4)
    events = [comment(i, f"a{i % 40}", f"t{i % 25}", i * 0.7, sentence(rng)) for i in range(800)]
    index = CoordinationIndex(rng=random.Random(0))
    for e in events[:600]:
        index.add(e)
    held: list[bool] = []

    @contextmanager
    def guard() -> Iterator[None]:
        held.append(True)
        yield
        for e in events[600:]:  # posts that were waiting on the lock
            index.add(e)

    now = T0 + timedelta(hours=12)
    report = index.analyse(now, guard=guard())
    assert held == [True]
    assert report.stats["comments"] == 600
    assert index.analyse(now).stats["comments"] == 800


def test_a_long_running_index_forgets_the_names_it_no_longer_holds() -> None:
    index = CoordinationIndex(DetectorConfig(horizon=timedelta(days=1)))
    rng = random.Random(6)
    for day in range(8):  # a new crowd of readers every day
        for i in range(600):
            index.add(comment(day * 1000 + i, f"d{day}-r{i}", f"d{day}-t{i % 50}", day * 1440 + i, sentence(rng, 6),
                              ip=f"d{day}-ip{i}", device=f"d{day}-dev{i}"))
        index.analyse(T0 + timedelta(days=day, hours=23))
    store = index._store  # noqa: SLF001 - the memory bound is the point of the test
    assert len(store.accounts) <= 2 * 1200 + 1024 and len(store.devices) <= 2 * 1200 + 1024
    assert len(store.threads) <= 2 * 100 + 1024 and len(store.ips) <= 2 * 1200 + 1024
    report = index.analyse(T0 + timedelta(days=7, hours=23))
    assert set(report.accounts) == {f"d7-r{i}" for i in range(600)}


def test_near_duplicate_lookup_over_several_blocks_matches_a_plain_comparison() -> None:
    gen = np.random.default_rng(1)
    index = CoordinationIndex()
    base = gen.integers(0, 2**32, size=(50, NUM_PERM), dtype=np.uint32)
    n = BLOCK + 5000
    sigs = base[gen.integers(0, 50, size=n)].copy()
    noise = gen.random((n, NUM_PERM)) < gen.choice([0.05, 0.3, 0.6, 1.0], size=(n, 1))
    sigs[noise] = gen.integers(0, 2**32, size=int(noise.sum()), dtype=np.uint32)
    for i in range(n):
        index.add(comment(i, f"w{i % 3000}", "t", i / 60, "x"), sigs[i])
    probe = "The council approved the harbour budget after months of delay and the ferry operators are furious"
    target = index.signature(probe)
    assert target is not None
    sigs[::977] = target  # some exact copies, then near copies of the probe
    sigs[5::1301, :10] = 7
    index2 = CoordinationIndex()
    for i in range(n):
        index2.add(comment(i, f"w{i % 3000}", "t", i / 60, "x"), sigs[i])
    for threshold in (0.5, 0.8):
        sim = (sigs == target).mean(axis=1)
        expected: dict[str, float] = {}
        for i in np.flatnonzero(sim >= threshold).tolist():
            expected[f"w{i % 3000}"] = max(expected.get(f"w{i % 3000}", 0.0), float(sim[i]))
        assert expected and index2.near_duplicate_accounts(probe, threshold) == expected
