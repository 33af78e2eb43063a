"""Audit: a family on one tablet is not a paid-troll campaign. A tablet is used by one person at a time, so a family
that reads the news together passes it round: each comments on the same story a few minutes after the other, visit
after visit. Those arrivals are the shared device's evidence (one cause, the infrastructure family), not a second,
independent kind of coordination; the household must not be flagged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.trolls.test_independence import POINTS, flagged_of, site
from townhall.trolls import CommentEvent


@pytest.mark.parametrize(("size", "evenings", "seed"), [(3, 10, 11), (4, 8, 12)])
def test_a_family_passing_one_tablet_round_is_not_flagged(size: int, evenings: int, seed: int) -> None:
    s = site(seed)
    family = [f"fam-{i}" for i in range(size)]
    k = 0
    for thread in s.rng.sample(s.threads[: len(s.threads) // 2], evenings):
        at = s.when(thread)
        for name in s.rng.sample(family, s.rng.randint(2, size)):
            at += timedelta(minutes=s.rng.uniform(1, 4))  # the next one takes the tablet and comments
            s.events.append(CommentEvent(f"x-{name}-{k}", name, thread, at, s.own_words(), device="dev-family-tablet",
                                         ip="ip-home", account_created_at=s.old()))
            k += 1
    for name in family:
        s.reader(name, [s.own_words() for _ in range(5)], device="dev-family-tablet", ip="ip-home")
    assert flagged_of(s.analyse(), family) == []


def test_a_campaign_arriving_together_from_several_phones_is_still_flagged() -> None:
    """Arrivals from different devices still count: operators on two phones who post talking points together."""
    s = site(13)
    names = [f"op-{i}" for i in range(8)]
    for k, thread in enumerate(s.rng.sample(s.threads[: len(s.threads) // 2], 8)):
        at = s.when(thread)
        for i, name in enumerate(names):
            s.events.append(CommentEvent(f"x-{name}-{k}", name, thread, at + timedelta(minutes=s.rng.uniform(0, 5)),
                                         POINTS[(k + i) % len(POINTS)], device=f"farm-phone-{i % 2}", ip=f"ip-{name}",
                                         account_created_at=s.old()))
    assert len(flagged_of(s.analyse(), names)) >= 7
