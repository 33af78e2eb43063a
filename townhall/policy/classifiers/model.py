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
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from townhall.policy.classifiers.features import F_TOKEN, ID_TOKEN, Chunk, char_grams, tokens, word_spans

FORMAT_VERSION = 1
LABELS: tuple[str, ...] = ("abusive", "obscene")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
_TOKEN_CACHE_MAX = 200_000
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_IDS.flags.writeable = False
_MAX_P = 0.999  # a threshold of 1.0 in a policy file therefore never fires
_UNKNOWN, _PLACEHOLDER = -1, -2  # unigram ids of a token outside the vocabulary, and of an identity placeholder


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
        self._unigrams, self._bigram_keys, self._bigram_ids, self._stray_bigrams = _word_tables(words)
        self._idf_w = idf_words.astype(np.float64)
        self._idf_c = idf_chars.astype(np.float64)
        self._coef_w = coef_words.astype(np.float64)
        self._coef_c = coef_chars.astype(np.float64)
        self._intercept = intercept.astype(np.float64)
        self.calibration = calibration
        self.meta = dict(meta or {})
        self._token_chars: dict[str, np.ndarray] = {}
        self._canonical: dict[str, tuple[str, ...]] = {}  # raw token -> canonical tokens (see features.tokens)
        self._chunks: dict[str, Chunk] = {}  # whitespace-separated chunk -> its tokens (see features.word_spans)
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

    def _columns(self, token_lists: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(row, word id, row, character id) of every feature occurrence of a batch of token lists, with
        repetitions; each text's character ids in order.

        The batch's tokens are read as one list (a placeholder between texts, so that no bigram joins two of
        them), and numpy does the rest once per batch, not once per text:

        * a bigram is found by its two unigrams' ids, all at once by a binary search over the vocabulary's
          bigrams, instead of joining and looking up one string per pair (a quarter of the linear stage's time);
        * each token's character ids are kept as one array, and the batch's are joined by numpy (flattening
          them in Python cost a third of it).
        """
        flat: list[str] = []
        for toks in token_lists:
            flat += toks
            flat.append(ID_TOKEN)
        row = np.repeat(np.arange(len(token_lists), dtype=np.int64),
                        np.fromiter((len(t) + 1 for t in token_lists), dtype=np.int64, count=len(token_lists)))
        u = np.fromiter(map(self._unigrams.get, flat, repeat(_UNKNOWN)), dtype=np.int64, count=len(flat))
        a, b = u[:-1], u[1:]
        both = (a >= 0) & (b >= 0)
        pairs = a[both] * len(self.words) + b[both]
        at = np.searchsorted(self._bigram_keys, pairs)  # the keys end with a sentinel above every pair
        hit = self._bigram_keys[at] == pairs
        known = u >= 0
        w_rows, w_ids = [row[known], row[:-1][both][hit]], [u[known], self._bigram_ids[at[hit]]]
        if self._stray_bigrams:  # bigrams of the vocabulary with a word that is not in it on its own
            odd = np.flatnonzero(((a == _UNKNOWN) | (b == _UNKNOWN)) & (a != _PLACEHOLDER) & (b != _PLACEHOLDER))
            found = [(j, i) for j in odd.tolist() if (i := self._stray_bigrams.get(f"{flat[j]} {flat[j + 1]}")) is not None]
            if found:
                w_rows.append(row[[j for j, _ in found]])
                w_ids.append(np.array([i for _, i in found], dtype=np.int64))
        try:  # every token seen before (placeholders are cached with no character grams)
            parts = list(map(self._token_chars.__getitem__, flat))
        except KeyError:  # work out the new ones, then read every one from the cache again
            for tok in set(flat).difference(self._token_chars):
                self._char_ids(tok)
            try:
                parts = list(map(self._token_chars.__getitem__, flat))
            except KeyError:  # the cache was full and emptied on the way
                parts = list(map(self._char_ids, flat))
        sizes = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        c_ids = np.concatenate(parts) if parts else _NO_IDS
        return np.concatenate(w_rows), np.concatenate(w_ids), np.repeat(row, sizes), c_ids

    def _ids(self, text: str, toks: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(word feature ids in no order, character feature ids in order) of ``text``, with repetitions."""
        _, w_ids, _, c_ids = self._columns([self._tokens(text) if toks is None else toks])
        return w_ids, c_ids

    @staticmethod
    def _block(rows: Sequence[np.ndarray], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, value) of the sublinear-tf × idf, L2-normalised block for a batch (one array of
        column ids per row), by row and column."""
        n = len(rows)
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
        row = np.repeat(np.arange(n, dtype=np.int64), lengths)
        return ToxicityModel._block_of(row, np.concatenate(rows) if n else _NO_IDS, n, idf)

    @staticmethod
    def _block_of(row: np.ndarray, col: np.ndarray, n: int, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_block` of ``n`` rows given as (row, column) pairs of feature occurrences."""
        if col.size == 0:
            return _NO_IDS, _NO_IDS, np.zeros(0)
        width = idf.shape[0]
        kind = np.int32 if n * width < 2**31 else np.int64  # a batch's keys sort about twice as fast in 32 bits
        key = row.astype(kind) * kind(width)
        key += col.astype(kind, copy=False)
        key.sort()
        first = np.empty(key.size, dtype=bool)  # the first of each run of equal keys
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(starts, append=key.size)
        r, c = np.divmod(key[starts].astype(np.int64), width)
        v = (1.0 + np.log(counts)) * idf[c]
        norms = np.sqrt(np.bincount(r, weights=v * v, minlength=n))
        v = v / norms[r]
        return r, c, v

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated decision values, shape (len(texts), len(labels))."""
        n = len(texts)
        w_rows, w_ids, c_rows, c_ids = self._columns([self._tokens(t) for t in texts])
        out = np.tile(self._intercept, (n, 1))
        for row, col, idf, coef in ((w_rows, w_ids, self._idf_w, self._coef_w), (c_rows, c_ids, self._idf_c, self._coef_c)):
            r, c, v = self._block_of(row, col, n, idf)
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
        """Margin contribution per word feature, with character n-grams credited to the words they occur in
        (a gram's value split evenly between its occurrences)."""
        j = self.labels.index(label)
        toks = self._tokens(text)
        wids, cids = self._ids(text, toks)
        credit: dict[str, float] = {}
        _, c, v = self._block([wids], self._idf_w)
        for col, val in zip(c.tolist(), (self._coef_w[c, j] * v).tolist()):
            credit[self.words[col]] = credit.get(self.words[col], 0.0) + val
        if not cids.size:
            return credit
        _, c, v = self._block([cids], self._idf_c)  # c: the distinct ids, sorted
        per_gram = self._coef_c[c, j] * v / np.bincount(np.searchsorted(c, cids), minlength=c.size)
        at = per_gram[np.searchsorted(c, cids)]  # each occurrence's part, token after token (cids is in order)
        sizes = np.fromiter(map(len, map(self._char_ids, toks)), dtype=np.int64, count=len(toks))
        shares = np.zeros(len(toks))
        if sizes.any():  # one sum per token that has grams (reduceat would repeat a value for an empty one)
            shares[sizes > 0] = np.add.reduceat(at, (np.cumsum(sizes) - sizes)[sizes > 0])
        for tok, share in zip(toks, shares.tolist()):
            if tok != ID_TOKEN and tok != F_TOKEN:
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
        if len(self._chunks) >= _TOKEN_CACHE_MAX:
            self._chunks.clear()
        for start, end, tok in word_spans(text, self._chunks):
            value = credit.get(tok, 0.0)
            if value > 0 and (best is None or value > best[0]):
                best = (value, (start, end))
        return best[1] if best else None


def _word_tables(words: list[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray, dict[str, int]]:
    """For :meth:`ToxicityModel._word_ids`: unigram → id (the identity placeholder → :data:`_PLACEHOLDER`); the
    vocabulary's bigrams as sorted keys (first word's id × vocabulary size + second word's id, then a sentinel
    above any key) with their ids; and the few bigrams whose words are not both unigrams of the vocabulary."""
    unigrams = {w: i for i, w in enumerate(words) if " " not in w}
    keys: list[int] = []
    ids: list[int] = []
    stray: dict[str, int] = {}
    for i, w in enumerate(words):
        if " " in w:
            first, second = w.split(" ", 1)
            if first in unigrams and second in unigrams:
                keys.append(unigrams[first] * len(words) + unigrams[second])
                ids.append(i)
            else:
                stray[w] = i
    unigrams[ID_TOKEN] = _PLACEHOLDER
    order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
    sorted_keys = np.append(np.array(keys, dtype=np.int64)[order], np.iinfo(np.int64).max)
    return unigrams, sorted_keys, np.append(np.array(ids, dtype=np.int64)[order], -1), stray


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
