"""Wording in circulation does not depend on how many readers hold an opinion. Readers of one side behind a
campus network who use their side's slogans are not flagged for them whether 30 other readers of that side use the
slogans too or only a handful do (a minority's slogans are in circulation as much as a majority's); a campaign's
own talking points still count when a few stray accounts copy them. Each scenario is added on top of a simulated
site (tests/trolls/test_independence.py)."""

from __future__ import annotations

import pytest

from townhall.trolls import Signal
from tests.trolls.test_independence import POINTS, SLOGANS, Site, flagged_of, site


def _readers(s: Site, names: list[str], slogans_each: int, ip: str | None = None) -> None:
    """Ordinary readers: some of their side's slogans among their own words, at ordinary times on popular threads."""
    for name in names:
        s.reader(name, s.rng.sample(SLOGANS, slogans_each) + [s.own_words() for _ in range(7)], ip=ip)


@pytest.mark.parametrize(("seed", "others"), [(3, 5), (11, 5), (9, 8)])
def test_campus_readers_of_a_minority_side_are_not_flagged_for_slogans_a_handful_of_others_use(seed: int, others: int) -> None:
    """12 readers behind one campus prefix each post 3 of their side's 5 slogans; only a handful of that side's
    readers elsewhere use them (the side is small on this site). Before 2026-11-28 the slogans counted as the
    group's own wording unless more readers elsewhere than on the campus used them: flagged (wording + network),
    while the same students of a side 30 readers elsewhere share were not. (A slogan that few of the others
    happen to use, under a quarter of its writers, stays the students' own: on seed 9 with 5 or 6 others one
    such slogan and their shared hour of day still flag them, at exactly 0.80.)"""
    s = site(seed)
    students, elsewhere = [f"student-{i}" for i in range(12)], [f"side-{i}" for i in range(others)]
    _readers(s, students, 3, ip="ip-campus")
    _readers(s, elsewhere, 3)
    report = s.analyse()
    assert flagged_of(report, students + elsewhere) == []
    watched = report.cluster(report.accounts[students[0]].cluster or "")
    assert watched is not None and watched.strengths.get(Signal.IP_PREFIX, 0.0) >= 0.5  # the network is still seen


def test_a_copy_paste_crew_on_shared_phones_behind_one_network_is_flagged_though_a_few_strays_copy_its_points() -> None:
    """The control: 12 accounts on three phones behind one network each post the crew's 8 talking points; three
    more accounts (own devices and networks, ordinary timing) each copy two of them. The points are the crew's
    own, not wording in circulation, so the crew is flagged on wording + its shared hardware."""
    s = site(9)
    crew = [f"op-{i}" for i in range(12)]
    for i, name in enumerate(crew):
        s.reader(name, POINTS + [s.own_words() for _ in range(4)], device=f"farm-phone-{i % 3}", ip="ip-farm")
    for k in range(3):
        s.reader(f"stray-{k}", s.rng.sample(POINTS, 2) + [s.own_words() for _ in range(8)])
    _readers(s, [f"side-{i}" for i in range(5)], 3)
    report = s.analyse()
    assert len(flagged_of(report, crew)) >= 11
    cluster = report.cluster(report.accounts[crew[0]].cluster or "")
    assert cluster is not None and cluster.strengths.get(Signal.TEXT_REUSE, 0.0) >= 0.5
