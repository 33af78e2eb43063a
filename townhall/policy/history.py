"""A reader's recent comment history: ``[history] hold_rejected_share`` (Coral's "Recent history").

A reader whose comments written within the last ``days`` were mostly rejected has their next comments held for a
moderator: "N of M comments in the last D days were rejected", M at least ``min_comments`` and N / M at least
``hold_rejected_share``. It is a hold, not a sanction: no strike, nothing to appeal; a moderator's approval
publishes the comment as usual (and counts in the reader's favour), and the hold ends by itself once the share falls
below the threshold (approvals, or rejections growing older than ``days``).

What counts (the service reads it, :mod:`townhall.service.history`; this module only decides):

* M counts the comments that were *judged*: published (by the house rules or a moderator) or rejected (refused by a
  house rule, or rejected or removed by a moderator). A comment still held for a moderator counts in neither N nor M
  (as in Coral: rejected / (rejected + approved)). Each comment counts as its latest judgement, so an edit the rules
  let through mends a refusal, and a moderator's approval of a refused comment clears it.
* A refusal by the built-in checks that say nothing about conduct, :data:`NOT_CONDUCT` (an empty or too long
  comment, a closed thread), counts in neither.
* A comment its author deleted counts as it was judged before: deleting refused comments does not clear the record.

Pure: the caller passes the counts; no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable

from townhall.policy.config import HistoryConfig
from townhall.policy.types import Action, Hit

__all__ = ["HISTORY_READ", "NOT_CONDUCT", "RECENT_HISTORY_HELD", "RECENT_HISTORY_RULE", "Outcome", "RecentHistory",
           "Tally", "refused_for_conduct", "tally"]

RECENT_HISTORY_RULE = "recent_history"  # the hit that holds a reader's comment for their recent history
RECENT_HISTORY_HELD = ("Comments from this account are reviewed by a moderator before they appear, because many of its "
                       "recent comments were rejected.")
# Refusals by the built-in checks of townhall.policy.pipeline that say nothing about how a reader behaves
NOT_CONDUCT: frozenset[str] = frozenset({"length", "closed_thread"})
HISTORY_READ = 500  # the reader's latest comments of the window that are read (a few milliseconds at most)


class Outcome(StrEnum):
    """How one comment of the window was judged, as far as the history goes (a held one has none yet)."""

    APPROVED = "approved"  # published, by the house rules or a moderator
    REJECTED = "rejected"  # refused by a house rule, or rejected (removed) by a moderator


def refused_for_conduct(rules: Iterable[str]) -> bool:
    """Whether a refusal by the house rules whose refusing hits are ``rules`` counts as a rejection: a house rule
    refused it, not only a built-in check of :data:`NOT_CONDUCT`."""
    return any(rule not in NOT_CONDUCT for rule in rules)


@dataclass(frozen=True, slots=True)
class Tally:
    """``rejected`` of the ``judged`` comments of the window (``judged`` counts the rejected ones too)."""

    rejected: int
    judged: int

    @property
    def share(self) -> float:
        return self.rejected / self.judged if self.judged else 0.0


def tally(outcomes: Iterable[Outcome | None]) -> Tally:
    """The counts of a window's outcomes; ``None`` (held, or refused for no conduct) counts in neither."""
    rejected = judged = 0
    for outcome in outcomes:
        if outcome is not None:
            judged += 1
            rejected += outcome is Outcome.REJECTED
    return Tally(rejected, judged)


@dataclass(frozen=True, slots=True)
class RecentHistory:
    """Holds a reader's comment when their recent history says so (``[history]``); the service adds its hit only to
    a comment the house rules would publish, and only for readers (never a moderator's or administrator's)."""

    config: HistoryConfig
    name: str = RECENT_HISTORY_RULE
    description: str = RECENT_HISTORY_HELD

    def holds(self, counts: Tally) -> bool:
        c = self.config
        # (the share itself, not share * judged: 0.7 * 10 is 7.000000000000001, and 7 of 10 must be held at 0.7)
        return c.on and counts.judged >= max(c.min_comments, 1) and counts.share >= c.hold_rejected_share

    def evidence(self, counts: Tally) -> str:
        """``2 of 3 comments in the last 7 days were rejected``."""
        days = self.config.days
        return (f"{counts.rejected} of {counts.judged} comment{'s' * (counts.judged != 1)} in the last "
                f"{'day' if days == 1 else f'{days:g} days'} {'was' if counts.rejected == 1 and counts.judged == 1 else 'were'} "
                "rejected")

    def notice(self, counts: Tally) -> str:
        """What the reader is told while the hold is on (GET /api/v1/me's ``premoderation.reason``)."""
        return (f"Comments from this account are reviewed by a moderator before they appear: {self.evidence(counts)}. "
                "This is not a sanction; it ends by itself when fewer of its recent comments are rejected.")

    def judge(self, counts: Tally) -> Hit | None:
        """The hold, with its evidence, or None."""
        if not self.holds(counts):
            return None
        return Hit(self.name, self.description, Action.HOLD, evidence=self.evidence(counts))

    def explain(self) -> str:
        c = self.config
        days = "day" if c.days == 1 else f"{c.days:g} days"
        share = f"{c.hold_rejected_share * 100:g}%"
        return (f"recent history: premoderated at {share} rejected. A reader's comment is held for a "
                f"moderator when at least {share} of their comments of the last {days} that were "
                f"published or rejected (at least {c.min_comments}) were rejected (by a house rule or a moderator); "
                "no strike; moderators' own comments are not held.")
