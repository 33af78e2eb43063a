"""The paid-troll rule: acts on the coordination score that ``townhall.trolls`` computed for the author.

The rule itself detects nothing: the service layer puts the author's cluster score and cluster id into
the :class:`~townhall.policy.types.Subject`. At ``hold_at`` or above, the comment gets the rule's action
(hold by default: a moderator confirms a campaign, the software does not). ``ban_at`` (0 = never) marks
the hit with the reason ``"ban_at"`` so the enforcement layer may ban without waiting for a moderator.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Mapping

from townhall.policy.rules.base import Resources, RuleConfigError, RuleSpec, unit_interval
from townhall.policy.types import Action, Hit, RuleResult, Subject

__all__ = ["CoordinationRule", "BAN_REASON"]

BAN_REASON = "ban_at"
# The highest score the coordination detector ever gives (townhall.trolls.detector.MAX_SCORE: every kind of
# evidence at its cap, 1 - 0.2 ** 2.1). Worked out here so that loading a policy does not import the
# detector; a test checks that the two agree.
DETECTOR_MAX_SCORE = 1.0 - 0.2**2.1  # 0.965946…


@dataclass(frozen=True, slots=True)
class CoordinationRule:
    type_name: ClassVar[str] = "coordination"
    trust_softens: ClassVar[bool] = True  # a trusted account's held comment is flagged instead

    name: str
    description: str
    action: Action
    strike: bool
    hold_at: float
    ban_at: float  # 0: never

    @classmethod
    def from_spec(cls, spec: RuleSpec, resources: Resources) -> CoordinationRule:
        options = dict(spec.options)
        unknown = sorted(set(options) - {"hold_at", "ban_at"})
        if unknown:
            raise RuleConfigError(unknown[0], "unknown option for a coordination rule (options: hold_at, ban_at)")
        hold_at = unit_interval(options, "hold_at", 0.8)
        ban_at = unit_interval(options, "ban_at", 0.0)
        if ban_at and ban_at < hold_at:
            raise RuleConfigError("ban_at", f"must be 0 (never) or at least hold_at ({hold_at}), not {ban_at}")
        for key, value in (("hold_at", hold_at), ("ban_at", ban_at)):
            if value > DETECTOR_MAX_SCORE:
                raise RuleConfigError(key, f"must be at most {DETECTOR_MAX_SCORE:.5f}, the highest score the coordination "
                                           f"detector gives; at {value} it would never apply")
        return cls(spec.name, spec.description, spec.action, spec.strike, hold_at, ban_at)

    def evaluate(self, subject: Subject) -> RuleResult:
        score = subject.coordination_score
        if score is None:
            return RuleResult()
        scores = {self.name: float(score)}
        if score < self.hold_at:
            return RuleResult(scores=scores)
        cluster = subject.coordination_cluster
        evidence = f"account is in coordinated cluster {cluster}" if cluster else "account acts in concert with others"
        reasons: tuple[str, ...] = (f"cluster score {score:.2f} >= {self.hold_at:.2f}",)
        if self.ban_at and score >= self.ban_at:
            reasons += (BAN_REASON,)
        hit = Hit(self.name, self.description, self.action, evidence=evidence, score=float(score),
                  strike=self.strike, reasons=reasons)
        return RuleResult(hits=(hit,), scores=scores)

    def explain(self) -> str:
        ban = f"; at {self.ban_at:.2f} the account may be banned automatically" if self.ban_at else \
            "; a moderator confirms a campaign before anyone is banned"
        return (f"{self.name}: comments from accounts acting in concert with others (paid-troll campaign "
                f"score at least {self.hold_at:.2f}) are {_ACTION_WORDS[self.action]}{ban}.")


_ACTION_WORDS: Mapping[Action, str] = MappingProxyType(
    {Action.REJECT: "refused", Action.HOLD: "held for a moderator", Action.FLAG: "published but flagged"}
)
