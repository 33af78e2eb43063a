"""Material for the simulator: real comment text and real troll timing from ``../shared/data`` when
present, a clearly flagged synthetic fallback otherwise. Nothing here runs at import time."""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import numpy as np


class DataSource(StrEnum):
    REAL = "real"  # civil comments + tweeteval text, IRA troll timing
    SYNTHETIC = "synthetic"  # generated words and timing: for developers without ../shared/data


FAMOUS_QUOTES = (
    "Those who cannot remember the past are condemned to repeat it, as the philosopher warned us long ago.",
    "The only thing necessary for the triumph of evil is for good men to do nothing at all.",
    "Ask not what your country can do for you, ask what you can do for your country.",
    "Injustice anywhere is a threat to justice everywhere, we are caught in an inescapable network of mutuality.",
    "Democracy is the worst form of government except for all those other forms that have been tried.",
    "Power tends to corrupt and absolute power corrupts absolutely, great men are almost always bad men.",
)

_USER = re.compile(r"@\w+|https?://\S+|#")


@dataclass(frozen=True, slots=True)
class SimMaterial:
    source: DataSource
    side_a: list[str]  # sentence pools of two "sides"; the split is arbitrary and only used to test
    side_b: list[str]  # that flipping every text's stance cannot change who is flagged
    gaps_min: list[np.ndarray]  # per real troll account: inter-post gaps in minutes
    hours: list[np.ndarray]  # per real troll account: 24-bin hour-of-day profile (sums to 1)


def load_material(data_dir: Path | None, rng: random.Random, max_texts: int = 40000) -> SimMaterial:
    if data_dir is not None and (data_dir / "ira_trolls" / "tweets.csv").exists():
        texts = _real_texts(data_dir)
        gaps, hours = _ira_timing(data_dir / "ira_trolls" / "tweets.csv")
        source = DataSource.REAL
    else:
        texts = _synthetic_texts(rng, max_texts)
        gaps, hours = _synthetic_timing(rng)
        source = DataSource.SYNTHETIC
    rng.shuffle(texts)
    sentences = _sentences(texts[:max_texts])
    half = len(sentences) // 2
    return SimMaterial(source, sentences[:half], sentences[half : 2 * half], gaps, hours)


_SENT = re.compile(r"(?<=[.!?])\s+")


def _sentences(texts: list[str]) -> list[str]:
    """Split into sentences of 5+ words (joined with their neighbour when shorter), deduplicated."""
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        buf = ""
        for part in _SENT.split(text):
            buf = f"{buf} {part}".strip()
            if len(buf.split()) >= 5:
                if buf not in seen:
                    seen.add(buf)
                    out.append(buf)
                buf = ""
    return out


def _clean(text: str) -> str:
    return " ".join(_USER.sub("", text).split())


def _real_texts(root: Path) -> list[str]:
    texts: list[str] = []
    with open(root / "civil_comments_spans" / "comments.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            texts.append(_clean(row["comment_text"]))
    for name in ("tweeteval_hate", "tweeteval_offensive"):
        path = root / name / "train_text.txt"
        if path.exists():
            texts.extend(_clean(line) for line in path.read_text(encoding="utf-8").splitlines())
    seen: set[str] = set()
    out = []
    for t in texts:
        if len(t.split()) >= 5 and t not in seen:
            seen.add(t)
            out.append(t[:600])
    return out


def _ira_timing(path: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    per: dict[str, list[float]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            try:
                t = datetime.strptime(row["publish_date"], "%Y-%m-%d %H:%M:%S").timestamp() / 60.0
            except ValueError:
                continue
            per.setdefault(row["author_id"], []).append(t)
    gaps, hours = [], []
    for times in per.values():
        if len(times) < 30:
            continue
        arr = np.sort(np.array(times))
        g = np.diff(arr)
        g = g[(g >= 1) & (g <= 3 * 24 * 60)]
        if len(g) < 20:
            continue
        h = np.bincount(((arr // 60) % 24).astype(int), minlength=24).astype(float)
        gaps.append(g)
        hours.append(h / h.sum())
    return gaps, hours


_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "da", "pe", "ro", "zu", "fa", "gi", "ho", "be")


def _synthetic_texts(rng: random.Random, n: int) -> list[str]:
    vocab = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(6000)]
    cum: list[float] = []
    total = 0.0
    for i in range(len(vocab)):
        total += 1.0 / (i + 1) ** 0.9
        cum.append(total)
    out = []
    for _ in range(n):
        k = rng.randint(9, 30)
        out.append(" ".join(rng.choices(vocab, cum_weights=cum, k=k)).capitalize() + ".")
    return out


def _synthetic_timing(rng: random.Random) -> tuple[list[np.ndarray], list[np.ndarray]]:
    gaps, hours = [], []
    for _ in range(100):
        g = np.array([rng.lognormvariate(4.0, 1.5) for _ in range(200)])
        shift = rng.randrange(24)
        h = np.array([1.0 if (i - shift) % 24 < 9 else 0.05 for i in range(24)])
        gaps.append(np.clip(g, 1, 3 * 24 * 60))
        hours.append(h / h.sum())
    return gaps, hours
