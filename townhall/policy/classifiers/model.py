"""The shipped toxicity model: a linear model over word and character n-grams, scored with numpy.

Artifacts (``artifacts/`` beside this module, or any folder with the same files):

* ``model.json`` — ``format_version``, labels, calibration tables, training metadata;
* ``words.txt`` / ``chars.txt`` — the vocabularies, one feature a line, in column order;
* ``weights.npz`` — ``idf_words``, ``idf_chars`` (float32), ``coef_words`` / ``coef_chars``
  (features × labels, float32) and ``intercept`` (labels).

No pickles: the model does not depend on the installed scikit-learn. Scoring per text: sublinear
tf × idf per block (words, characters), each block L2-normalised, margin = x·w + b, probability =
isotonic calibration table interpolated at the margin (plus a 1e-4 sigmoid tie-breaker so that ranking
is preserved inside flat calibration steps), capped at 0.999.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from townhall.policy.classifiers.features import F_TOKEN, ID_TOKEN, char_grams, tokens, word_grams, word_spans

FORMAT_VERSION = 1
LABELS: tuple[str, ...] = ("abusive", "obscene")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
_TOKEN_CACHE_MAX = 200_000
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_IDS.flags.writeable = False
_MAX_P = 0.999  # a threshold of 1.0 in a policy file therefore never fires


class ModelFormatError(RuntimeError):
    """The artifacts are missing or were written by an incompatible trainer."""


@dataclass(frozen=True, slots=True)
class Calibration:
    xs: np.ndarray
    ys: np.ndarray

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        p = np.interp(margin, self.xs, self.ys) + 1e-4 * (1.0 / (1.0 + np.exp(-margin)) - 0.5)
        return np.clip(p, 0.0, _MAX_P)


class ToxicityModel:
    """Calibrated probabilities for each of :data:`LABELS`, with the n-grams that drove them."""

    def __init__(
        self,
        words: list[str],
        chars: list[str],
        idf_words: np.ndarray,
        idf_chars: np.ndarray,
        coef_words: np.ndarray,
        coef_chars: np.ndarray,
        intercept: np.ndarray,
        calibration: dict[str, Calibration],
        labels: Sequence[str] = LABELS,
        meta: dict[str, object] | None = None,
    ) -> None:
        self.labels = tuple(labels)
        self.words = words
        self.chars = chars
        self._word_index = {w: i for i, w in enumerate(words)}
        self._char_index = {c: i for i, c in enumerate(chars)}
        self._idf_w = idf_words.astype(np.float64)
        self._idf_c = idf_chars.astype(np.float64)
        self._coef_w = coef_words.astype(np.float64)
        self._coef_c = coef_chars.astype(np.float64)
        self._intercept = intercept.astype(np.float64)
        self.calibration = calibration
        self.meta = dict(meta or {})
        self._token_chars: dict[str, np.ndarray] = {}
        self._canonical: dict[str, str] = {}  # raw token -> canonical token (see features.tokens)
        self._last: tuple[str, dict[str, float]] | None = None  # shared by the rules judging one comment

    # -- featurisation ------------------------------------------------------------------------------
    def _char_ids(self, tok: str) -> np.ndarray:
        ids = self._token_chars.get(tok)
        if ids is None:
            get = self._char_index.get
            ids = np.array([i for g in char_grams(tok) if (i := get(g)) is not None], dtype=np.int64)
            if len(self._token_chars) >= _TOKEN_CACHE_MAX:
                self._token_chars.clear()
            self._token_chars[tok] = ids
        return ids

    def _tokens(self, text: str) -> list[str]:
        if len(self._canonical) >= _TOKEN_CACHE_MAX:
            self._canonical.clear()
        return tokens(text, self._canonical)

    def _ids(self, text: str, toks: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(word feature ids, character feature ids) of ``text``, with repetitions, in order.

        Each token's character ids are kept as one array, and a comment's are joined by numpy: flattening
        them in Python cost a third of the linear stage's time."""
        if toks is None:
            toks = self._tokens(text)
        get = self._word_index.get
        wids = np.fromiter((i for g in word_grams(toks) if (i := get(g)) is not None), dtype=np.int64)
        cached, char_ids = self._token_chars.get, self._char_ids  # placeholders have no character grams
        parts = [ids if (ids := cached(tok)) is not None else char_ids(tok) for tok in toks]
        return wids, (np.concatenate(parts) if parts else _NO_IDS)

    @staticmethod
    def _block(rows: Sequence[np.ndarray], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of the sublinear-tf × idf, L2-normalised block for a batch."""
        n = len(rows)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
        total = int(lengths.sum())
        if total == 0:
            return _NO_IDS, _NO_IDS, np.zeros(0)
        cols = np.concatenate(rows)
        row = np.repeat(np.arange(n, dtype=np.int64), lengths)
        key = row * idf.shape[0] + cols
        uniq, counts = np.unique(key, return_counts=True)
        r, c = uniq // idf.shape[0], uniq % idf.shape[0]
        v = (1.0 + np.log(counts)) * idf[c]
        norms = np.sqrt(np.bincount(r, weights=v * v, minlength=n))
        v = v / norms[r]
        return r, c, v

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated decision values, shape (len(texts), len(labels))."""
        pairs = [self._ids(t) for t in texts]
        n = len(texts)
        out = np.tile(self._intercept, (n, 1))
        for rows, idf, coef in (
            ([p[0] for p in pairs], self._idf_w, self._coef_w),
            ([p[1] for p in pairs], self._idf_c, self._coef_c),
        ):
            r, c, v = self._block(rows, idf)
            if r.size:
                contrib = coef[c] * v[:, None]
                for j in range(out.shape[1]):
                    out[:, j] += np.bincount(r, weights=contrib[:, j], minlength=n)
        return out

    def _margins_one(self, text: str) -> np.ndarray:
        """:meth:`margins` of one text, shape (len(labels),), without the batch bookkeeping (row keys,
        repeats, one bincount per label): a posted comment is scored alone, and ``score([text])`` took 0.45 ms
        that way against 0.33 ms this way. Same features and weights; sums may differ in the last bits."""
        out = self._intercept.copy()
        for ids, idf, coef in zip(self._ids(text), (self._idf_w, self._idf_c), (self._coef_w, self._coef_c)):
            if ids.size:
                cols, counts = np.unique(ids, return_counts=True)
                v = (1.0 + np.log(counts)) * idf[cols]
                v /= np.sqrt(v @ v)
                out += v @ coef[cols]
        return out

    # -- public API ---------------------------------------------------------------------------------
    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated probability per label for each text (one featurisation pass for all labels)."""
        m = self._margins_one(texts[0])[None, :] if len(texts) == 1 else self.margins(texts)
        return {label: self.calibration[label](m[:, j]) for j, label in enumerate(self.labels)}

    def score_one(self, text: str) -> dict[str, float]:
        """Scores for one text; the last text's scores are kept so several rules featurise it once."""
        last = self._last
        if last is not None and last[0] == text:
            return dict(last[1])
        scores = {k: float(v[0]) for k, v in self.score([text]).items()}
        self._last = (text, scores)
        return dict(scores)

    def _credit(self, text: str, label: str) -> dict[str, float]:
        """Margin contribution per word feature, with character n-grams credited to the words they occur in."""
        j = self.labels.index(label)
        toks = self._tokens(text)
        wids, cids = self._ids(text, toks)
        credit: dict[str, float] = {}
        _, c, v = self._block([wids], self._idf_w)
        for col, val in zip(c.tolist(), (self._coef_w[c, j] * v).tolist()):
            credit[self.words[col]] = credit.get(self.words[col], 0.0) + val
        _, c, v = self._block([cids], self._idf_c)
        gram_value = dict(zip(c.tolist(), (self._coef_c[c, j] * v).tolist()))
        occurrences = Counter(cids.tolist())  # the char ids of every token, in order: those of each occurrence
        shares: dict[str, float] = {}  # a word's share is the same at each of its occurrences
        for tok in toks:
            if tok == ID_TOKEN or tok == F_TOKEN:
                continue
            share = shares.get(tok)
            if share is None:
                grams = self._char_ids(tok).tolist()
                share = shares[tok] = sum(gram_value.get(ci, 0.0) / occurrences[ci] for ci in grams)
            credit[tok] = credit.get(tok, 0.0) + share
        return credit

    def explain(self, text: str, label: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` words or word pairs that pushed ``label``'s margin up the most, with their contributions.

        Character n-gram contributions are credited to the words they occur in (split by occurrence), so the
        evidence reads as the reader's words (``idiot``), not as fragments (``dio``).
        """
        credit = self._credit(text, label)
        ranked = sorted(((name, val) for name, val in credit.items() if val > 0), key=lambda nv: (-nv[1], nv[0]))
        return [(name.replace(F_TOKEN, "f-word"), round(val, 4)) for name, val in ranked[:k]]

    def strongest_span(self, text: str, label: str) -> tuple[int, int] | None:
        """Span in the original ``text`` of the word that pushed ``label`` up the most, if any did."""
        credit = self._credit(text, label)
        best: tuple[float, tuple[int, int]] | None = None
        for start, end, tok in word_spans(text):
            value = credit.get(tok, 0.0)
            if value > 0 and (best is None or value > best[0]):
                best = (value, (start, end))
        return best[1] if best else None


def save_model(
    out_dir: Path,
    words: list[str],
    chars: list[str],
    arrays: dict[str, np.ndarray],
    calibration: dict[str, tuple[list[float], list[float]]],
    meta: dict[str, object],
) -> None:
    """Write the artifacts that :func:`load_model` reads (used by the trainer)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, vocab in (("words.txt", words), ("chars.txt", chars)):
        assert all("\n" not in v for v in vocab)
        (out_dir / name).write_text("\n".join(vocab), encoding="utf-8")
    float_arrays: dict[str, Any] = {k: v.astype(np.float32) for k, v in arrays.items()}
    np.savez_compressed(out_dir / "weights.npz", **float_arrays)
    doc = {
        "format_version": FORMAT_VERSION,
        "labels": list(LABELS),
        "calibration": {k: {"xs": xs, "ys": ys} for k, (xs, ys) in calibration.items()},
        "meta": meta,
    }
    (out_dir / "model.json").write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")


def read_format_version(model_dir: Path | None = None) -> int:
    doc = json.loads(((model_dir or ARTIFACTS) / "model.json").read_text(encoding="utf-8"))
    return int(doc["format_version"])


def load_model(model_dir: Path | None = None, *, encoder: bool = True, route_at: float | None = None) -> Any:
    """Load the shipped model (or one written by ``townhall train`` to ``model_dir``).

    Where the folder holds an ``encoder/`` (the cascade's second stage), the result is a
    :class:`~townhall.policy.classifiers.encoder.CascadeModel` with the same scoring API, routing at its
    trained threshold or at ``route_at``; ``encoder=False`` gives the linear model alone.
    """
    d = Path(model_dir) if model_dir is not None else ARTIFACTS
    linear = _load_linear(d)
    if not encoder or not (d / "encoder").is_dir():
        return linear
    from townhall.policy.classifiers.encoder import load_cascade

    cascade = load_cascade(linear, d / "encoder")
    return cascade if route_at is None else cascade.with_route_at(route_at)


def _load_linear(d: Path) -> ToxicityModel:
    try:
        doc = json.loads((d / "model.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFormatError(f"no classifier model in {d} (run `townhall train`)") from exc
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(f"model in {d} has format {doc.get('format_version')}, this code reads {FORMAT_VERSION}")
    words = (d / "words.txt").read_text(encoding="utf-8").split("\n")
    chars = (d / "chars.txt").read_text(encoding="utf-8").split("\n")
    with np.load(d / "weights.npz") as z:
        arrays = {k: z[k] for k in z.files}
    cal = {k: Calibration(np.asarray(v["xs"], dtype=np.float64), np.asarray(v["ys"], dtype=np.float64))
           for k, v in doc["calibration"].items()}
    return ToxicityModel(words, chars, arrays["idf_words"], arrays["idf_chars"], arrays["coef_words"],
                         arrays["coef_chars"], arrays["intercept"], cal, doc["labels"], doc.get("meta"))
