"""The moderation pipeline: an ordered list of phases folded into one decision.

Every phase runs (so every hit is recorded as evidence); hits accumulate in phase order. The verdict is
the most severe one any hit asks for (reject > hold > publish); among equally severe hits the first phase's
hit is the one shown first to the reader. This is "first verdict wins" made order-independent for
severity: a later rejection is never hidden behind an earlier hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from townhall.policy.normalise import blank
from townhall.policy.types import Action, Decision, Hit, Phase, RuleResult, Subject, Verdict


@dataclass(frozen=True, slots=True)
class LengthPhase:
    """Refuses empty comments and comments longer than the policy allows."""

    max_length: int
    name: str = "length"
    description: str = "Comments must contain some text and stay within the length limit."

    def evaluate(self, subject: Subject) -> RuleResult:
        text = subject.text
        if blank(text):  # whitespace, or characters a browser draws as nothing: an empty comment to a reader
            return RuleResult(hits=(Hit(self.name, "A comment needs some text.", Action.REJECT),))
        if len(text) > self.max_length:
            msg = f"Comments can be at most {self.max_length} characters long; this one has {len(text)}."
            return RuleResult(hits=(Hit(self.name, msg, Action.REJECT, span=(self.max_length, len(text))),))
        return RuleResult()


@dataclass(frozen=True, slots=True)
class ClosedThreadPhase:
    """Refuses comments on threads that the publisher has closed."""

    name: str = "closed_thread"
    description: str = "Comments are closed on this article."

    def evaluate(self, subject: Subject) -> RuleResult:
        if subject.thread_closed:
            return RuleResult(hits=(Hit(self.name, self.description, Action.REJECT),))
        return RuleResult()


def run_pipeline(phases: Sequence[Phase], subject: Subject, policy_version: str) -> Decision:
    """Run every phase in order and fold the hits into one decision."""
    hits: list[Hit] = []
    scores: dict[str, float] = {}
    for phase in phases:
        result = phase.evaluate(subject)
        hits.extend(result.hits)
        scores.update(result.scores)
    verdict = Verdict.PUBLISH
    for hit in hits:
        v = hit.action.verdict()
        if v.severity > verdict.severity:
            verdict = v
    return Decision(verdict=verdict, hits=tuple(hits), scores=scores, policy_version=policy_version)
