"""The ``classifier`` rule type: act on the shipped model's probability for one label.

Policy entry options::

    label = "abusive"     # or "obscene"
    hold_at = 0.5         # a moderator looks first at or above this score
    reject_at = 0.9       # refused at or above this score (with the rule's action and strike)

At ``reject_at`` or above the hit carries the rule's own action and strike; between ``hold_at`` and
``reject_at`` it is a HOLD without strike, or a FLAG for a trusted account (trusted readers skip borderline
holds). The score is always reported in ``RuleResult.scores`` under the label's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from townhall.policy.classifiers.features import F_TOKEN, identity_form, reader_words
from townhall.policy.normalise import normalise
from townhall.policy.rules.base import Resources, RuleConfigError, RuleSpec, unit_interval
from townhall.policy.types import Action, Hit, RuleResult, Subject
from townhall.policy.wordmatch import FWordMatcher

KNOWN_LABELS = ("abusive", "obscene")
_OPTIONS = frozenset({"label", "hold_at", "reject_at"})


@dataclass(frozen=True, slots=True)
class ClassifierRule:
    """Holds or refuses comments whose classifier score for ``label`` reaches the thresholds."""

    type_name: ClassVar[str] = "classifier"

    name: str
    description: str
    label: str
    hold_at: float
    reject_at: float
    action: Action
    strike: bool
    model: Any  # ToxicityModel or CascadeModel (townhall.policy.classifiers), shared by every classifier rule

    @property
    def score_names(self) -> tuple[str, ...]:
        """The scores this rule records: its label's, not its name's (the loader keeps another rule from
        recording a score of the same name)."""
        return (self.label,)

    @classmethod
    def from_spec(cls, spec: RuleSpec, resources: Resources) -> ClassifierRule:
        options = spec.options
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise RuleConfigError(unknown[0], f"unknown option `{unknown[0]}` for a classifier rule "
                                              f"(expected: label, hold_at, reject_at)")
        label = options.get("label")
        if label is None:
            raise RuleConfigError("label", f"classifier rules need `label` (one of {', '.join(KNOWN_LABELS)})")
        if label not in KNOWN_LABELS:
            raise RuleConfigError("label", f"unknown label {label!r}; expected one of {', '.join(KNOWN_LABELS)}")
        hold_at = unit_interval(options, "hold_at", missing="classifier rules need `hold_at` (a score between 0 and 1)")
        reject_at = unit_interval(options, "reject_at", missing="classifier rules need `reject_at` (a score between 0 and 1)")
        if hold_at > reject_at:
            raise RuleConfigError("hold_at", f"`hold_at` ({hold_at}) must not be above `reject_at` ({reject_at})")
        return cls(name=spec.name, description=spec.description, label=str(label), hold_at=hold_at,
                   reject_at=reject_at, action=spec.action, strike=spec.strike, model=resources.classifier_model())

    def evaluate(self, subject: Subject) -> RuleResult:
        p = float(self.model.score_one(subject.text)[self.label])
        scores = {self.label: p}
        if p >= self.reject_at:
            action, strike = self.action, self.strike
        elif p >= self.hold_at:
            action, strike = (Action.FLAG if subject.account_trusted else Action.HOLD), False
        else:
            return RuleResult(scores=scores)
        names = [gram for gram, _ in self.model.explain(subject.text, self.label, k=12)]
        reasons, span = _readers_reasons(subject.text, names)
        evidence = f"{self.label} score {p:.2f}"
        first_stage = getattr(self.model, "first_stage", None)
        stage = first_stage(subject.text) if first_stage is not None else None
        if stage is not None:
            evidence += f" (re-read by the encoder; word model alone {stage[self.label]:.2f})"
        if reasons:
            evidence += "; driven by: " + ", ".join(f"“{r}”" for r in reasons)
        hit = Hit(rule=self.name, description=self.description, action=action,
                  span=span or self.model.strongest_span(subject.text, self.label), evidence=evidence, score=p,
                  strike=strike, reasons=reasons)
        return RuleResult(hits=(hit,), scores=scores)


SHOWN_REASONS = 5
F_WORD = "f-word"  # how a reason names the F word (the model's own name for its token)


def _readers_reasons(text: str, names: list[str]) -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """The model's words (canonical: folded, leet read, repeats squeezed, "you're" as "you are") as the reader
    wrote them, and the span of the first word named. A word that names a group of people is never a reason
    (the model masks identity terms; their plurals it may not), and every spelling of the F word that the F-word
    rule reads as the word is named "f-word", as the model names the spellings it knows."""
    words = reader_words(text)
    where: dict[str, tuple[int, int]] = {}
    for s, e, tok in words:
        where.setdefault(tok, (s, e))
    norm = normalise(text)
    f_spans = [norm.span(s, e) for s, e in FWordMatcher().find(norm.text, norm)] if words else []

    def spelled(tok: str) -> str:
        at = where.get(tok)
        if at is None:
            return tok
        if any(s < at[1] and at[0] < e for s, e in f_spans):
            return F_WORD
        return text[at[0]:at[1]]

    shown: list[str] = []
    span: tuple[int, int] | None = None
    for name in names:
        parts = name.split(" ")
        if any(identity_form(part) for part in parts):
            continue
        out: list[str] = []
        for part in parts:
            word = spelled(part)
            if not out or out[-1] != word:
                out.append(word)
        reason = " ".join(out)
        if reason in shown:
            continue
        shown.append(reason)
        key = F_TOKEN if parts[0] == F_WORD else parts[0]
        if span is None and len(parts) == 1 and key in where:
            span = where[key]
        if len(shown) == SHOWN_REASONS:
            break
    return tuple(shown), span
