"""Account-level scoring of a report against a simulation's ground truth (tests and bench)."""

from __future__ import annotations

from dataclasses import dataclass

from townhall.trolls.report import Report
from townhall.trolls.simulate import Role, SimResult


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
    return Evaluation(precision, recall, tp, fp, len(trolls), groups)
