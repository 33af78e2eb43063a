"""The shipped model is what the training code makes: ``townhall train --encoder`` (full data, the shipped
encoder) is run again and must give the same vocabularies, the same scores and the same thresholds.

A change to the training code or the data mapping that was not followed by a retrain fails here. Scores are
compared with a tolerance rather than byte for byte: float sums may differ in their last bits on another CPU.
About 100 s alone on a Zen 5, 5-9 minutes beside the rest of the suite on a Zen 3: `.ci/run` leaves it out (marker
``reproduce``) to finish within CI's 30 minutes; run it after changing the training code or the data mapping:
``./scripts/test tests/classifiers/test_reproduce.py``."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from townhall.policy.classifiers import ARTIFACTS, load_model
from townhall.training.data import load_all
from townhall.training.train import TrainConfig, train

pytestmark = [pytest.mark.shared_data, pytest.mark.slow, pytest.mark.reproduce]

ROOT = Path(__file__).resolve().parents[2]
SCORE_TOLERANCE = 1e-3


def test_training_again_gives_the_shipped_model(shared_data: Path, tmp_path: Path) -> None:
    results = train(TrainConfig(data=shared_data, out=tmp_path, encoder=ARTIFACTS / "encoder"), log=lambda _: None)
    fresh = tmp_path / "model"
    for name in ("words.txt", "chars.txt", "encoder/model.onnx", "encoder/tokenizer.json", "encoder/reference.json"):
        assert (fresh / name).read_bytes() == (ARTIFACTS / name).read_bytes(), name
    shipped_meta = json.loads((ARTIFACTS / "model.json").read_text(encoding="utf-8"))["meta"]
    assert json.loads((fresh / "model.json").read_text(encoding="utf-8"))["meta"] == shipped_meta

    dev = [e.text for e in load_all(shared_data, 13) if e.split == "dev"][::8]
    for encoder in (False, True):
        ours = load_model(fresh, encoder=encoder).score(dev)
        shipped = load_model(encoder=encoder).score(dev)
        for label in ours:
            gap = float(np.max(np.abs(ours[label] - shipped[label])))
            assert gap <= SCORE_TOLERANCE, (encoder, label, gap)

    # the published report and the default policy's thresholds are this run's
    published = json.loads((ROOT / "docs" / "training" / "report.json").read_text(encoding="utf-8"))
    thresholds, tasks = results["thresholds"], results["tasks"]
    assert isinstance(thresholds, dict) and isinstance(tasks, list)
    assert thresholds == published["thresholds"]
    for ours_task, their_task in zip(tasks, published["tasks"], strict=True):
        assert (ours_task["set"], ours_task["task"]) == (their_task["set"], their_task["task"])
        assert abs(ours_task["auc"] - their_task["auc"]) <= SCORE_TOLERANCE, ours_task["set"]
    policy = tomllib.loads((ROOT / "townhall" / "policy" / "default.policy.toml").read_text(encoding="utf-8"))
    for rule in (r for r in policy["rules"] if r.get("type") == "classifier"):
        chosen = thresholds[rule["label"]]
        assert (rule["hold_at"], rule["reject_at"]) == (chosen["hold_at"], chosen["reject_at"]), rule["name"]
