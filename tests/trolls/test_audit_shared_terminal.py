"""Audit: readers who take turns on one shared computer (a library terminal, a school or office PC: one browser, so
one device id in the widget's storage) are not a paid-troll farm. Many accounts on one device stand alone as
evidence only where one operator switches between them on the same thread within minutes."""

from __future__ import annotations

from datetime import timedelta

from tests.trolls.test_independence import flagged_of, site
from townhall.trolls import CommentEvent


def test_readers_taking_turns_on_a_library_terminal_are_not_flagged() -> None:
    s = site(21)
    readers = [f"library-{i}" for i in range(12)]
    for name in readers:
        s.reader(name, [s.own_words() for _ in range(6)], device="dev-library-pc", ip="ip-library")
    report = s.analyse()
    assert flagged_of(report, readers) == []
    assert max(report.accounts[n].score for n in readers) < 0.8


def test_a_farm_switching_accounts_on_one_phone_is_still_flagged() -> None:
    s = site(23)
    farm = [f"farm-{i}" for i in range(10)]
    for k, thread in enumerate(s.rng.sample(s.threads[: len(s.threads) // 2], 6)):
        at = s.when(thread)
        for name in s.rng.sample(farm, 4):
            at += timedelta(minutes=s.rng.uniform(0.5, 2))  # log out, log in as the next account, post
            s.events.append(CommentEvent(f"x-{name}-{k}", name, thread, at, s.own_words(), device="dev-farm-phone",
                                         ip=f"ip-{name}", account_created_at=s.old()))
    for name in farm:
        s.reader(name, [s.own_words() for _ in range(4)], device="dev-farm-phone", ip=f"ip-{name}")
    assert len(flagged_of(s.analyse(), farm)) >= 9
