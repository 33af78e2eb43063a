"""Attach the fine-tuned encoder to a freshly trained linear model: the cascade's second stage.

``townhall train --encoder DIR`` (DIR holds ``model.onnx`` and ``tokenizer.json`` from
``finetune_encoder.py export``) copies the encoder into the model folder, reads the *calib* and *dev* rows
with it once (a long comment through the window around the linear model's evidence, as when
serving), fits the blend of linear score and encoder logit per label on the calibration split (the same
soft rows and exclusions as the linear model's calibration), and writes ``encoder.json`` with the routing
threshold :data:`ROUTE_AT`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from townhall.policy.classifiers.encoder import (
    Blend,
    CascadeModel,
    CascadeSettings,
    Encoder,
    Focus,
    evidence_at,
    load_cascade,
    logodds,
    save_encoder_settings,
)
from townhall.policy.classifiers.model import LABELS, ToxicityModel
from townhall.training.data import Example, soft_rows

# A comment is read by the encoder when the linear model gives either label at least this probability.
# Measured on the dev splits and the fairness sets (docs/classifiers.md, "The cascade"): at 0.3 the identity
# templates' largest mean gap (0.033) and the viewpoint sides' 90th-percentile gap (0.155) went just past the
# fairness tests' tolerances; with the encoder on every comment (0) the viewpoint sides' means differ by 0.09
# (tolerance 0.05), although AUC rises by 0.01-0.09. At 0.5 every fairness test passes and the encoder reads
# few comments of ordinary traffic.
ROUTE_AT = 0.5


class CachedEncoder:
    """Logits computed once for known texts, behind the :class:`Encoder` interface (training only)."""

    def __init__(self, texts: Sequence[str], logits: np.ndarray) -> None:
        self._by_text = {t: logits[i] for i, t in enumerate(texts)}

    def logits(self, texts: Sequence[str], focus: Focus | None = None) -> np.ndarray:
        return np.array([self._by_text[t] for t in texts], dtype=np.float64).reshape(len(texts), 2)


def fit_blends(examples: Sequence[Example], linear: dict[str, np.ndarray], logits: np.ndarray,
               exclude: dict[str, frozenset[str]], seed: int) -> dict[str, Blend]:
    """Per label, the logistic blend of linear log-odds and encoder logit on the same soft rows (and
    exclusions) as the linear model's calibration."""
    blends: dict[str, Blend] = {}
    for j, label in enumerate(LABELS):
        idx, y, w = soft_rows(list(examples), label, exclude[label])
        x = np.column_stack([logodds(linear[label][idx]), logits[idx, j]])
        clf = LogisticRegression(C=1.0, random_state=seed).fit(x, y, sample_weight=w)
        blends[label] = Blend(float(clf.coef_[0][0]), float(clf.coef_[0][1]), float(clf.intercept_[0]))
    return blends


def attach_encoder(model_dir: Path, source: Path, linear: ToxicityModel, calib: list[Example], dev: list[Example],
                   exclude: dict[str, frozenset[str]], seed: int,
                   log: Callable[[str], None] = print) -> CascadeModel:
    """Write ``model_dir/encoder`` and return the cascade, its encoder answering from the logits read here."""
    t0 = time.monotonic()
    target = model_dir / "encoder"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "tokenizer.json"):
        shutil.copyfile(source / name, target / name)
    if (source / "reference.json").exists():  # logits of these very weights (requantize --reference), for a test
        shutil.copyfile(source / "reference.json", target / "reference.json")
    texts = list(dict.fromkeys([e.text for e in calib] + [e.text for e in dev]))
    logits = Encoder(target, threads=2).logits(texts, lambda t: evidence_at(linear, t))
    cached = CachedEncoder(texts, logits)
    log(f"encoder read {len(texts)} calib and dev comments [{time.monotonic() - t0:.0f}s]")
    calib_linear = linear.score([e.text for e in calib])
    blends = fit_blends(calib, calib_linear, cached.logits([e.text for e in calib]), exclude, seed)
    meta: dict[str, object] = {"seed": seed, "rows_calib": len(calib)}
    # an installed encoder (e.g. the shipped one, retrained against) keeps these notes in its encoder.json
    installed = source / "encoder.json"
    notes = json.loads(installed.read_text(encoding="utf-8")).get("meta", {}) if installed.exists() else {}
    for note in ("finetune", "quantisation", "graph"):  # how the encoder was fine-tuned, quantised, rewritten
        if (source / f"{note}.json").exists():
            meta[note] = json.loads((source / f"{note}.json").read_text(encoding="utf-8"))
        elif note in notes:
            meta[note] = notes[note]
    save_encoder_settings(target, CascadeSettings(ROUTE_AT, blends), meta)
    cascade = load_cascade(linear, target)
    return CascadeModel(linear, cached, cascade.settings)
