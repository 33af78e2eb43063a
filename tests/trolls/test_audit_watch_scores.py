"""Audit: an account is acted on (its comments held by the paid-troll rule, which reads its score) only when the
moderators' queue shows a flagged cluster naming it. A member of a cluster that is only watched must not score at
or above the flag threshold: nothing in the queue names it, so no moderator can dismiss what holds its comments."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Mapping

from tests.trolls.test_independence import site
from townhall.trolls import CommentEvent, ReactionEvent, ReactionKind, Report, analyse_events

FRIENDS = ("friend-a", "friend-b")
FAMILY = ("relative-1", "relative-2", "relative-3")


def friends_and_a_household(names: Mapping[str, str] | None = None,
                            end: datetime | None = None) -> tuple[list[CommentEvent | ReactionEvent], datetime]:
    """A simulated site where two friends read together and like the same comments (timing + targeting: a
    cluster of their own is flagged, held and dismissable), and one of them shares the family tablet with three
    relatives. ``names`` renames the five accounts; ``end`` moves every event so the site's "now" is ``end``."""
    s = site(6)
    for k, thread in enumerate(s.rng.sample(s.threads[: len(s.threads) // 2], 10)):
        start = s.when(thread)
        others = [e for e in s.sim.events if e.thread == thread and e.created_at < start][-20:]
        liked = s.rng.sample(others, min(2, len(others)))
        for i, name in enumerate(FRIENDS):
            at = start + timedelta(minutes=s.rng.uniform(0, 6))
            device = "dev-family-tablet" if name == "friend-a" else f"dev-{name}"
            s.events.append(CommentEvent(f"x-{name}-{k}", name, thread, at, s.own_words(), device=device, ip=f"ip-{name}",
                                         account_created_at=s.old()))
            for target in liked:
                s.events.append(ReactionEvent(name, target.id, ReactionKind.LIKE, at + timedelta(seconds=30 + i)))
    for name in FAMILY:
        s.reader(name, [s.own_words() for _ in range(10)], device="dev-family-tablet")
    rename, shift = dict(names or {}), (end - s.sim.now) if end is not None else timedelta(0)
    out: list[CommentEvent | ReactionEvent] = []
    for e in sorted(s.events, key=lambda e: e.created_at):
        if isinstance(e, CommentEvent):
            out.append(CommentEvent(e.id, rename.get(e.account, e.account), e.thread, e.created_at + shift, e.text, e.parent,
                                    e.ip, e.device, e.account_created_at + shift if e.account_created_at else None))
        else:
            out.append(ReactionEvent(rename.get(e.account, e.account), e.comment, e.kind, e.created_at + shift))
    return out, s.sim.now + shift


def _report() -> Report:
    events, now = friends_and_a_household()
    return analyse_events(events, now, rng=random.Random(0))


def test_no_member_of_a_watched_cluster_scores_at_the_flag_threshold() -> None:
    report = _report()
    cluster = report.cluster(report.accounts[FRIENDS[0]].cluster or "")
    assert cluster is not None and set(FRIENDS + FAMILY) <= set(cluster.members)
    assert not cluster.flagged  # one household plus two friends: only watched, nothing goes to the queue
    acted_on = {a: round(r.score, 3) for a, r in report.accounts.items() if r.score >= report.threshold and not r.flagged}
    assert acted_on == {}, "scores at the threshold that no flag names (the paid-troll rule holds these accounts)"


def test_every_account_scoring_at_the_threshold_is_named_by_a_flagged_cluster() -> None:
    report = _report()
    named = {m for c in report.clusters for m in c.flagged_members}
    assert {a for a, r in report.accounts.items() if r.score >= report.threshold} <= named
    for c in report.clusters:
        assert c.flagged or max(c.member_scores.values(), default=0.0) < report.threshold, c.id
