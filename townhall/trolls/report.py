"""What an analysis returns: clusters of accounts with scores and evidence a moderator can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Mapping


class Signal(StrEnum):
    """Kinds of coordination evidence. None of them looks at what a comment argues."""

    TEXT_REUSE = "text_reuse"
    SYNC = "synchronised_arrival"
    BRIGADE = "reply_brigade"
    DEVICE = "shared_device"
    IP_PREFIX = "shared_ip_prefix"
    CREATION_BURST = "creation_burst"
    RHYTHM = "activity_rhythm"  # supporting only: never counts as a kind of its own


class Family(StrEnum):
    """Kinds that one everyday cause produces together, so they are one kind of evidence, not two: a household
    or office shares a device, a network and often a sign-up day. Arriving together and piling onto the same
    comments stay two families: a campaign without shared text or hardware shows exactly these two, again
    and again (friends who read together and like the same comments can show them too: they are held for a
    moderator, whose dismissal then sticks; see docs/trolls.md)."""

    WORDING = "wording"
    TIMING = "timing"
    TARGETING = "targeting"
    INFRASTRUCTURE = "infrastructure"


# Kinds that count toward "two independent kinds" (at most one per family); RHYTHM only nudges a score.
COUNTED = (Signal.TEXT_REUSE, Signal.SYNC, Signal.BRIGADE, Signal.DEVICE, Signal.IP_PREFIX, Signal.CREATION_BURST)
FAMILY: Mapping[Signal, Family] = {
    Signal.TEXT_REUSE: Family.WORDING,
    Signal.SYNC: Family.TIMING, Signal.BRIGADE: Family.TARGETING,
    Signal.DEVICE: Family.INFRASTRUCTURE, Signal.IP_PREFIX: Family.INFRASTRUCTURE, Signal.CREATION_BURST: Family.INFRASTRUCTURE,
}
# Kinds that may flag on their own when overwhelming: many distinct rare texts copied, or many accounts
# on one device fingerprint. Timing alone never flags (friends and couples move together).
SOLO = (Signal.TEXT_REUSE, Signal.DEVICE)


class ClusterState(StrEnum):
    FLAGGED = "flagged"  # score >= threshold: hold its comments, ask a moderator to confirm
    WATCH = "watch"  # some coordination, not enough to act on


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    members: tuple[str, ...]
    score: float
    state: ClusterState
    strengths: Mapping[Signal, float]  # 0.5 = significant, 1.0 = twice the bits needed, 2.0 cap
    evidence: tuple[Mapping[str, Any], ...] = ()
    member_scores: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 0.8

    @property
    def flagged(self) -> bool:
        return self.state is ClusterState.FLAGGED

    @property
    def flagged_members(self) -> tuple[str, ...]:
        """Members whose own score reaches the threshold: the accounts to act on when a moderator
        confirms the cluster (a member only loosely tied to it is shown, not sanctioned)."""
        if not self.flagged:
            return ()
        return tuple(m for m in self.members if self.member_scores.get(m, 0.0) >= self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": list(self.members),
            "flagged_members": list(self.flagged_members),
            "member_scores": {m: round(v, 4) for m, v in self.member_scores.items()},
            "score": round(self.score, 4),
            "state": self.state.value,
            "signals": {k.value: round(v, 3) for k, v in self.strengths.items()},
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class AccountResult:
    account: str
    score: float
    cluster: str | None
    flagged: bool
    strengths: Mapping[Signal, float] = field(default_factory=dict)

    def to_dict(self, evidence: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "account": self.account,
            "score": round(self.score, 4),
            "flagged": self.flagged,
            "cluster": self.cluster,
            "evidence": evidence if evidence is not None else [],
        }


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: datetime
    threshold: float
    clusters: tuple[Cluster, ...]
    accounts: Mapping[str, AccountResult]  # every account seen in the horizon
    stats: Mapping[str, Any] = field(default_factory=dict)

    def cluster(self, cluster_id: str) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def flagged_accounts(self) -> frozenset[str]:
        return frozenset(a for a, r in self.accounts.items() if r.flagged)
