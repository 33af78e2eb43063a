"""Account-level targets on simulated comment sections: campaigns of >= 5 accounts with >= 2 signals are
found (precision >= 0.95 at recall >= 0.85) and no hard-negative group is flagged. Over the campaigns that lean
on two independent families of evidence (a shared device and a sign-up day are one family: a household) the
recall must reach 0.85 too."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.trolls.helpers import mixed_simulation
from townhall.trolls import analyse_events
from townhall.trolls.evaluate import Evaluation, evaluate
from townhall.trolls.sim_data import DataSource

HARD_NEGATIVES = ("heavy_posters", "friends", "same_opinion_crowd", "shared_nat", "breaking_news", "famous_quote")


def _check(ev: Evaluation) -> None:
    assert ev.trolls >= 50
    assert ev.precision >= 0.95, ev
    assert ev.recall >= 0.85, ev
    assert ev.independent_recall >= 0.85, ev
    for name in HARD_NEGATIVES:
        group = ev.group(name)
        assert group.accounts > 0
        assert group.flagged == 0, group


def test_targets_without_shared_data() -> None:
    sim = mixed_simulation(None, seed=1)
    assert sim.source is DataSource.SYNTHETIC
    _check(evaluate(sim, analyse_events(sim.events, sim.now, rng=random.Random(0))))


@pytest.mark.shared_data
def test_targets_on_real_text_and_troll_timing(shared_data: Path) -> None:
    sim = mixed_simulation(shared_data, seed=2)
    assert sim.source is DataSource.REAL
    _check(evaluate(sim, analyse_events(sim.events, sim.now, rng=random.Random(0))))


@pytest.mark.shared_data
def test_flipping_every_stance_changes_no_flag(shared_data: Path) -> None:
    """Swap the two sides' sentence pools: every text changes, the flagged set must not."""
    sim = mixed_simulation(shared_data, seed=3, accounts=1500, comments=15000, campaigns=8)
    flipped = mixed_simulation(shared_data, seed=3, accounts=1500, comments=15000, campaigns=8, flip=True)
    changed = sum(a.text != b.text for a, b in zip(sim.events, flipped.events))
    assert changed > 0.95 * len(sim.events)
    assert [e.account for e in sim.events] == [e.account for e in flipped.events]
    flags = analyse_events(sim.events, sim.now, rng=random.Random(0)).flagged_accounts()
    flags_flipped = analyse_events(flipped.events, flipped.now, rng=random.Random(0)).flagged_accounts()
    assert flags  # the test means something only if campaigns are found
    assert flags == flags_flipped


def test_small_site_hard_negatives_stay_unflagged() -> None:
    """On a small site a carrier prefix holds only a dozen readers and friends stand out more; a friends'
    pair inside such a group must not lend the group their timing (a regression seen in development)."""
    sim = mixed_simulation(None, seed=5, campaigns=4, accounts=800, comments=8000)
    ev = evaluate(sim, analyse_events(sim.events, sim.now, rng=random.Random(0)))
    # two of its four campaigns lean on one family (a device shared with a network or a sign-up day): a household
    assert ev.precision >= 0.95 and ev.independent_recall >= 0.75, ev
    for name in HARD_NEGATIVES:
        assert ev.group(name).flagged == 0, ev.group(name)
