"""The shipped model: format, load time, scores, explanations, featurisation details."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from townhall.policy.classifiers import ARTIFACTS, FORMAT_VERSION, LABELS, ModelFormatError, ToxicityModel
from townhall.policy.classifiers import load_model, read_format_version
from townhall.policy.classifiers.model import Calibration
from townhall.policy.classifiers.features import F_TOKEN, ID_TOKEN, char_grams, extract, tokens, word_grams, word_spans


def test_shipped_format_matches_code_and_loads_fast() -> None:
    """Loading takes under a second of this process's CPU time (about 0.3 s here). Not wall time: on a loaded
    machine that counts other processes' turns (1.44 s seen at load average 7 with the suite on both cores);
    the wall-clock figure on a quiet machine is ``bench/classifiers.py``'s ``load_seconds_cascade``."""
    assert read_format_version() == FORMAT_VERSION
    start = time.process_time()
    load_model()
    assert time.process_time() - start < 1.0


def test_artifacts_are_small_and_hold_no_pickles() -> None:
    files = [f for f in ARTIFACTS.iterdir() if f.is_file()]
    assert sum(f.stat().st_size for f in files) <= 30 * 1024 * 1024
    assert not [f for f in files if f.suffix in {".pkl", ".pickle", ".joblib"}]
    with zipfile.ZipFile(ARTIFACTS / "weights.npz") as z:
        for name in z.namelist():  # every array is numeric: np.load(allow_pickle=False) would refuse objects
            assert name.endswith(".npy")
    with np.load(ARTIFACTS / "weights.npz", allow_pickle=False) as z:
        assert all(z[k].dtype.kind == "f" for k in z.files)


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    for f in ARTIFACTS.iterdir():
        if f.is_file():
            (tmp_path / f.name).write_bytes(f.read_bytes())
    doc = json.loads((tmp_path / "model.json").read_text())
    doc["format_version"] = FORMAT_VERSION + 1
    (tmp_path / "model.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFormatError):
        load_model(tmp_path)
    with pytest.raises(ModelFormatError):
        load_model(tmp_path / "absent")


def test_scores_are_probabilities_in_one_pass(model: ToxicityModel) -> None:
    texts = ["Thanks for the thoughtful article.", "You are a pathetic idiot and a liar.",
             "What a load of crap, this shit is disgusting filth.", ""]
    scores = model.score(texts)
    assert set(scores) == set(LABELS)
    for v in scores.values():
        assert v.shape == (4,) and np.all((v >= 0) & (v < 1))
    assert scores["abusive"][1] > scores["abusive"][0] + 0.5
    assert scores["obscene"][2] > scores["obscene"][0] + 0.3
    one = model.score_one(texts[1])
    assert one == pytest.approx({k: float(v[1]) for k, v in scores.items()})


def test_one_comment_path_gives_the_batch_margins(model: ToxicityModel) -> None:
    """score([text]) takes a shorter path than a batch; the margins agree to rounding."""
    texts = ["", "   ", "You idiot.", "Fukushima, Fukuyama and the F word.", "f u c k " * 50, "ünïcödé 🙂 " * 30,
             "The council should publish the full report before the vote, and the minister must answer."]
    linear = getattr(model, "linear", model)  # the cascade's first stage
    batch = linear.margins(texts)
    for i, text in enumerate(texts):
        assert np.allclose(linear._margins_one(text), batch[i], rtol=0, atol=1e-12)


def test_scoring_is_deterministic_and_batch_independent(model: ToxicityModel) -> None:
    texts = ["You idiot.", "Lovely weather today in the park.", "this is crap"] * 3
    batch = model.score(texts)
    singles = [model.score([t]) for t in texts]
    for label in LABELS:
        assert np.allclose(batch[label], [s[label][0] for s in singles])


def test_explain_and_span_point_at_the_readers_words(model: ToxicityModel) -> None:
    text = "Honestly, you are an IDIOT."
    words = [w for w, _ in model.explain(text, "abusive", k=3)]
    assert words[0] == "idiot"
    start, end = model.strongest_span(text, "abusive") or (0, 0)
    assert text[start:end] == "IDIOT"
    assert model.explain("", "abusive") == []


def test_the_f_word_does_not_make_a_comment_obscene(model: ToxicityModel) -> None:
    clean = model.score_one("That was a really good game last night")["obscene"]
    f_word = model.score_one("That was a fucking good game last night")["obscene"]
    assert abs(f_word - clean) < 0.02


def test_featurisation_masks_identity_terms_and_folds_the_f_word() -> None:
    assert tokens("I am a gay Muslim woman") == ["i", "am", "a", ID_TOKEN, ID_TOKEN, ID_TOKEN]
    assert tokens("f*cking fuuuck phuck fck motherfucker") == [F_TOKEN] * 5
    assert tokens("Fukushima and Fukuyama") == ["fukushima", "and", "fukuyama"]
    assert tokens("You're a fool") == ["you", "are", "a", "fool"]
    assert tokens("sh!t b1tch") == ["shit", "bitch"]
    words, chars = extract("my gay neighbour")
    assert not any(ID_TOKEN in w or "gay" in w for w in words + chars)
    assert "my neighbour" not in words  # no bigram across a masked word
    assert [tok for _, _, tok in word_spans("Héllo, wörld!")] == ["hello", "world"]


_PIECES = st.sampled_from(["fuck", "f*ck", "FVCK", "fcuk", "phuck", "fuk", "fukushima", "you're", "gay", "idiot",
                           "coooool", "@fuck", "http://x.org/fuck", "&amp;", "f.u.c.k", "Fück", "ﬀuck", "!!", "'s",
                           " ", "  ", "\n", ",", ".", "-", "*", "fuck's", "tofu", "cks"])
_TEXTS = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_tokens_and_word_spans_agree_on_the_f_word(text: str) -> None:
    """The encoder looks for F-word spans (word_spans, slow) only where tokens() finds an F word (fast)."""
    assert (F_TOKEN in tokens(text)) == any(tok == F_TOKEN for _, _, tok in word_spans(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXTS, min_size=1, max_size=4))
def test_a_known_token_table_gives_the_same_tokens(texts: list[str]) -> None:
    known: dict[str, tuple[str, ...]] = {}
    chunks: dict[str, tuple[int, int, tuple[str, ...]]] = {}
    for text in texts + texts:  # the second time every token is known
        assert tokens(text, known) == tokens(text)
        assert word_spans(text, chunks) == word_spans(text)


def _reference_ids(model: ToxicityModel, text: str) -> tuple[list[int], list[int]]:
    """The features by their definition: word_grams / char_grams of tokens(), looked up one string at a time."""
    toks = tokens(text)
    words = [i for g in word_grams(toks) if (i := model._word_index.get(g)) is not None]
    chars = [i for tok in toks for g in char_grams(tok) if (i := model._char_index.get(g)) is not None]
    return sorted(words), chars


_WORDY = st.lists(st.sampled_from(["you", "are", "a", "new", "yorker", "idiot", "gay", "the", "fuck", "you're",
                                   "stupid", "and", "x", "muslim", "yorkers", "  ", ", ", "!"]), max_size=14).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_TEXTS, _WORDY), min_size=1, max_size=5))
def test_batched_features_are_the_defined_word_and_character_grams(linear: ToxicityModel, texts: list[str]) -> None:
    """The model finds bigrams by their words' ids for a whole batch at once; the result must be exactly the
    word_grams()/char_grams() features of each text, and a batch must score each text as it scores alone."""
    model = linear
    for text in texts:
        words, chars = model._ids(text)
        assert (sorted(words.tolist()), chars.tolist()) == _reference_ids(model, text)
    batch = model.margins(texts)
    for text, row in zip(texts, batch):
        assert np.allclose(model.margins([text])[0], row, rtol=0, atol=1e-12)


def test_a_bigram_whose_word_is_not_in_the_vocabulary_is_still_found() -> None:
    """A vocabulary can hold "new yorker" without "yorker" (ties at the size limit): looked up by its string."""
    words = sorted(["you", "are", "idiot", "new", "you are", "are idiot", "new yorker"])
    chars = [" yo", "you"]
    z = np.zeros((len(words), 2))
    one = {c: Calibration(np.array([0.0, 1.0]), np.array([0.0, 1.0])) for c in LABELS}
    tiny = ToxicityModel(words, chars, np.ones(len(words)), np.ones(len(chars)), z, np.zeros((2, 2)), np.zeros(2), one)
    for text in ["you are idiot", "A new yorker, you are!", "new gay yorker", "yorker new yorker", ""]:
        found = sorted(tiny.words[i] for i in tiny._ids(text)[0].tolist())
        assert found == sorted(g for g in word_grams(tokens(text)) if g in words), text


def _reference_credit(model: ToxicityModel, text: str, label: str) -> dict[str, float]:
    """Credit by its definition, one word and one gram at a time: word features keep their own contribution;
    a character gram's contribution is split evenly between its occurrences and credited to their words."""
    j = model.labels.index(label)
    toks = tokens(text)
    words, chars = _reference_ids(model, text)
    credit: dict[str, float] = {}
    for ids, idf, coef, name in ((words, model._idf_w, model._coef_w, model.words.__getitem__), (chars, None, None, None)):
        if idf is None or not ids:
            continue
        counts = {i: ids.count(i) for i in set(ids)}
        value = {i: (1 + np.log(n)) * idf[i] for i, n in counts.items()}
        norm = np.sqrt(sum(v * v for v in value.values()))
        for i, v in value.items():
            credit[name(i)] = credit.get(name(i), 0.0) + coef[i, j] * v / norm
    if chars:
        counts = {i: chars.count(i) for i in set(chars)}
        value = {i: (1 + np.log(n)) * model._idf_c[i] for i, n in counts.items()}
        norm = np.sqrt(sum(v * v for v in value.values()))
        for tok in toks:
            if tok not in (ID_TOKEN, F_TOKEN):
                grams = [i for g in char_grams(tok) if (i := model._char_index.get(g)) is not None]
                share = sum(model._coef_c[i, j] * value[i] / norm / counts[i] for i in grams)
                credit[tok] = credit.get(tok, 0.0) + share
    return credit


@settings(max_examples=100, deadline=None)
@given(st.one_of(_TEXTS, _WORDY))
def test_credit_is_each_words_share_of_the_margin(linear: ToxicityModel, text: str) -> None:
    for label in LABELS:
        got, want = linear._credit(text, label), _reference_credit(linear, text, label)
        assert set(got) == set(want)
        assert all(abs(got[k] - want[k]) < 1e-9 for k in want), (text, label)


class _Emptied(dict):  # type: ignore[type-arg]
    """A token table that another thread empties right after each fill (the model's caches are shared by the
    server's threads and emptied when full)."""

    def __setitem__(self, key: object, value: object) -> None:
        super().__setitem__(key, value)
        self.clear()

    def update(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        super().update(*args, **kwargs)  # type: ignore[arg-type]
        self.clear()


def test_a_token_table_emptied_by_another_thread_meanwhile_gives_the_same_tokens() -> None:
    for text in ["You're a new yorker", "Fukushima, f*ck and gay Muslim women", ""]:
        assert tokens(text, _Emptied()) == tokens(text)
        assert word_spans(text, _Emptied()) == word_spans(text)
