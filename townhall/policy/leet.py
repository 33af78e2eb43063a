"""The alphabet of disguises that :mod:`townhall.policy.wordmatch` and :mod:`townhall.policy.wordtrie` read a
listed word through: leetspeak stand-ins, masks, separators, and a word's runs of one letter. Pure data and
regular-expression fragments (character-class bodies and alternations) for folded text."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

__all__ = ["LEET", "MASK", "MASK_CHARS", "SEPARATOR", "SYMBOL_MASKS", "WORDISH", "alternatives", "letter_runs"]

# Symbols that stand in for a letter (leetspeak). Letters are never listed as stand-ins for other
# letters: that would make runs of the word's own letters ambiguous.
LEET: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "a": ("@", "4", "^", "/\\"),
        "b": ("8", "|3"),
        "c": ("(", "<", "{", "["),
        "e": ("3", "&"),
        "f": ("ph",),
        "g": ("9", "6"),
        "h": ("|-|",),
        "i": ("1", "!", "|"),
        "k": ("|<", "|{"),
        "l": ("1", "|"),
        "o": ("0", "()", "[]"),
        "s": ("$", "5"),
        "t": ("7", "+"),
        "u": ("v", "|_|", "(_)"),
        "x": ("><",),
        "z": ("2",),
    }
)

# Characters that hide a letter: f*ck, f**k, f#@k, f_ck, f-ck, f.ck.
MASK_CHARS = "*#@_%$!?^~+=&.-"
# Symbols and emoji hide a letter too (f💩ck, f♥ck, f●ck): bullets, geometric shapes, miscellaneous
# symbols, dingbats, arrows/stars and the emoji planes.
SYMBOL_MASKS = "\u2022\u00b7\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff\U0001f300-\U0001faff"  # a class body
MASK = "[" + re.escape(MASK_CHARS) + SYMBOL_MASKS + "]"
# Characters that may separate the letters of a spelled-out word: f u c k, f.u.c.k, f-u-c-k, f_u_c_k,
# f/u/c/k, one letter per line, or emoji between letters (any non-ASCII character left after folding).
SEPARATOR = r"(?:[\s.\-_,/\\~'\"`:;+*=|]|[^\x00-\x7f])"
# Everything that can be part of a disguised word: a generic word may not start right after one.
WORDISH = "a-z0-9" + re.escape(MASK_CHARS + "|()<>{}[]/\\^")


def letter_runs(word: str) -> list[tuple[str, int]]:
    """The runs of one letter in ``word``: "boob" -> [("b", 1), ("o", 2), ("b", 1)]."""
    runs: list[tuple[str, int]] = []
    for ch in word:
        if runs and runs[-1][0] == ch:
            runs[-1] = (ch, runs[-1][1] + 1)
        else:
            runs.append((ch, 1))
    return runs


def alternatives(letter: str) -> list[str]:
    """Regex alternatives for one letter: itself and its leetspeak stand-ins."""
    return [re.escape(letter)] + [re.escape(a) for a in LEET.get(letter, ())]
