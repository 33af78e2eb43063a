"""Regression guard: the shipped model's ROC AUC on every dev split stays at the published figures.

The figures are those in docs/training/report.json (quoted in docs/classifiers.md); FLOORS are absolute
minimums that a retrained model may not fall below even if the report is regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import roc_auc_score

from townhall.policy.classifiers import ToxicityModel
from townhall.training.data import load_all
from townhall.training.report import task_scores, tasks

pytestmark = [pytest.mark.shared_data]

REPORT = Path(__file__).resolve().parents[2] / "docs" / "training" / "report.json"
TOLERANCE = 0.005  # rounding in the report
FLOORS = {  # (set, task): lowest acceptable AUC
    ("civil_comments_spans", "abusive"): 0.66,
    ("civil_comments_spans", "obscene"): 0.74,
    ("jigsaw2018_sample", "toxic"): 0.91,
    ("olid", "targeted_insult"): 0.77,
    ("tweeteval_hate", "hate"): 0.82,
    ("stormfront", "hate"): 0.77,
}


def test_dev_auc_at_published_figures(shared_data: Path, model: ToxicityModel) -> None:
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    published = {(t["set"], t["task"]): t["auc"] for t in report["tasks"] if t["auc"] is not None}
    dev = [e for e in load_all(shared_data, int(report["seed"])) if e.split == "dev"]
    scores = model.score([e.text for e in dev])
    measured = {}
    for key, (score_key, rows, y) in tasks(dev).items():
        if 0 < y.sum() < len(y):
            measured[key] = float(roc_auc_score(y, task_scores(score_key, {k: v[rows] for k, v in scores.items()})))
    assert set(published) <= set(measured)
    for key, auc in published.items():
        assert measured[key] >= auc - TOLERANCE, (key, measured[key], auc)
    for key, floor in FLOORS.items():
        assert measured[key] >= floor, (key, measured[key], floor)
