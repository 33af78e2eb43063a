"""The vocabulary of moderation: verdicts, rule hits, decisions and what a rule is asked to judge.

Everything here is pure data. Rules produce :class:`Hit` objects; the pipeline folds them into a
:class:`Decision`. The service layer stores decisions; the web layer shows them to readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping, Protocol, runtime_checkable


class Verdict(StrEnum):
    """What happens to a comment."""

    PUBLISH = "publish"
    HOLD = "hold"
    REJECT = "reject"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Verdict.PUBLISH: 0, Verdict.HOLD: 1, Verdict.REJECT: 2}


class Action(StrEnum):
    """What a rule does when it fires (set per rule in the policy file)."""

    REJECT = "reject"  # refuse the comment with the rule's description; the reader may edit and resend
    HOLD = "hold"  # keep it for a moderator; only its author sees it, as "awaiting review"
    FLAG = "flag"  # publish, but show the hit to moderators

    def verdict(self) -> Verdict:
        if self is Action.REJECT:
            return Verdict.REJECT
        if self is Action.HOLD:
            return Verdict.HOLD
        return Verdict.PUBLISH


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule firing on one comment, with the evidence a reader or moderator can check."""

    rule: str
    description: str
    action: Action
    span: tuple[int, int] | None = None  # character offsets into the ORIGINAL text, end exclusive
    evidence: str | None = None  # the reader's own characters, or the features that drove a score
    score: float | None = None
    strike: bool = False  # counts toward the enforcement ladder
    reasons: tuple[str, ...] = ()  # e.g. top contributing n-grams of a classifier

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "description": self.description,
            "action": self.action.value,
            "span": list(self.span) if self.span is not None else None,
            "evidence": self.evidence,
            "score": self.score,
            "strike": self.strike,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hit:
        span = data.get("span")
        return cls(
            rule=str(data["rule"]),
            description=str(data.get("description", "")),
            action=Action(data.get("action", "flag")),
            span=(int(span[0]), int(span[1])) if span else None,
            evidence=data.get("evidence"),
            score=data.get("score"),
            strike=bool(data.get("strike", False)),
            reasons=tuple(data.get("reasons", ())),
        )


@dataclass(frozen=True, slots=True)
class Subject:
    """What the pipeline judges: the text and the facts about its context that rules may use.

    The service layer fills this in; rules never look anything up themselves.
    """

    text: str
    thread_closed: bool = False
    account_trusted: bool = False  # long clean history: borderline holds are skipped
    coordination_score: float | None = None  # 0..1, the author's troll-cluster score if any
    coordination_cluster: str | None = None
    # A moderator's or administrator's own comment: the holds that spare them (premoderate_links) do not apply
    author_moderator: bool = False


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule returns: its hits (possibly none) and any scores it computed."""

    hits: tuple[Hit, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of the whole pipeline for one comment."""

    verdict: Verdict
    hits: tuple[Hit, ...]
    scores: Mapping[str, float]
    policy_version: str

    @property
    def deciding_hits(self) -> tuple[Hit, ...]:
        """The hits whose action produced the verdict (what the reader is told)."""
        return tuple(h for h in self.hits if h.action.verdict() is self.verdict and self.verdict is not Verdict.PUBLISH)

    @property
    def strike(self) -> bool:
        return any(h.strike for h in self.deciding_hits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "hits": [h.to_dict() for h in self.hits],
            "scores": dict(self.scores),
            "policy_version": self.policy_version,
        }


@runtime_checkable
class Phase(Protocol):
    """One step of the moderation pipeline: a small unit with a name and a description."""

    name: str
    description: str

    def evaluate(self, subject: Subject) -> RuleResult: ...
