"""Account-level scoring of a report against a simulation's ground truth (tests and bench)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from townhall.trolls.report import FAMILY, Family, Report, Signal
from townhall.trolls.simulate import CampaignSpec, Role, SimResult

# The campaign signals a simulated campaign can carry (each maps to CampaignSpec fields).
SIGNALS = ("text_reuse", "sync", "shared_device", "brigade", "creation_burst", "shared_ip")
# The detector's kind of evidence each campaign signal produces, and so its family (report.FAMILY): a campaign
# whose signals are all of one family (one device + one sign-up day) looks exactly like a household, and is
# by design not flagged on that.
SIGNAL_KIND = {"text_reuse": Signal.TEXT_REUSE, "sync": Signal.SYNC, "brigade": Signal.BRIGADE,
               "shared_device": Signal.DEVICE, "shared_ip": Signal.IP_PREFIX, "creation_burst": Signal.CREATION_BURST}
SIGNAL_FAMILY = {name: FAMILY[kind] for name, kind in SIGNAL_KIND.items()}


def families(spec: CampaignSpec) -> frozenset[Family]:
    """The families of evidence a simulated campaign leans on (signals at >= 0.5)."""
    out = {SIGNAL_FAMILY[name] for name in SIGNALS if name != "creation_burst" and float(getattr(spec, name)) >= 0.5}
    if spec.creation_burst:
        out.add(Family.INFRASTRUCTURE)
    return frozenset(out)


class Strength(StrEnum):
    """How hard a simulated campaign leans on each of its signals."""

    STRONG = "strong"  # 0.9 on each of 2-3 signals
    MEDIUM = "medium"  # 0.7 on each of 2 signals
    WEAK = "weak"  # 0.5 on each of 2 signals, fewer operations
    ONE_SIGNAL = "one_signal"  # 0.9 on a single signal: by design mostly not flagged

    @property
    def level(self) -> float:
        return {Strength.STRONG: 0.9, Strength.MEDIUM: 0.7, Strength.WEAK: 0.5, Strength.ONE_SIGNAL: 0.9}[self]


def campaign_mix(strength: Strength, count: int, rng: random.Random, first_side: int = 0) -> tuple[CampaignSpec, ...]:
    """``count`` campaigns of 5-20 accounts; each picks its signals at random (seeded)."""
    out = []
    for i in range(count):
        k = 1 if strength is Strength.ONE_SIGNAL else (3 if strength is Strength.STRONG and rng.random() < 0.5 else 2)
        chosen = rng.sample(SIGNALS, k)
        level = strength.level
        fields: dict[str, object] = {name: level for name in chosen if name != "creation_burst"}
        fields["creation_burst"] = "creation_burst" in chosen
        ops = 12 if strength is Strength.WEAK else 20
        out.append(CampaignSpec(size=rng.randint(5, 20), ops=ops, side=(first_side + i) % 2, **fields))  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    group: str
    accounts: int
    flagged: int

    @property
    def rate(self) -> float:
        return self.flagged / self.accounts if self.accounts else 0.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    precision: float
    recall: float
    true_flags: int
    false_flags: int
    trolls: int
    groups: tuple[GroupOutcome, ...]  # campaigns and hard-negative groups
    independent_trolls: int = 0  # accounts of campaigns that lean on >= 2 families of evidence
    independent_flagged: int = 0

    @property
    def independent_recall(self) -> float:
        """Recall over campaigns with two independent families of evidence (what the detector promises)."""
        return self.independent_flagged / self.independent_trolls if self.independent_trolls else 1.0

    def group(self, name: str) -> GroupOutcome:
        return next(g for g in self.groups if g.group == name)


def evaluate(sim: SimResult, report: Report, threshold: float | None = None) -> Evaluation:
    """Precision/recall over troll accounts; flags counted per campaign and per hard-negative group."""
    if threshold is None:
        flagged = report.flagged_accounts()
    else:
        flagged = frozenset(a for a, r in report.accounts.items() if r.score >= threshold and r.cluster is not None)
    trolls = {a for a, r in sim.roles.items() if r is Role.TROLL}
    tp = len(flagged & trolls)
    fp = len(flagged - trolls)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(trolls) if trolls else 1.0
    groups = tuple(GroupOutcome(name, len(members), len(flagged & members)) for name, members in sim.groups.items())
    two = set().union(*(sim.groups[name] for name, spec in sim.specs.items() if len(families(spec)) >= 2))
    return Evaluation(precision, recall, tp, fp, len(trolls), groups, len(two & trolls), len(flagged & two & trolls))
