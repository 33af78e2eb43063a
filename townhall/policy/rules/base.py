"""What every rule type shares: the common fields of a ``[[rules]]`` entry, config errors, and the
application-wide resources (such as the classifier model) that rule types may need."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Mapping, Protocol

from townhall.policy.types import Action, Phase, RuleResult, Subject

TRUST_NOTE = "trusted account: a borderline hold becomes a flag"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """The common fields of one ``[[rules]]`` entry, plus its type-specific options."""

    name: str
    type: str
    description: str
    action: Action
    strike: bool
    options: Mapping[str, Any] = field(default_factory=dict)


class RuleConfigError(ValueError):
    """A rule entry is wrong. ``key`` names the offending option so the loader can point at its line."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def unit_interval(options: Mapping[str, Any], key: str, default: float | None = None, *, missing: str = "") -> float:
    """A rule option that is a score between 0 and 1: ``default`` when it is absent, or, without a default,
    an error saying ``missing``. The loader puts the rule and key in front of the message."""
    if key not in options:
        if default is None:
            raise RuleConfigError(key, missing or "is required (a score between 0 and 1)")
        return default
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleConfigError(key, f"must be a number between 0 and 1, not {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise RuleConfigError(key, f"must be between 0 and 1, not {value}")
    return float(value)


class Resources:
    """Heavy things that rules share, loaded once per application on first use (never at import)."""

    def __init__(self, model_dir: Path | None = None, route_at: float | None = None) -> None:
        self.model_dir = model_dir
        self.route_at = route_at  # None: the model's own routing threshold for its second stage
        self._classifier_model: Any = None

    def classifier_model(self) -> Any:
        if self._classifier_model is None:
            from townhall.policy.classifiers import load_model

            self._classifier_model = load_model(self.model_dir, route_at=self.route_at)
        return self._classifier_model


class RuleType(Protocol):
    """A rule type: a class registered under ``type_name`` that builds a phase from a rule entry."""

    type_name: ClassVar[str]

    @classmethod
    def from_spec(cls, spec: RuleSpec, resources: Resources) -> Phase: ...


@dataclass(frozen=True, slots=True)
class TrustSoftened:
    """A rule seen through a trusted account: its HOLD hits (borderline scores) become FLAG."""

    inner: Phase
    name: str
    description: str

    def evaluate(self, subject: Subject) -> RuleResult:
        result = self.inner.evaluate(subject)
        if not any(h.action is Action.HOLD for h in result.hits):
            return result
        hits = tuple(
            replace(h, action=Action.FLAG, reasons=h.reasons + (TRUST_NOTE,)) if h.action is Action.HOLD else h
            for h in result.hits
        )
        return RuleResult(hits=hits, scores=result.scores)


def plain_words(rule: Phase, kind: str) -> str:
    """For ``policy check``, a rule without ``explain()``: its description, plus its thresholds when it has
    the usual ones."""
    text = f"{rule.name} ({kind}): {rule.description}"
    hold_at, reject_at = getattr(rule, "hold_at", None), getattr(rule, "reject_at", None)
    if isinstance(hold_at, float) and isinstance(reject_at, float):
        action = getattr(rule, "action", Action.REJECT)
        verb = {Action.REJECT: "refused", Action.HOLD: "held", Action.FLAG: "flagged"}.get(action, "refused")
        then = f"{verb} from {reject_at:.2f}" if reject_at < 1.0 else f"never {verb} automatically"
        text += f" (score from {hold_at:.2f}: held for a moderator; {then}"
        text += "; a refusal counts as a strike)" if getattr(rule, "strike", False) and reject_at < 1.0 else ")"
    return text
