"""Counterfactual templates (``townhall.training.counterfactual``): what training gets, what it never sees, and
how the shipped model scores the sentences held out of its training."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.classifiers.test_fairness import IDENTITY, NEUTRAL, TEMPLATES, VIEWPOINT_PAIRS
from townhall.policy.classifiers import ToxicityModel, load_model
from townhall.training import counterfactual as cf
from townhall.training.train import template_scores

SEED = 13  # the shipped model's seed: its held-out templates are these
OPINIONS = Path(__file__).resolve().parents[2] / "bench" / "data" / "political_opinions.txt"


def _harsh_words(text: str) -> set[str]:
    low = text.lower()
    words = set(re.findall(r"[a-z'-]+", low))
    return {w for w in cf.HARSH + cf.INSULTS if (w in low if " " in w else w in words)}


def test_deterministic_and_labelled_by_target() -> None:
    train, held = cf.counterfactual_examples(SEED)
    again, held_again = cf.counterfactual_examples(SEED)
    assert [e.text for e in train] == [e.text for e in again] and [e.text for e in held] == [e.text for e in held_again]
    assert {e.split for e in train + held} == {"fit"} and {e.source for e in train + held} == {cf.SOURCE}
    assert all(e.obscene is None for e in train + held)
    for e in train + held:
        person = any(re.search(rf"\b{re.escape(p)}\b", e.text.lower()) for p in cf.PEOPLE)
        thing = any(t in e.text.lower() for t in cf.THINGS)
        assert person != thing, e.text  # each sentence has one target
        if e.abusive == 1.0:
            assert person and _harsh_words(e.text), e.text
        elif person:
            assert not _harsh_words(e.text), e.text  # people are only ever praised in a non-abusive row
    kind = [e for e in train if e.abusive == 0.0 and not _harsh_words(e.text)]
    assert len(kind) >= len(cf.KIND) * len(cf.PEOPLE)  # people with kind words, not abuse


def test_held_out_words_never_reach_training() -> None:
    train, held = cf.counterfactual_examples(SEED)
    held_words = set().union(*(_harsh_words(e.text) for e in held))
    assert len(held_words) >= 0.15 * len(cf.HARSH + cf.INSULTS)
    seen = set().union(*(_harsh_words(e.text) for e in train))
    # held-out and training sentences share no harsh word or insult
    assert not held_words & seen, sorted(held_words & seen)
    assert {e.abusive for e in held} == {0.0, 1.0}


def test_templates_are_not_the_fairness_sets() -> None:
    """The templates must not copy a sentence the fairness tests or the unseen opinions judge the model by."""
    train, held = cf.counterfactual_examples(SEED)
    ours = {e.text.lower().strip() for e in train + held}
    theirs = {t.lower().strip() for pair in VIEWPOINT_PAIRS for t in pair}
    theirs |= {t.format(w).lower().strip() for t in TEMPLATES for w in IDENTITY + NEUTRAL}
    theirs |= {line.strip().lower() for line in OPINIONS.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not ours & theirs


@pytest.mark.parametrize("encoder", [False, True], ids=["linear", "cascade"])
def test_shipped_model_separates_held_out_templates(model: ToxicityModel, encoder: bool) -> None:
    """Harsh words training never saw: aimed at a decision they stay far below hold, aimed at a person they
    score high. The model shipped before the templates (2026-11-26) failed this: linear means 0.33 (things)
    vs 0.56 (people), AUC 0.79; the cascade held 3 of the 560 sentences about things."""
    _, held = cf.counterfactual_examples(SEED)
    scorer = model if encoder else load_model(encoder=False)
    p = scorer.score([e.text for e in held])["abusive"]
    result = template_scores(held, {"m": p}, 0.8)["m"]
    assert isinstance(result, dict)
    assert result["things_held"] == 0, result
    assert result["things_mean"] <= 0.15, result
    assert result["people_mean"] - result["things_mean"] >= 0.5, result
    assert result["auc"] >= 0.95, result


def test_fine_tuning_script_weighs_sets_as_training_does() -> None:
    """finetune_encoder.py runs on a GPU machine without Townhall installed, so it keeps its own copy of the set
    weights (read here without importing it: it needs PyTorch)."""
    import ast

    from townhall import training
    from townhall.training import data

    tree = ast.parse((Path(training.__file__).parent / "finetune_encoder.py").read_text(encoding="utf-8"))
    copies = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "SET_WEIGHTS" for t in node.targets)]
    assert copies == [dict(data.SET_WEIGHTS)]
