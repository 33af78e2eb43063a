"""The second stage of the cascade: a fine-tuned MiniLM-L6 encoder, int8, run by ONNX Runtime on a CPU.

The linear model (:mod:`.model`) scores every comment in a fraction of a millisecond. Only comments it finds
*possibly* abusive or obscene (a linear score at or above ``route_at`` for either label) are read again by
the encoder, whose verdict is blended with the linear score by a small logistic model fitted on the
calibration split. Everything else keeps its linear score. Explanations (the words that drove a score)
always come from the linear model.

The encoder reads at most :data:`READ_TOKENS` tokens of a comment. A longer comment is read through a window of
that size around the word the linear model found strongest, so the encoder looks where the doubt is. Its
time grows with the tokens it reads (2.4 ms for 32 tokens, 4.2 ms for 64 and 8.9 ms for 128 on one core of
the benchmark machine: bench/encoder_ops.py), and on the dev splits the window gave the same ROC AUC, to
0.001, as reading the first 128 tokens (docs/classifiers.md).

Artifacts (``artifacts/encoder/``): ``model.onnx`` (int8 weights, layer norms unfused: training/unfuse.py),
``tokenizer.json`` and ``encoder.json``
(format version, routing thresholds, blend coefficients, calibration). The encoder loads lazily, on the
first comment that needs it, so a process that never sees a doubtful comment never pays for it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from townhall.policy.classifiers.features import F_TOKEN, tokens, word_spans

ENCODER_FORMAT_VERSION = 2  # 2: encoder.json names read_tokens, and long comments are read through a window
MAX_TOKENS = 128  # the length the encoder was fine-tuned on
READ_TOKENS = 64  # the most it reads of one comment, [CLS] and [SEP] included
MASK = "[MASK]"

# ONNX Runtime fusions that would put back the nodes townhall/training/unfuse.py took apart (slower on x86)
UNFUSED = ("SkipLayerNormFusion", "BiasGeluFusion")

Focus = Callable[[str], "int | None"]  # where in a comment (a character offset) a window should be centred


def _f_word_spans(text: str) -> list[tuple[int, int]]:
    if F_TOKEN not in tokens(text):  # the same tokens as word_spans' (tested), found five times faster
        return []
    spans: list[tuple[int, int]] = []
    for s, e, tok in word_spans(text):
        if tok == F_TOKEN and (not spans or s >= spans[-1][1]):
            spans.append((s, e))
    return spans


def encoder_text(text: str) -> str:
    """The text the encoder reads: the F word (which has its own rule) hidden behind ``[MASK]``.

    Without this the obscene head would learn the F word itself, which the house rules treat apart (refused,
    no strike). The position stays visible, so "[MASK] you" can still read as an attack.
    """
    return _masked(text, _f_word_spans(text))


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out, last = [], 0
    for s, e in spans:
        out.append(text[last:s])
        out.append(MASK)
        last = e
    out.append(text[last:])
    return "".join(out)


def masked_offset(text: str, offset: int, spans: list[tuple[int, int]] | None = None) -> int:
    """Where character ``offset`` of ``text`` lies in :func:`encoder_text` of it (``spans``: the text's F-word
    spans where the caller has them)."""
    shift = 0
    for s, e in _f_word_spans(text) if spans is None else spans:
        if s >= offset:
            break
        shift += (e - s) - len(MASK) if e <= offset else (offset - s)
    return offset - shift


def evidence_at(linear: Any, text: str, label: str | None = None) -> int | None:
    """The start of the word that pushed the linear model's ``label`` score (by default its higher one) up the
    most, or None if none did: where a long comment's encoder window is centred."""
    if label is None:
        scores = linear.score_one(text)
        label = max(scores, key=scores.__getitem__)
    span = linear.strongest_span(text, label)
    return span[0] if span else None


class EncoderFormatError(RuntimeError):
    """The encoder artifacts are missing, incomplete or from an incompatible trainer."""


def logodds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Blend:
    """P(label) for a routed comment: a logistic model over the linear score's log-odds and the encoder's
    logit, fitted on the calibration split."""

    w_linear: float
    w_encoder: float
    bias: float

    def __call__(self, p_linear: np.ndarray, encoder_logit: np.ndarray) -> np.ndarray:
        z = self.w_linear * logodds(p_linear) + self.w_encoder * encoder_logit + self.bias
        return 1.0 / (1.0 + np.exp(-z))


class Encoder:
    """Tokenizer + ONNX session, loaded on first use; safe to call from several threads."""

    def __init__(self, directory: Path, threads: int = 1, read_tokens: int = READ_TOKENS) -> None:
        self.directory = directory
        self.threads = threads
        self.read_tokens = read_tokens
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:  # pragma: no cover - both are dependencies of the package
                raise EncoderFormatError(f"the encoder needs onnxruntime and tokenizers: {exc}") from exc
            tok = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
            tok.no_truncation()  # a long comment is cut by the window (:meth:`_window`), not at its end
            tok.no_padding()
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            session = ort.InferenceSession(str(self.directory / "model.onnx"), opts, providers=["CPUExecutionProvider"],
                                           disabled_optimizers=list(UNFUSED))
            self._tokenizer = tok
            self._session = session  # last: another thread takes a set session as "loaded"

    def logits(self, texts: Sequence[str], focus: Focus | None = None) -> np.ndarray:
        """Raw logits (abusive, obscene) for each text, shape (len(texts), 2).

        A text longer than ``read_tokens`` is read through a window centred on ``focus(text)`` (its first
        tokens where there is no focus or it gives None).
        One comment per run, never padded batches: int8 activations are quantized with one scale per run,
        so in a batch a comment's score would depend on its neighbours. (Batches gave no speed-up on a CPU.)
        """
        out = np.zeros((len(texts), 2), dtype=np.float64)
        if not texts:
            return out
        if self._session is None:
            self._load()
        spans = [_f_word_spans(t) for t in texts]
        for i, encoded in enumerate(self._tokenizer.encode_batch([_masked(t, s) for t, s in zip(texts, spans)])):
            window = encoded.ids
            if len(window) > self.read_tokens:
                at = focus(texts[i]) if focus is not None else None
                window = self._window(encoded, None if at is None else masked_offset(texts[i], at, spans[i]))
            ids = np.array([window], dtype=np.int64)
            (result,) = self._session.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            out[i] = result[0]
        return out

    def _window(self, encoded: Any, at: int | None) -> list[int]:
        """[CLS], the ``read_tokens - 2`` tokens around character ``at`` (or the first ones), [SEP]."""
        ids, k = encoded.ids, self.read_tokens - 2
        start = 0
        if at is not None:
            inner = encoded.offsets[1:-1]
            centre = next((j for j, (_, end) in enumerate(inner) if end > at), len(inner) - 1)
            start = min(max(centre - k // 2, 0), len(inner) - k)
        return [ids[0], *ids[1 + start : 1 + start + k], ids[-1]]


class LogitSource(Protocol):
    def logits(self, texts: Sequence[str], focus: Focus | None = None) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class CascadeSettings:
    route_at: float  # a comment whose linear score for either label reaches this is read by the encoder
    blends: dict[str, Blend]
    read_tokens: int = READ_TOKENS  # the longest window the encoder reads (the blends were fitted on it)


class CascadeModel:
    """The linear model for every comment, the encoder for the doubtful ones (same API as ToxicityModel)."""

    def __init__(self, linear: Any, encoder: LogitSource, settings: CascadeSettings) -> None:
        self.linear = linear
        self.encoder = encoder
        self.settings = settings
        self.labels = linear.labels
        self.meta = dict(linear.meta, encoder=True, route_at=settings.route_at)
        self._last: tuple[str, dict[str, float], dict[str, float] | None] | None = None

    def with_route_at(self, route_at: float) -> CascadeModel:
        """The same models with another routing threshold (0 = the encoder reads every comment)."""
        return CascadeModel(self.linear, self.encoder,
                            CascadeSettings(route_at, self.settings.blends, self.settings.read_tokens))

    def routed(self, linear_scores: dict[str, np.ndarray]) -> np.ndarray:
        return np.max(np.stack([linear_scores[k] for k in self.labels], 1), axis=1) >= self.settings.route_at

    def score(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        lin = self.linear.score(texts)
        out = {k: v.copy() for k, v in lin.items()}
        routed = np.flatnonzero(self.routed(lin)) if len(texts) else np.zeros(0, dtype=np.int64)
        if routed.size:
            top = {texts[i]: max(self.labels, key=lambda k, i=i: lin[k][i]) for i in routed}
            logits = self.encoder.logits([texts[i] for i in routed], lambda t: evidence_at(self.linear, t, top[t]))
            blended = self._blended({k: v[routed] for k, v in lin.items()}, logits)
            for label in self.labels:
                out[label][routed] = blended[label]
        return out

    def focus(self, text: str) -> int | None:
        """Where the encoder's window goes in a long comment (:func:`evidence_at`); scoring passes the label
        it already knows instead of scoring the comment again."""
        return evidence_at(self.linear, text)

    def _blended(self, lin: dict[str, np.ndarray], logits: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of comments the encoder read: its logits blended with their linear scores."""
        return {label: np.minimum(self.settings.blends[label](lin[label], logits[:, j]), 0.999)
                for j, label in enumerate(self.labels)}

    def score_one(self, text: str) -> dict[str, float]:
        """Scores for one text; the last text's scores are kept so that several rules read it once."""
        return dict(self._one(text)[1])

    def first_stage(self, text: str) -> dict[str, float] | None:
        """The linear model's scores for ``text`` where the encoder re-read it (else None), for the evidence
        a moderator sees."""
        first = self._one(text)[2]
        return dict(first) if first is not None else None

    def _one(self, text: str) -> tuple[str, dict[str, float], dict[str, float] | None]:
        last = self._last
        if last is not None and last[0] == text:
            return last
        lin = self.linear.score([text])
        routed = bool(self.routed(lin)[0])
        scores = {k: float(v[0]) for k, v in lin.items()}
        first = dict(scores) if routed else None
        if routed:
            top = max(scores, key=scores.__getitem__)
            logits = self.encoder.logits([text], lambda t: evidence_at(self.linear, t, top))
            scores = {k: float(v[0]) for k, v in self._blended(lin, logits).items()}
        entry = (text, scores, first)
        self._last = entry
        return entry

    def explain(self, text: str, label: str, k: int = 5) -> list[tuple[str, float]]:
        return self.linear.explain(text, label, k)

    def strongest_span(self, text: str, label: str) -> tuple[int, int] | None:
        return self.linear.strongest_span(text, label)


def save_encoder_settings(directory: Path, settings: CascadeSettings, meta: dict[str, object]) -> None:
    doc = {"format_version": ENCODER_FORMAT_VERSION, "route_at": settings.route_at, "max_tokens": MAX_TOKENS,
           "read_tokens": settings.read_tokens,
           "blends": {k: {"w_linear": b.w_linear, "w_encoder": b.w_encoder, "bias": b.bias}
                      for k, b in settings.blends.items()},
           "meta": meta}
    (directory / "encoder.json").write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")


def read_encoder_format_version(directory: Path) -> int:
    return int(json.loads((directory / "encoder.json").read_text(encoding="utf-8"))["format_version"])


def load_cascade(linear: Any, directory: Path, threads: int = 1) -> CascadeModel:
    """Wrap ``linear`` with the encoder in ``directory`` (checked now, loaded on first use)."""
    try:
        doc = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EncoderFormatError(f"no encoder in {directory}") from exc
    if doc.get("format_version") != ENCODER_FORMAT_VERSION:
        raise EncoderFormatError(f"encoder in {directory} has format {doc.get('format_version')}, "
                                 f"this code reads {ENCODER_FORMAT_VERSION}")
    if doc.get("max_tokens") != MAX_TOKENS:
        raise EncoderFormatError(f"encoder in {directory} reads {doc.get('max_tokens')} tokens, this code {MAX_TOKENS}")
    read_tokens = doc.get("read_tokens")
    if not isinstance(read_tokens, int) or not 3 <= read_tokens <= MAX_TOKENS:
        raise EncoderFormatError(f"encoder in {directory} has a read window of {read_tokens!r} tokens, "
                                 f"this code needs 3 to {MAX_TOKENS}")
    for name in ("model.onnx", "tokenizer.json"):
        if not (directory / name).is_file():
            raise EncoderFormatError(f"encoder in {directory} lacks {name}")
    blends = {k: Blend(float(v["w_linear"]), float(v["w_encoder"]), float(v["bias"])) for k, v in doc["blends"].items()}
    if set(blends) != set(linear.labels):
        raise EncoderFormatError(f"encoder in {directory} blends {sorted(blends)}, the model has {list(linear.labels)}")
    settings = CascadeSettings(float(doc["route_at"]), blends, read_tokens)
    return CascadeModel(linear, Encoder(directory, threads, read_tokens), settings)
