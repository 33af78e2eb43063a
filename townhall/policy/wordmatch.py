"""Find a listed word in folded text (see :mod:`townhall.policy.normalise`) through its disguises.

Two kinds of matcher, both returning spans in the FOLDED text:

* :class:`FWordMatcher` — the F word, with everything readers do to it: leetspeak, masking, separators,
  repeated letters, phonetic spellings (fuk, phuck, fvck, fck, fucc, fuq, fcuk) and compounds
  (motherfucker, clusterfuck, #fuckthis). Innocent neighbours are ruled out explicitly (Fukushima,
  Fukuoka, Fuqua, Phuket, Phuc, fuchsia, Fuchs, "of UK" ...).
* :class:`WordMatcher` — any other word a publisher lists: the same leetspeak, masking, separator and
  repeat handling, but only as a whole word (plus a plural or -ing/-er/-y ending), never inside another
  word, because generic words hide inside innocent ones far more often than the F word does.

Mentions of the word are not the word: ``f***`` (only the first letter shown), ``f-word``, ``F-bomb``,
``f-ing`` and acronyms (wtf, stfu) do not match. A masked form must show the first letter and at least
one of the word's consonants after it (``f*ck``, ``f**k``, ``fu*k``) to count.

Linear time: every pattern is a regular expression whose repeated parts are possessive (no
backtracking into them) and whose starting points are fenced by look-behinds, so no two match attempts
scan the same run of characters; separator runs are bounded. Python's ``re`` supports possessive
quantifiers from 3.11.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterator, Mapping, Protocol

from townhall.policy.normalise import normalise

__all__ = ["Matcher", "FWordMatcher", "WordMatcher", "LEET", "MASK_CHARS", "matcher_for"]

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
_SYMBOL_MASKS = "\u2022\u00b7\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff\U0001f300-\U0001faff"
_MASK = "[" + re.escape(MASK_CHARS) + _SYMBOL_MASKS + "]"
_WEAK_MASKS = ".-_?!~"  # mask characters that also occur naturally between words (so do emoji)
# Characters that may separate the letters of a spelled-out word: f u c k, f.u.c.k, f-u-c-k, f_u_c_k,
# f/u/c/k, one letter per line, or emoji between letters (any non-ASCII character left after folding).
_SEP = r"(?:[\s.\-_,/\\~'\"`:;+*=|]|[^\x00-\x7f])"
# Everything that can be part of a disguised word: a generic word may not start right after one.
_WORDISH = "a-z0-9" + re.escape(MASK_CHARS + "|()<>{}[]/\\^")


class Matcher(Protocol):
    @property
    def word(self) -> str:
        """The listed word, folded."""
        ...

    def find(self, folded: str) -> Iterator[tuple[int, int]]:
        """Spans ``[start, end)`` in folded text where the word appears, in order."""
        ...


# --- The F word --------------------------------------------------------------------------------------

_F_V = r"(?:[uv]|\|_\||\(_\))"
_F_C = r"(?:c|<|\((?!_\)))"  # "(" is a c unless it opens "(_)", a u
_F_K = r"(?:k|\|<)"
_F_COMPACT = re.compile(
    rf"""
    (?P<on>f(?<!ff)f*+|p(?<!pp)p*+h++)   # literal first (fast scan); never start inside a run
    (?:
        (?P<v>{_F_V}++)
        (?:
            (?P<ck>{_F_C}++{_F_K}++)          # fuck fuuckk fu(k
          | (?P<k>{_F_K}++)                   # fuk fukk
          | (?P<q>q++)                        # fuq
          | (?P<cc>{_F_C}{{2,}}+)              # fucc, fuc(
          | (?P<vm>{_MASK}{{1,2}}+{_F_K}++)   # fu*k
        )
      | (?P<m>{_MASK}{{1,3}}+)(?P<mk>{_F_C}*+{_F_K}++)   # f*ck f**k f#@k f_ck
      | (?P<nv>{_F_C}++{_F_K}++)                        # fck
      | (?P<t>{_F_C}++{_F_V}++{_F_K}++)                    # fcuk
    )
    """,
    re.X,
)
_F_SPACED = re.compile(
    rf"""
    (?P<on>f(?<![a-z0-9]f)|ph(?<![a-z0-9]ph))(?P<s1>{_SEP}{{0,3}}+)
    (?:(?P<v>{_F_V})(?P<s2>{_SEP}{{0,3}}+))?
    (?:(?P<c>{_F_C})(?P<s3>{_SEP}{{0,3}}+))?
    (?P<k>{_F_K}|q)
    """,
    re.X,
)


def _letter_at(text: str, i: int) -> str:
    return text[i] if 0 <= i < len(text) and text[i].isalpha() else ""


@dataclass(frozen=True, slots=True)
class FWordMatcher:
    """The F word and its family, including compounds. Stateless; compiled patterns are module constants."""

    word: str = "fuck"

    def find(self, folded: str) -> Iterator[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for m in _F_COMPACT.finditer(folded):
            if self._compact_ok(m, folded):
                found.append(m.span())
        for m in _F_SPACED.finditer(folded):
            if self._spaced_ok(m, folded):
                found.append(m.span())
        found.sort()
        return iter(found)

    @staticmethod
    def _compact_ok(m: re.Match[str], text: str) -> bool:
        after = _letter_at(text, m.end())
        ph = m.group("on").startswith("p")
        if ph and m.group("v") is None and not (m.group("mk") or "").startswith("c"):
            return False  # phck, ph*k: not a spelling anyone reads as the word (ph*ck is)
        if m.group("k") is not None:
            # Fukushima, Fukuoka, Fukuyama, Fukuda; Phuket
            return after not in ("aeou" if ph else "aou") or after == ""
        if m.group("q") is not None:
            if after and after in "aeiou":
                return False  # Fuqua, Fuquay
            # inside a word only in "dafuq"/"thefuq" (not "al-Tawafuq")
            start = m.start()
            return not _letter_at(text, start - 1) or text.endswith(("da", "the"), 0, start)
        if m.group("cc") is not None:
            # fucc, fuccin, fuc( — at least one real c; "Phucc" would be a name
            return "c" in m.group("cc") and (not ph or after == "")
        if m.group("m") is not None:
            # f*ck, f**k — but not f*k or f-k (too short to read as the word); punctuation that also
            # sits between words ("itself...kind", "stuff!!Kids", "jeff__kent") masks only at a word start
            if m.end() - m.start() < 4:
                return False
            if all(ch in _WEAK_MASKS or not ch.isascii() for ch in m.group("m")):
                return not _letter_at(text, m.start() - 1) and not text[m.start() - 1 : m.start()].isdigit()
            return True
        return True

    @staticmethod
    def _spaced_ok(m: re.Match[str], text: str) -> bool:
        seps = [m.group(g) for g in ("s1", "s2", "s3") if m.group(g) is not None]
        if not any(seps):
            return False  # unspaced: the compact pattern decides
        if m.group("v") is None and m.group("c") is None:
            return False  # "f k", "f. k"
        if m.group("on") == "ph" and m.group("v") is None:
            return False
        if m.group("c") is None or m.group("v") is None:
            # f u k, f.c.k: every gap must be the same separator and the word must end there
            # ("Grade F. UK schools", "FC Köln", "F C Kaiserslautern" are not the word)
            return all(seps) and len(set(seps)) == 1 and _letter_at(text, m.end()) == ""
        return True


# --- Any other word -------------------------------------------------------------------------------------

_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "in", "y", "ies")


def _runs(word: str) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for ch in word:
        if runs and runs[-1][0] == ch:
            runs[-1] = (ch, runs[-1][1] + 1)
        else:
            runs.append((ch, 1))
    return runs


def _alts(letter: str) -> list[str]:
    return [re.escape(letter)] + [re.escape(a) for a in LEET.get(letter, ())]


def _unit(letter: str, count: int) -> str:
    return "(?:" + "|".join(_alts(letter)) + ")" + ("++" if count == 1 else "{%d,}+" % count)


def _not_after(alternatives: list[str]) -> str:
    """Look-behinds that stop a match from starting inside a run of its own first unit."""
    return "".join(f"(?<!{a})" for a in alternatives)


@dataclass(frozen=True, slots=True)
class WordMatcher:
    """A publisher's word, matched whole (with a common ending) through leet, masks, separators, repeats."""

    word: str
    compact: re.Pattern[str]
    spaced: re.Pattern[str] | None

    @classmethod
    def compile(cls, word: str) -> WordMatcher:
        folded = normalise(word).text.strip()
        if not folded or not all(c.isalnum() for c in folded):
            raise ValueError(f"{word!r}: a listed word must be letters (and digits) only")
        runs = _runs(folded)
        first = _alts(runs[0][0])
        parts = [f"(?<![{_WORDISH}])", _not_after(first), _unit(*runs[0])]
        for letter, count in runs[1:-1]:
            parts.append(f"(?:{_unit(letter, count)}|{_MASK})")
        if len(runs) > 1:
            parts.append(_unit(*runs[-1]))
        suffix = "|".join(_SUFFIXES)
        parts.append(f"(?:{suffix})?+(?![a-z0-9])")
        compact = re.compile("".join(parts))
        spaced = None
        if len(folded) >= 3:
            units = ["(?:" + "|".join(_alts(c)) + ")" for c in folded]
            spaced = re.compile("(?<![a-z0-9])" + f"{_SEP}{{1,3}}+".join(units) + "(?![a-z0-9])")
        return cls(folded, compact, spaced)

    def find(self, folded: str) -> Iterator[tuple[int, int]]:
        found = [m.span() for m in self.compact.finditer(folded)]
        if self.spaced is not None:
            found.extend(m.span() for m in self.spaced.finditer(folded))
        found.sort()
        return iter(found)


F_WORD_FAMILY: frozenset[str] = frozenset({"fuck"})


def matcher_for(word: str) -> Matcher:
    """The matcher for a listed word: the F word's own, or the generic one."""
    folded = normalise(word).text.strip()
    if folded in F_WORD_FAMILY:
        return FWordMatcher(folded)
    return WordMatcher.compile(word)
