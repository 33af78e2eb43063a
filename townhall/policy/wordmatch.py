"""Find a listed word in folded text (see :mod:`townhall.policy.normalise`) through its disguises.

Two kinds of matcher, both returning spans in the FOLDED text:

* :class:`FWordMatcher` — the F word, with everything readers do to it: leetspeak, masking, separators,
  repeated letters, phonetic spellings (fuk, phuck, fvck, fck, fucc, fuq, fcuk) and compounds
  (motherfucker, clusterfuck, #fuckthis). Strong spellings count anywhere; weak ones (fuk, fck, f-ck,
  f*k) only as a word of their own, which keeps out names and other languages (Fukushima, Fukien,
  fuktig, Fuccillo, Phuc Khanh, #ProudOfUK, tofu-kale).
* :class:`WordMatcher` — any other word a publisher lists: the same leetspeak, masking, separator and
  repeat handling, but only as a whole word (plus a plural or -ing/-er/-y ending), never inside another
  word, because generic words hide inside innocent ones far more often than the F word does.
  The word-list rule reads all of a list's generic words at once with :class:`townhall.policy.wordtrie.WordTrie`,
  which finds exactly the spans of one WordMatcher per word (this class is its reference, in the tests).

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
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Protocol

# The alphabet of disguises lives in townhall.policy.leet; its names are also this module's (imported from here).
from townhall.policy.leet import LEET, MASK as _MASK, MASK_CHARS, SEPARATOR, SYMBOL_MASKS, WORDISH as _WORDISH
from townhall.policy.leet import alternatives as _alts, letter_runs
from townhall.policy.normalise import Normalised, normalise

__all__ = ["Matcher", "FWordMatcher", "WordMatcher", "LEET", "MASK_CHARS", "SEPARATOR", "SUFFIXES",
           "SYMBOL_MASKS", "letter_runs", "matcher_for"]


class Matcher(Protocol):
    @property
    def word(self) -> str:
        """The listed word, folded."""
        ...

    def find(self, folded: str, source: Normalised | None = None) -> Iterator[tuple[int, int]]:
        """Spans ``[start, end)`` in folded text where the word appears, in order. ``source`` is the
        :class:`Normalised` the folded text came from (for letter case), when the caller has it."""
        ...


def _letter_at(text: str, i: int) -> str:
    return text[i] if 0 <= i < len(text) and text[i].isalpha() else ""


# --- The F word --------------------------------------------------------------------------------------
#
# Two patterns find candidates (compact forms, and letters spelled out with separators); a candidate then
# has to read as the word in its context. The principle: the strong spellings (the letters c and k both
# visible: fuck, fvck, phuck, fu(k, fcuk, f*ck) are the word wherever they stand, compounds included;
# every weaker form (fuk, fck, fucc, fu*k, f-ck, f*k) is the word only as a word of its own — it starts
# a word or follows a compound head (mother, cluster, mind ...) and ends the word or is followed by an
# English inflection (-ing, -in, -er, -ed) or compound tail (-off, -up, -wit, -head ...). That keeps out
# the words of other languages and names (fukt, fuksi, Fukien, Fuccillo, tofu-kale, #ProudOfUK, surfuk).

# u, v, their leetspeak (|_| (_) \/ \_/ [_]), and, checked in context: y (Cyrillic у folds to y: fуck), oo and 00
# (fookin, f00k) and an h after the vowel (fuhk, fuhck)
_F_V = r"(?:[uvy]|oo|00|\|_\||\(_\)|\\_?/|\[_\])"
_F_C = r"(?:c|<|\((?!_\)))"  # "(" is a c unless it opens "(_)", a u
_F_K = r"(?:k|\|<)"
# Masks: the generic ones plus apostrophes (and backticks), slashes, dashes, math operators and U+FFFD (f'ck, f/ck, f—ck,
# f∗ck, f×ck, f�ck). Only the ASCII symbols below mask inside running text (motherf*cker); the rest also
# sit between words, so they mask only at a word start or after a compound head (motherf-cker).
_F_STRONG = "*#@%$^&+="
# Any other non-ASCII symbol or punctuation mark (not a letter, digit or space) masks too: block elements
# (f█ck), technical and mathematical symbols (f⌧ck, f⦿ck), Latin-1 signs (f§ck, f†ck, f¿ck), CJK and Arabic
# punctuation (f٭ck).
_F_MASK = ("(?:[" + re.escape(MASK_CHARS + "'`/") + SYMBOL_MASKS
           + "\u00d7\u2010-\u2015\u2018\u2019\u201b\u2024-\u2027\u2032\u2042\u204e\u2055\u2200-\u22ff\u30fb\ufffd]"
           + r"|[^\x00-\x7f\w\s])")
# Separators between spelled-out letters: the generic ones plus the symbols readers put there (f!u!c!k,
# f#u#c#k, (f)(u)(c)(k), [f][u][c][k], f>u>c>k); runs of up to 8 ("f  -  u  -  c  -  k"), where a run of
# whitespace counts as one: a browser shows "f          u          c          k" as "f u c k".
_F_SEP = r"(?:[\s.\-_,/\\~'\"`:;+*=|!#@$%^&?()\[\]{}<>]|[^\x00-\x7f])"
_F_GAP = rf"(?:\s++|{_F_SEP}){{0,8}}+"

_F_COMPACT = re.compile(
    rf"""
    (?P<on>f(?<!ff)f*+|p(?<!pp)p*+h++)   # literal first (fast scan); never start inside a run
    (?:
        (?P<v>{_F_V}++h?+)
        (?:
            (?P<ck>{_F_C}++{_F_K}++)                  # fuck fuuckk fu(k
          | (?P<kc>k++c++)                            # fukc (transposed)
          | (?P<k>{_F_K}++)                           # fuk fukk
          | (?P<q>q++)                                # fuq
          | (?P<cc>{_F_C}{{2,}}+)                      # fucc, fuc(
          | (?P<vm>{_F_MASK}{{1,3}}+){_F_K}++           # fu*k
          | (?P<vx>x){_F_K}++                           # fuxk: an x for the c
          | c++(?P<vcm>{_F_MASK}{{1,3}}+)(?P<vck>{_F_K}*+)   # fuc*, fuc***, fuc*k: the k hidden
          | (?P<c1>c)                                   # fuc: only before an object (fuc off, fuc u)
        )
      | (?P<m>{_F_MASK}{{1,4}}+)(?P<mc>{_F_C}*+)(?P<m2>{_F_MASK}{{0,2}}+){_F_K}++   # f*ck f**k f*c*k f*k
      | (?P<nv>{_F_C}++{_F_K}++)                                          # fck
      | (?P<cm>{_F_C}++{_F_MASK}{{1,2}}+{_F_K}++)                           # fc*k
      | (?P<t>{_F_C}++{_F_V}++{_F_K}++)                                    # fcuk
      | (?P<x>[x0](?:x|{_F_C})){_F_K}++                                    # fxck fxxk f0ck: an x or a zero for the u
      | (?P<fk>{_F_K}++)                                                   # fk: fking, fkn, fk off
    )
    """,
    re.X,
)
_F_SPACED = re.compile(
    rf"""
    (?P<on>f(?<![a-z0-9]f)|ph(?<![a-z0-9]ph))
    {_F_GAP}
    (?:[uv](?:{_F_GAP}[uv])*+{_F_GAP})?
    (?:c(?:{_F_GAP}c)*+{_F_GAP})?
    (?:k(?:{_F_GAP}k)*+|q)
    """,
    re.X,
)


def _leet(word: str) -> str:
    """A regex for ``word`` with each letter's run written in letters or leetspeak (fa(e, cl|_|ster)."""
    units = []
    for letter, count in letter_runs(word):
        alts = _alts(letter)
        if letter == "u":
            alts.append("v")
        units.append("(?:" + "|".join(alts) + ")" + ("+" if count == 1 else "{%d,}" % count))
    return "".join(units)  # greedy, not possessive: "l" may also be "|", and "cl|_|ster" needs it back


# Heads of compounds a weak form may follow, as the whole rest of the word (motherf-cker, clusterfuk,
# mindf-ck, asfuk, dafuq).
_HEADS = ("mother", "motha", "mutha", "muther", "muth", "cluster", "mind", "dumb", "brain", "abso", "absolutely",
          "un", "da", "the", "as", "no")
# What may follow a weak form inside its word: inflections, and compound tails (fukoff, fckwit). Not -en
# or -you: Japanese fuken, fukken, fukyou.
_INFLECTIONS = ("ing", "in", "n", "er", "ers", "r", "ed", "d", "ery", "s")
_TAILS = _INFLECTIONS + ("off", "up", "wit", "wits", "tard", "tards", "head", "heads", "face", "faces", "this",
                         "that", "boy", "boys", "boi", "bois", "wad", "wads", "stick", "nut", "nuts", "em")
# Endings of a weak form only after a compound head (muthafukka, mothafuka; not the name Fuka)
_HEAD_ENDINGS = ("a", "as", "az")
# fk (no vowel, no c) is read only with an ending, or before one of _OBJECTS (fk off); not FK Vardar
_FK_ENDINGS = ("ing", "in", "n", "ed", "d", "er", "ers")
_HEAD = re.compile("(?<![^\\W_])(?:" + "|".join(_leet(h) for h in _HEADS) + ")\\Z")
_INFLECTION = tuple(re.compile(_leet(s)) for s in _INFLECTIONS)
_TAIL = tuple(re.compile(_leet(s)) for s in _TAILS)
_HEAD_ENDING = tuple(re.compile(_leet(s)) for s in _HEAD_ENDINGS)
_FK_ENDING = tuple(re.compile(_leet(s)) for s in _FK_ENDINGS)
# A title-case "Fuk" next to a capitalised word (not one of these) or before a hyphenated syllable is a
# Cantonese name: Fuk Wing Street, Tin Fuk Road, Wong Fuk-hing. "Fuk You" and "Fuk Off" are not.
_OBJECTS = frozenset({"you", "u", "ya", "off", "up", "them", "him", "her", "me", "it", "this", "that", "all", "the",
                      "everything", "everyone", "everybody", "yourself", "yourselves", "themselves", "outta", "em",
                      "yuh", "yo", "ur", "your", "yall"})
_ORDINAL = re.compile(r"\d\.\s{0,2}\Z")  # "1. FCK": a German club (1. FC Kaiserslautern), like "1. FC Köln"
_SCORE = re.compile(r"\s{0,2}\d")  # "FCK 2-1 Brøndby": F.C. København, with its score
_NEXT_WORD = re.compile(r"\s{1,3}([a-z]+)")
# "fuc" (no k) is read only before one of these: fuc off, fuc u, fuc wit, fuc a bitch (not WP:FUC #3)
_FUC_OBJECTS = _OBJECTS | {"wit", "with", "a"}
_LISTING = frozenset(",;")  # "f, u, c, k" lists letters


@dataclass(frozen=True, slots=True)
class _Reading:
    """Word boundaries in folded text; with the source text, CamelCase humps count as boundaries too
    (#FukTrump, WatDaFckYouMean), so a hump inside a word is a boundary, not a letter run (#ProudOfUK)."""

    text: str
    source: Normalised | None

    def char(self, i: int) -> str:
        """The reader's character behind folded offset ``i`` (for its letter case)."""
        if self.source is None or not 0 <= i < len(self.text):
            return ""
        at = self.source.original_start(i)
        return self.source.original[at] if at < len(self.source.original) else ""

    def hump(self, i: int) -> bool:
        """A lower-case letter followed by an upper-case one: a CamelCase boundary before offset ``i``."""
        return self.source is not None and self.char(i).isupper() and self.char(i - 1).islower()

    def boundary(self, i: int) -> bool:
        return i >= len(self.text) or not self.text[i].isalnum() or self.hump(i)

    def starts_word(self, i: int) -> bool:
        """Does a word start at ``i``, or does ``i`` follow a compound head ("mother")?"""
        if i == 0 or not self.text[i - 1].isalnum() or self.hump(i):
            return True
        return _HEAD.search(self.text, max(0, i - 40), i) is not None

    def after_head(self, i: int) -> bool:
        """Does ``i`` follow a compound head ("mutha") inside a word?"""
        return i > 0 and self.text[i - 1].isalnum() and _HEAD.search(self.text, max(0, i - 40), i) is not None

    def ends_word(self, i: int, tails: tuple[re.Pattern[str], ...] = _TAIL, *, bare: bool = True) -> bool:
        """Does the word end at ``i`` (if ``bare``), or after one of ``tails`` (``fuk|off``, ``f*k|ing``)?"""
        if bare and self.boundary(i):
            return True
        for tail in tails:
            m = tail.match(self.text, i)
            if m is not None and self.boundary(m.end()):
                return True
        return False

    def cantonese_name(self, start: int, end: int) -> bool:
        text = self.text
        if self.source is None or text[start:end] not in ("fuk", "phuk", "fook"):
            return False
        if not (self.char(start).isupper() and all(self.char(i).islower() for i in range(start + 1, end))):
            return False
        if text[end : end + 1] == "-":
            return self.char(end + 1).islower()
        word = re.match(r" ([a-z]+)", text[end : end + 40])
        return (word is not None and word.group(1) not in _OBJECTS and self.char(end + 1).isupper()
                and self.char(end + 2).islower())


def ends_word_in_link(text: str, start: int, end: int) -> bool:
    """A hit inside a link counts when it is a word of the link (``/f*ck-you``, ``www.f-u-c-k.com``), not a
    few letters of a random token (``t.co/7FcCkRhx``)."""
    reading = _Reading(text, None)
    return reading.starts_word(start) and reading.ends_word(end)


@dataclass(frozen=True, slots=True)
class FWordMatcher:
    """The F word and its family, including compounds. Stateless; compiled patterns are module constants."""

    word: str = "fuck"

    def find(self, folded: str, source: Normalised | None = None) -> Iterator[tuple[int, int]]:
        """``source``, the normalised text, gives letter case: CamelCase boundaries and names (Tin Fuk Road)."""
        found: list[tuple[int, int]] = []
        reading = _Reading(folded, source)
        for m in _F_COMPACT.finditer(folded):
            if self._compact_ok(m, reading):
                found.append(m.span())
        for m in _F_SPACED.finditer(folded):
            end = self._spaced_end(m, folded)
            if end is not None:
                found.append((m.start(), end))
        found.sort()
        return iter(found)

    @staticmethod
    def _compact_ok(m: re.Match[str], r: _Reading) -> bool:
        text = r.text
        start, end = m.span()
        ph = m.group("on").startswith("p")
        vowel = m.group("v") or m.group("t") or ""
        if "y" in vowel and m.group("ck") is None and m.group("t") is None:
            return False  # fyck, fуck (Cyrillic у) only with c and k both visible; not Norwegian fyk
        if ("o" in vowel or "0" in vowel) and m.group("k") is None and m.group("ck") is None:
            return False  # fookin, fooking, f00k; not fooq, foocc
        if vowel.endswith("h") and m.group("k") is None and m.group("ck") is None:
            return False  # fuhk, fuhck
        if m.group("c1") is not None:  # fuc off, fuc u — not WP:FUC, Phuc, Fucino
            if ph or not r.starts_word(start) or not r.boundary(end) or r.hump(end):
                return False
            after = _NEXT_WORD.match(text, end)
            return after is not None and after.group(1) in _FUC_OBJECTS
        if m.group("ck") is not None:
            return not text.startswith("el", end)  # Leopold Fuckel, the genus Fuckelia
        if m.group("t") is not None:
            return not ph  # fcuk
        if ph and m.group("v") is None and not m.group("mc"):
            return False  # phck, ph*k: not a spelling anyone reads as the word (ph*ck is)
        if m.group("kc") is not None:  # fukc, fukc off
            return r.starts_word(start) and r.ends_word(end)
        if m.group("k") is not None:  # fuk: Fukushima, Fukien, fuksi, fukt, tofukitchen, #GolfUK, Fuk Wing St
            if r.after_head(start) and r.ends_word(end, _HEAD_ENDING, bare=False):
                return True  # muthafukka, mothafuka
            if text.startswith("s", end) and r.boundary(end + 1) and not r.after_head(start):
                return False  # Polish "fuks" (a fluke), the surname Fuks
            return r.starts_word(start) and r.ends_word(end) and not r.cantonese_name(start, end)
        if m.group("q") is not None:
            after = _letter_at(text, end)
            if after and after in "aeiour" or (after == "s" and r.boundary(end + 1)):
                return False  # Fuqua, Fuquay, Jamaat ul-Fuqra, FUQs
            # inside a word only in "dafuq"/"thefuq" (not "al-Tawafuq")
            return not _letter_at(text, start - 1) or text.endswith(("da", "the"), 0, start)
        if m.group("cc") is not None:  # fucc, fuccin — not Fucci, Fuccillo
            if "c" not in m.group("cc") or (ph and _letter_at(text, end)):
                return False
            return r.starts_word(start) and r.ends_word(end)
        if m.group("nv") is not None:  # fck, fcking — not FCKW, "1. FCK"
            return (r.starts_word(start) and r.ends_word(end) and _SCORE.match(text, end) is None
                    and _ORDINAL.search(text, max(0, start - 6), start) is None)
        if m.group("vcm") is not None:  # fuc*, fuc*ing: only the ASCII symbols hide the k (not "Phuc.")
            if ph or not all(ch in _F_STRONG for ch in m.group("vcm")):
                return False
            return bool(m.group("vck")) or r.ends_word(end, _INFLECTION)
        if m.group("vx") is not None or m.group("x") is not None:  # fuxk, fxck, fxxk, fxcking, f0ck
            return not ph and r.starts_word(start) and r.ends_word(end)
        if m.group("fk") is not None:  # fking, fkn, fkd up, fk off — not FK Vardar, fk_user_id
            if ph or not r.starts_word(start):
                return False
            if r.ends_word(end, _FK_ENDING, bare=False):
                return True
            after = _NEXT_WORD.match(text, end) if r.boundary(end) and not r.hump(end) else None
            return after is not None and after.group(1) in _OBJECTS
        masks = m.group("vm") or m.group("m") or ""
        if m.group("m2") and set(m.group("m2")) != set(masks):
            return False  # f*c*k, not the formula f=c*k
        masks += m.group("m2") or ""
        if m.group("cm") is not None:
            if ph:
                return False
            masks = "".join(ch for ch in m.group("cm") if ch not in "c<(")
        strong = any(ch in _F_STRONG for ch in masks)
        if not strong and not r.starts_word(start):
            return False  # "itself...kind", "stuff!!Kids", "jeff__kent", "tofu-kale": punctuation between words
        if m.group("vm") is not None:
            return r.ends_word(end)  # fu*k, fu-king — not "kung fu-kicks", "Fu-Kiang", "tofu+kale"
        if m.group("m") is not None and len(masks) + len(m.group("mc")) == 1:
            # f*k alone is too short to read as the word; f*king, f*ker, F'ked are read
            return r.starts_word(start) and r.ends_word(end, _INFLECTION, bare=False)
        return True

    @staticmethod
    def _spaced_end(m: re.Match[str], text: str) -> int | None:
        """Where a spelled-out match ends, or None. One separator throughout (one gap may hide a letter:
        "f * c k"); the full spelling may leave gaps empty ("fu ck"), a partial one ("f u k") may not."""
        base = m.end("on")
        body = text[base : m.end()]
        units: list[str] = []
        gaps: list[str] = []
        ends: list[int] = []
        gap_start = 0
        for i, ch in enumerate(body):
            if "a" <= ch <= "z":
                units.append(ch)
                gaps.append(body[gap_start:i])
                ends.append(base + i + 1)
                gap_start = i + 1
        # the letters up to the first k decide the separator; repeated k's follow only with it, and may
        # belong to the next word ("f u c k kind"): the longest run that ends the word wins
        first_k = units.index(units[-1])
        ph = m.group("on") == "ph"
        spelled = _spelled_out(ph, units[: first_k + 1], gaps[: first_k + 1])
        if spelled is None and all(g.isspace() for g in gaps[: first_k + 1] if g):
            # uneven spaces ("f u  c k", one letter per line with blank lines) read as one separator, but
            # only for the full spelling: "F  U K" stays a grade and a country
            even = [" " if g else "" for g in gaps]
            spelled = _spelled_out(ph, units[: first_k + 1], even[: first_k + 1])
            if spelled is None or not spelled[1]:
                return None
            gaps = even
        if spelled is None:
            return None
        sep, full = spelled
        last = first_k
        while last + 1 < len(units) and (gaps[last + 1] == sep or (full and not gaps[last + 1])):
            last += 1
        reading = _Reading(text, None)
        for j in range(last, first_k - 1, -1):
            # "Phuc Khanh", "phục kích", "kung fu c kid" are not the word; "f u c king" is
            if reading.ends_word(ends[j], _INFLECTION if full else (), bare=True):
                return ends[j]
        return None


def _spelled_out(ph: bool, units: list[str], gaps: list[str]) -> tuple[str, bool] | None:
    """The separator of spelled-out letters, and whether all of c, k and a vowel show (or one is hidden
    behind a mask: "f * c k"); None if they are not spelled out with one separator."""
    if not any(g for i, g in enumerate(gaps) if i == 0 or units[i] != units[i - 1]):
        return None  # unspaced ("fuck KD": a repeated letter is not a spelling): the compact pattern decides
    counts = Counter(g for g in gaps if g)
    sep = min(counts, key=lambda g: (-counts[g], len(g), g))
    if any(ch in _LISTING for ch in sep):
        return None  # "let f, u, c, k be constants", "Fu, C. K."
    hidden = [g for g in gaps if g != sep and g.startswith(sep) and g.endswith(sep)
              and len(g) == 2 * len(sep) + 1 and g[len(sep)] in _F_STRONG]
    if len(hidden) > 1 or any(g and g != sep and g not in hidden for g in gaps):
        return None  # "Fu C.K.": not one separator
    has_v = any(u in "uv" for u in units)
    has_c = "c" in units
    if hidden and has_v == has_c:
        return None
    if (ph and not has_v) or not (has_v or has_c or hidden):
        return None  # "f k", "ph c k"
    if not hidden and not (has_v and has_c):
        # f u k, f.c.k: every gap filled ("Grade F. UK schools", "FC Köln" are not the word)
        return (sep, False) if all(gaps) else None
    return sep, True


# --- Any other word -------------------------------------------------------------------------------------

_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "in", "y", "ies")
SUFFIXES = _SUFFIXES  # in the order the pattern tries them (for townhall.policy.wordtrie)


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
        runs = letter_runs(folded)
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
            spaced = re.compile("(?<![a-z0-9])" + f"{SEPARATOR}{{1,3}}+".join(units) + "(?![a-z0-9])")
        return cls(folded, compact, spaced)

    def find(self, folded: str, source: Normalised | None = None) -> Iterator[tuple[int, int]]:
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
