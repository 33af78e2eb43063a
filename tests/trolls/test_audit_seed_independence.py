"""Audit: the same events give the same scores whatever seed the detector is given (the service always uses one
seed, ``townhall trolls --seed`` any): a reader's flag must not depend on which 200 accounts a random sample of
the rhythm baseline happened to draw. Small components (no Louvain split) leave nothing else to chance."""

from __future__ import annotations

import random

from tests.trolls.test_independence import site
from townhall.trolls import analyse_events


def test_scores_do_not_depend_on_the_seed() -> None:
    s = site(31)
    for name in ("fam-1", "fam-2", "fam-3", "fam-4"):
        s.reader(name, [s.own_words() for _ in range(8)], device="dev-fam", ip="ip-fam")
    events = sorted(s.events, key=lambda e: e.created_at)
    first, second = (analyse_events(events, s.sim.now, rng=random.Random(seed)) for seed in (0, 1))
    assert [c.members for c in first.clusters] == [c.members for c in second.clusters]
    assert any(c.strengths.get("activity_rhythm", 0.0) > 0 for c in first.clusters)  # the rhythm is in play
    differ = {a: (r.score, second.accounts[a].score) for a, r in first.accounts.items() if r.score != second.accounts[a].score}
    assert differ == {}
