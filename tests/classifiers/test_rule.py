"""ClassifierRule: options, thresholds, trusted accounts, evidence, and one featurisation per comment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from townhall.policy.classifiers import ToxicityModel, load_model
from townhall.policy.classifiers.encoder import CascadeModel
from townhall.policy.rules.base import Resources, RuleConfigError, RuleSpec
from townhall.policy.rules.classifier import ClassifierRule
from townhall.policy.types import Action, Subject


class FakeModel:
    """Returns fixed scores; counts calls so tests can see when a text is (re)scored."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.calls = 0

    def score_one(self, text: str) -> dict[str, float]:
        self.calls += 1
        return dict(self.scores)

    def explain(self, text: str, label: str, k: int = 5) -> list[tuple[str, float]]:
        return [("idiot", 1.5), ("stupid", 0.7)][:k]

    def strongest_span(self, text: str, label: str) -> tuple[int, int] | None:
        i = text.find("idiot")
        return (i, i + 5) if i >= 0 else None


class FakeResources(Resources):
    def __init__(self, model: Any) -> None:
        super().__init__(None)
        self._classifier_model = model


def spec(**options: Any) -> RuleSpec:
    opts = {"label": "abusive", "hold_at": 0.5, "reject_at": 0.9, **options}
    return RuleSpec(name="abusive", type="classifier", description="No abuse.", action=Action.REJECT, strike=True,
                    options={k: v for k, v in opts.items() if v is not None})


@pytest.mark.parametrize("options, key", [
    ({"label": "rude"}, "label"),
    ({"label": None}, "label"),
    ({"hold_at": 1.5}, "hold_at"),
    ({"reject_at": -0.1}, "reject_at"),
    ({"reject_at": "high"}, "reject_at"),
    ({"hold_at": True}, "hold_at"),
    ({"hold_at": None}, "hold_at"),
    ({"hold_at": 0.95, "reject_at": 0.9}, "hold_at"),
    ({"colour": "red"}, "colour"),
])
def test_bad_options_name_their_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(RuleConfigError) as info:
        ClassifierRule.from_spec(spec(**options), FakeResources(FakeModel({"abusive": 0.0})))
    assert info.value.key == key


@pytest.mark.parametrize("p, action, strike", [
    (0.10, None, None),
    (0.49, None, None),
    (0.50, Action.HOLD, False),
    (0.89, Action.HOLD, False),
    (0.90, Action.REJECT, True),
    (0.99, Action.REJECT, True),
])
def test_thresholds(p: float, action: Action | None, strike: bool | None) -> None:
    rule = ClassifierRule.from_spec(spec(), FakeResources(FakeModel({"abusive": p, "obscene": 0.0})))
    result = rule.evaluate(Subject(text="you idiot"))
    assert result.scores == {"abusive": p}
    if action is None:
        assert result.hits == ()
        return
    (hit,) = result.hits
    assert (hit.action, hit.strike, hit.score, hit.rule) == (action, strike, p, "abusive")
    assert hit.reasons == ("idiot", "stupid")
    assert hit.span == (4, 9)
    assert hit.evidence and "idiot" in hit.evidence


def test_evidence_says_when_the_encoder_re_read_the_comment() -> None:
    model = load_model()
    rule = ClassifierRule.from_spec(spec(), FakeResources(model))
    text = "You are a pathetic worthless idiot and everyone here knows it."
    (hit,) = rule.evaluate(Subject(text=text)).hits
    first = model.linear.score([text])["abusive"][0]
    assert f"re-read by the encoder; word model alone {first:.2f}" in hit.evidence
    assert hit.evidence.startswith(f"abusive score {hit.score:.2f}") and "“idiot”" in hit.evidence
    linear_only = ClassifierRule.from_spec(spec(), FakeResources(model.with_route_at(1.0)))
    (plain,) = linear_only.evaluate(Subject(text=text)).hits
    assert "encoder" not in plain.evidence


def test_trusted_account_borderline_hold_becomes_flag_but_reject_stays() -> None:
    borderline = ClassifierRule.from_spec(spec(), FakeResources(FakeModel({"abusive": 0.6})))
    (hit,) = borderline.evaluate(Subject(text="you idiot", account_trusted=True)).hits
    assert hit.action is Action.FLAG and not hit.strike
    (hit,) = borderline.evaluate(Subject(text="you idiot", account_trusted=False)).hits
    assert hit.action is Action.HOLD
    sure = ClassifierRule.from_spec(spec(), FakeResources(FakeModel({"abusive": 0.95})))
    (hit,) = sure.evaluate(Subject(text="you idiot", account_trusted=True)).hits
    assert hit.action is Action.REJECT and hit.strike


def test_rule_action_from_spec_is_used_at_reject() -> None:
    s = RuleSpec(name="obscene", type="classifier", description="x", action=Action.HOLD, strike=False,
                 options={"label": "obscene", "hold_at": 0.2, "reject_at": 0.7})
    rule = ClassifierRule.from_spec(s, FakeResources(FakeModel({"obscene": 0.8})))
    (hit,) = rule.evaluate(Subject(text="x")).hits
    assert hit.action is Action.HOLD and not hit.strike


class CountingModel(ToxicityModel):
    """The real model, counting featurisation passes."""

    passes = 0

    def margins(self, texts: Any) -> Any:
        type(self).passes += 1
        return super().margins(texts)

    def _margins_one(self, text: str) -> Any:  # the path of a single comment
        type(self).passes += 1
        return super()._margins_one(text)


class CountingEncoder:
    """The real encoder, counting the comments it reads."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.read = 0

    def logits(self, texts: Any, focus: Any = None) -> Any:
        self.read += len(texts)
        return self.real.logits(texts, focus)


def test_two_rules_share_one_model_and_featurise_each_comment_once(tmp_path: Path) -> None:
    real = load_model()
    assert isinstance(real, CascadeModel)
    lin = real.linear
    counting_linear = CountingModel(lin.words, lin.chars, lin._idf_w, lin._idf_c, lin._coef_w, lin._coef_c,
                                    lin._intercept, lin.calibration, lin.labels)
    encoder = CountingEncoder(real.encoder)
    counting = CascadeModel(counting_linear, encoder, real.settings)
    resources = FakeResources(counting)
    abusive = ClassifierRule.from_spec(spec(), resources)
    obscene = ClassifierRule.from_spec(spec(label="obscene"), resources)
    assert abusive.model is obscene.model
    CountingModel.passes = 0
    for text in ("What a lovely article.", "You are a stupid idiot."):
        a = abusive.evaluate(Subject(text=text)).scores["abusive"]
        o = obscene.evaluate(Subject(text=text)).scores["obscene"]
        assert 0.0 <= a <= 1.0 and 0.0 <= o <= 1.0
    assert CountingModel.passes == 2  # one linear pass per comment for both rules
    assert encoder.read == 1  # only the insult is doubtful enough for the encoder, and it is read once
    # the cached scores are the same numbers a fresh pass gives
    assert counting.score_one("You are a stupid idiot.") == {k: float(v[0]) for k, v in
                                                           real.score(["You are a stupid idiot."]).items()}


def test_resources_load_the_shipped_model_once() -> None:
    resources = Resources()
    assert resources.classifier_model() is resources.classifier_model()
