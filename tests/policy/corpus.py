"""Real comments from ``../shared/data`` for the policy tests and the benchmark (read lazily, streamed)."""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from pathlib import Path
from typing import Iterator

__all__ = ["BROAD_F_WORD", "comments", "clean_comments", "looks_like_f_word"]

_CSV_SOURCES = (
    ("civil_comments_spans/comments.csv", "comment_text"),
    ("jigsaw2018_sample/part1.csv", "comment_text"),
    ("jigsaw2018_sample/part2.csv", "comment_text"),
    ("wiki_toxicity_in_context/gc.csv", "text"),
    ("davidson2017/labeled_data.csv", "tweet"),
)
_TEXT_SOURCES = ("tweeteval_offensive/train_text.txt", "tweeteval_hate/train_text.txt")

# Deliberately broad: anything that might be a form of the F word, written independently of the rule
# under test. An f (or ph, or a spaced-out f) followed within a few non-letters by u/v and/or c/k/q, or
# with an x for one of its letters.
# It also removes innocent look-alikes (fuchsia, Fukushima); the table tests cover those.
BROAD_F_WORD = re.compile(
    r"(?:f|ph)[^a-z\s]{0,4}(?:[uvo]+h?[^a-z\s]{0,4})?[ckq(<]"
    r"|(?<![a-z])f[\W_]{0,4}[uv]?[\W_]{0,4}[ckq]"
    r"|f[^a-z\s]*[*#@%$^&+=_.\-!?~]{1,4}[^a-z\s]*[a-z]"
    r"|f[uv]?x{1,2}[ck]"  # an x for a letter: fxck, fxxk, fuxk
)


def looks_like_f_word(text: str) -> bool:
    folded = unicodedata.normalize("NFKD", text).casefold()
    folded = "".join(c for c in folded if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return BROAD_F_WORD.search(folded) is not None


def comments(root: Path) -> Iterator[str]:
    """Every comment/tweet text of the sources above, in a fixed order."""
    csv.field_size_limit(sys.maxsize)
    for name, column in _CSV_SOURCES:
        with (root / name).open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                yield row[column]
    for name in _TEXT_SOURCES:
        with (root / name).open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                yield line.rstrip("\n")


def clean_comments(root: Path) -> Iterator[str]:
    """Comments in which not even the broad pattern finds anything like the F word."""
    return (t for t in comments(root) if t.strip() and not looks_like_f_word(t))
