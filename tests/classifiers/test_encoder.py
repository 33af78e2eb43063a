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
    READ_TOKENS,
    CascadeModel,
    EncoderFormatError,
    encoder_text,
    load_cascade,
    masked_offset,
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
    assert doc["read_tokens"] == READ_TOKENS  # the blends were fitted on logits read through this window
    assert set(doc["blends"]) == set(LABELS)
    assert 0.0 <= doc["route_at"] <= 1.0
    graph = (ENCODER / "model.onnx").read_bytes()  # op types are plain strings in the protobuf
    assert b"SkipLayerNormalization" not in graph and b"BiasGelu" not in graph  # training/unfuse.py
    assert b"LayerNormalization" in graph and b"Gelu" in graph
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
    (lambda d: _edit(d, read_tokens=None), "read window"),
    (lambda d: _edit(d, read_tokens=MAX_TOKENS + 1), "read window"),
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


PREAMBLE = ("The council met on Tuesday to discuss the budget for the coming year, including the repairs to the "
            "library roof, the new bus timetable, the school meals contract and the plans for the river path. ") * 2


def test_a_long_comment_is_read_around_the_linear_models_evidence(cascade: CascadeModel) -> None:
    """Past READ_TOKENS the encoder reads a window around the strongest word, not the comment's first tokens:
    an insult at the end of a long comment is still read."""
    text = PREAMBLE + "And you, the author, are a pathetic worthless idiot who should never write again."
    assert len(cascade.encoder._tokenizer.encode(text).ids) > READ_TOKENS  # type: ignore[attr-defined]
    at = cascade.focus(text)
    assert at is not None and text[at:].split()[0].strip(",.") in ("pathetic", "worthless", "idiot")
    around = cascade.encoder.logits([text], cascade.focus)[0]
    first_tokens = cascade.encoder.logits([text])[0]  # no focus: the first READ_TOKENS tokens
    only_preamble = cascade.encoder.logits([PREAMBLE])[0]
    assert np.allclose(first_tokens, only_preamble, atol=0.05)  # the head never reaches the insult
    assert around[0] > 0 > first_tokens[0]  # an attack in the window, none in the first tokens


def test_the_window_holds_read_tokens_and_the_focused_word(cascade: CascadeModel) -> None:
    encoder = cascade.encoder
    text = PREAMBLE + "idiot " + PREAMBLE
    encoded = encoder._tokenizer.encode(text)  # type: ignore[attr-defined]
    at = text.index("idiot")
    window = encoder._window(encoded, at)  # type: ignore[attr-defined]
    assert len(window) == READ_TOKENS and window[0] == encoded.ids[0] and window[-1] == encoded.ids[-1]
    idiot = encoded.ids[next(j for j, (s, e) in enumerate(encoded.offsets) if s == at)]
    assert idiot in window[1:-1]
    assert encoder._window(encoded, None) == encoded.ids[: READ_TOKENS - 1] + [encoded.ids[-1]]  # type: ignore[attr-defined]
    end = encoder._window(encoded, len(text) - 1)  # type: ignore[attr-defined]
    assert end[1:-1] == encoded.ids[-READ_TOKENS + 1 : -1]  # clamped to the comment's end


def test_a_short_comment_never_asks_for_a_focus(cascade: CascadeModel) -> None:
    def focus(text: str) -> int | None:
        raise AssertionError(f"asked for a focus on a short comment: {text!r}")

    cascade.encoder.logits(["You utter moron.", "Thanks for the article."], focus)


@pytest.mark.parametrize("text, word", [
    ("you fucking idiot", "idiot"),
    ("f*ck this, fck that, and you are a moron", "moron"),
    ("no f word here, just a clown", "clown"),
])
def test_offsets_move_with_the_f_word_mask(text: str, word: str) -> None:
    at = text.index(word)
    masked = encoder_text(text)
    assert masked[masked_offset(text, at):].startswith(word)
