"""The cascade's second stage: the shipped MiniLM encoder (int8 ONNX) and how the cascade combines it with the
linear model. No training data needed: these read the artifacts shipped in the package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from townhall.policy.classifiers import ARTIFACTS, LABELS, load_model
from townhall.policy.classifiers.encoder import (
    ENCODER_FORMAT_VERSION,
    MAX_TOKENS,
    CascadeModel,
    EncoderFormatError,
    encoder_text,
    load_cascade,
    read_encoder_format_version,
)
from townhall.policy.classifiers.model import ToxicityModel

ENCODER = ARTIFACTS / "encoder"


@pytest.fixture(scope="module")
def cascade() -> CascadeModel:
    model = load_model()
    assert isinstance(model, CascadeModel), "the package ships the encoder: load_model() gives the cascade"
    return model


def test_shipped_encoder_matches_this_code() -> None:
    """CI-time check that the shipped second stage was written for this code's format and input length."""
    assert read_encoder_format_version(ENCODER) == ENCODER_FORMAT_VERSION
    doc = json.loads((ENCODER / "encoder.json").read_text())
    assert doc["max_tokens"] == MAX_TOKENS
    assert set(doc["blends"]) == set(LABELS)
    assert 0.0 <= doc["route_at"] <= 1.0
    size = sum(f.stat().st_size for f in ARTIFACTS.rglob("*") if f.is_file())
    assert size <= 30_000_000, f"artifacts are {size / 1e6:.1f} MB; the brief allows 30 MB"


def test_the_encoder_computes_the_recorded_logits_on_this_cpu(cascade: CascadeModel) -> None:
    """The shipped encoder gives the logits recorded beside it (``reference.json``, written by
    ``python -m townhall.training.requantize --reference``), whatever this machine's CPU.

    Its int8 products are exact on every x86 CPU only while the weights stay in a 7-bit range: with the
    full 8-bit range, CPUs with AVX2 but no VNNI saturate 16-bit sums of products, and on one (AMD EPYC,
    Zen 3) the logits of these texts moved by up to 1.19 from a VNNI CPU's. Float kernels differ a little
    between CPUs (layer norms, GELU, the activations' int8 scales), hence the tolerance."""
    ref = json.loads((ENCODER / "reference.json").read_text(encoding="utf-8"))
    logits = cascade.encoder.logits(ref["texts"])
    assert np.abs(logits - np.array(ref["logits"])).max() < 0.05


@pytest.mark.parametrize("text, masked", [
    ("what the fuck is this", "what the [MASK] is this"),
    ("f*ck off, you FVCKING idiot", "[MASK] off, you [MASK] idiot"),
    ("Fukushima and Fukuyama", "Fukushima and Fukuyama"),
    ("nothing to hide here", "nothing to hide here"),
])
def test_encoder_reads_the_f_word_as_a_mask(text: str, masked: str) -> None:
    assert encoder_text(text) == masked


def test_encoder_only_reads_comments_the_linear_model_doubts(cascade: CascadeModel) -> None:
    texts = ["Thank you for a clear article about the school budget.",
             "You are a pathetic worthless idiot and everyone here knows it.",
             "What a load of crap, this council is full of shit."]
    linear = cascade.linear.score(texts)
    routed = cascade.routed(linear)
    assert not routed[0] and routed[1] and routed[2]
    got = cascade.score(texts)
    logits = cascade.encoder.logits(texts)
    for j, label in enumerate(LABELS):
        assert got[label][0] == linear[label][0]  # not read by the encoder: the linear score stands
        for i in (1, 2):
            expected = cascade.settings.blends[label](linear[label][i : i + 1], logits[i : i + 1, j])
            assert got[label][i] == pytest.approx(min(float(expected[0]), 0.999))
    assert got["abusive"][1] >= 0.8 and got["obscene"][2] > 10 * got["obscene"][0]


def test_route_at_bounds_give_the_linear_model_or_the_encoder_on_everything(cascade: CascadeModel) -> None:
    texts = ["Thanks for the article.", "I disagree with the mayor's plan.", "You utter moron."]
    never = cascade.with_route_at(1.0).score(texts)
    linear = cascade.linear.score(texts)
    for label in LABELS:
        assert np.array_equal(never[label], linear[label])
    everything = cascade.with_route_at(0.0)
    assert everything.routed(linear).all()
    assert not np.allclose(everything.score(texts)["abusive"], linear["abusive"])


def test_a_comment_scores_the_same_whatever_is_read_with_it(cascade: CascadeModel) -> None:
    texts = ["short one", "a much longer comment " * 12 + "that you are an idiot", "You clown.", "x" * 3000]
    together = cascade.encoder.logits(texts)
    alone = np.vstack([cascade.encoder.logits([t]) for t in texts])
    assert np.array_equal(together, alone)
    mixed = cascade.score(texts + ["Thanks for the article."])
    for label in LABELS:
        assert np.array_equal(mixed[label][:4], cascade.score(texts)[label])


def test_score_one_matches_score_and_explanations_name_words(cascade: CascadeModel) -> None:
    text = "You are a pathetic worthless idiot."
    one = cascade.score_one(text)
    batch = cascade.score([text])
    assert one == {k: pytest.approx(float(v[0])) for k, v in batch.items()}
    assert "idiot" in [w for w, _ in cascade.explain(text, "abusive")]
    span = cascade.strongest_span(text, "abusive")
    assert span is not None and text[span[0] : span[1]] in ("pathetic", "worthless", "idiot")


def test_a_model_folder_without_encoder_is_the_linear_model(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(ARTIFACTS, folder, ignore=shutil.ignore_patterns("encoder"))
    assert isinstance(load_model(folder), ToxicityModel)
    assert isinstance(load_model(encoder=False), ToxicityModel)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.onnx").unlink(), "lacks model.onnx"),
    (lambda d: _edit(d, format_version=ENCODER_FORMAT_VERSION + 1), "has format"),
    (lambda d: _edit(d, max_tokens=MAX_TOKENS * 2), "tokens"),
    (lambda d: (d / "encoder.json").unlink(), "no encoder"),
])
def test_a_damaged_encoder_is_refused_with_a_reason(tmp_path: Path, damage, message: str) -> None:
    folder = tmp_path / "encoder"
    folder.mkdir()
    for name in ("encoder.json", "tokenizer.json"):
        shutil.copy(ENCODER / name, folder / name)
    (folder / "model.onnx").symlink_to(ENCODER / "model.onnx")
    damage(folder)
    with pytest.raises(EncoderFormatError, match=message):
        load_cascade(load_model(encoder=False), folder)


def _edit(folder: Path, **changes: object) -> None:
    doc = json.loads((folder / "encoder.json").read_text())
    doc.update(changes)
    (folder / "encoder.json").write_text(json.dumps(doc))


def test_threads_opening_the_encoder_at_once_all_get_logits() -> None:
    import threading

    encoder = load_cascade(load_model(encoder=False), ENCODER).encoder  # a fresh, unopened session
    barrier = threading.Barrier(4)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def read() -> None:
        barrier.wait()
        try:
            results.append(encoder.logits(["You are a pathetic idiot."]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 4
    assert all(np.array_equal(r, results[0]) for r in results)
