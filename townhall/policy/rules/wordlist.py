"""The word-list rule: refuse (or hold, or flag) comments containing listed words, however disguised.

Options in the policy file::

    [[rules]]
    name = "f_word"
    type = "wordlist"
    words = ["fuck"]        # the F word gets its own matcher (phonetic spellings, compounds)
    allow = ["Fucking, Austria"]   # phrases that are never caught (matched after folding)

Every listed word is matched through look-alike letters, accents, invisible characters, leetspeak,
masking, separators and repeated letters (see :mod:`townhall.policy.wordmatch`). Hits carry the span in
the reader's original text, widened to the whole word the match sits in, and the reader's own characters
as evidence. The rule records ``scores[name]`` = 1.0 when it fires, else 0.0.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from townhall.policy.normalise import Normalised, normalise
from townhall.policy.rules.base import Resources, RuleConfigError, RuleSpec
from townhall.policy.types import Action, Hit, RuleResult, Subject
from townhall.policy.wordmatch import F_WORD_FAMILY, FWordMatcher, ends_word_in_link
from townhall.policy.wordtrie import WordTrie

__all__ = ["WordListRule", "MAX_WORDS"]

MAX_HITS = 20  # per comment; one is enough to decide, a few more help the reader edit
MAX_WORDS = 10_000  # per rule: the largest published lists have a few thousand


def _string_list(options: Mapping[str, Any], key: str, *, required: bool) -> tuple[str, ...]:
    value = options.get(key, [] if not required else None)
    if value is None:
        raise RuleConfigError(key, "is required: a list of words, e.g. [\"fuck\"]")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleConfigError(key, f"must be a list of strings, not {value!r}")
    if any(not v.strip() for v in value):
        raise RuleConfigError(key, "must not contain empty strings")
    return tuple(value)


def _quoted(word: str) -> str:
    return repr(word) if len(word) <= 40 else repr(word[:40]) + "…"


def _checked_words(words: tuple[str, ...]) -> dict[str, str]:
    """The listed words, checked, by their folded form; a duplicate (also after folding: "Shit" and "ѕhit" with
    a Cyrillic ѕ are "shit" twice) is dropped, keeping the first."""
    if len(words) > MAX_WORDS:
        raise RuleConfigError("words", f"lists {len(words):,} words; at most {MAX_WORDS:,} are allowed per rule "
                                       "(split the list over several rules)")
    folded: dict[str, str] = {}
    for word in words:
        if word != word.strip():
            raise RuleConfigError("words", f"{_quoted(word)} has spaces around it: remove them (a listed word "
                                           "is always matched as a whole word)")
        text = normalise(word).text
        if not text or not all(c.isalnum() for c in text):
            raise RuleConfigError("words", f"{_quoted(word)}: a listed word must be letters (and digits) only")
        if len(text) == 1 and text.isascii():
            raise RuleConfigError("words", f"{_quoted(word)} is a single letter or digit: it would catch every "
                                           "comment where it stands alone (\"a\", \"I\", \"2\"); list whole words")
        folded.setdefault(text, word)
    return folded


# A link starts a word: "Awwww.F*ck you" and "Ewww.fvck that" are not links. Links pasted without their
# scheme (pic.twitter.com/iujIsNkFUk, bit.ly/fCkSGn5) count when a domain is followed by a path.
_URL = re.compile(r"(?<![a-z0-9])(?:https?://|www\.)\S++"
                  r"|(?<![a-z0-9.\-_@/])(?:[a-z0-9\-]++\.)++[a-z]{2,24}/\S++")
# Right-to-left override (U+202E) displays the Latin letters after it reversed, up to a pop (U+202C),
# the end of an isolate (U+2069) or of the paragraph: "\u202ekcuf" shows the word. Embeddings and
# isolates (U+202B, U+2067) do not reverse the letters of a word.
_RLO = "\u202e"
_RLO_END = re.compile("[\u202c\u2069\n\r\u2029]")


def _urls(folded: str) -> list[tuple[int, int]]:
    if "/" not in folded and "www." not in folded:
        return []
    return [m.span() for m in _URL.finditer(folded)]


def _joins_word(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch) in ("Mn", "Me", "Cf")


def _whole_word(text: str, start: int, end: int, floor: int = 0) -> tuple[int, int]:
    """Widen ``[start, end)`` to the letters around it, so evidence shows "motherfucker", not "fuck".
    The left scan stops at ``floor`` (text already covered by an earlier hit)."""
    while start > floor and _joins_word(text[start - 1]):
        start -= 1
    while end < len(text) and _joins_word(text[end]):
        end += 1
    return start, end


class _Cover:
    """Is a span inside one of these ranges? Asked for spans in ascending start order: linear overall
    (a running maximum of the range ends, instead of a scan of every range for every span)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.ranges = sorted(ranges)
        self.i = 0
        self.reach = -1

    def covers(self, start: int, end: int) -> bool:
        while self.i < len(self.ranges) and self.ranges[self.i][0] <= start:
            self.reach = max(self.reach, self.ranges[self.i][1])
            self.i += 1
        return end <= self.reach


@dataclass(frozen=True, slots=True)
class WordListRule:
    type_name: ClassVar[str] = "wordlist"
    trust_softens: ClassVar[bool] = False  # a listed word is never waved through for trusted accounts

    name: str
    description: str
    action: Action
    strike: bool
    words: tuple[str, ...]  # as listed, without duplicates
    allow: tuple[str, ...]  # folded
    matchers: tuple[FWordMatcher | WordTrie, ...]  # the F word's own matcher; one WordTrie for all other words

    @classmethod
    def from_spec(cls, spec: RuleSpec, resources: Resources | None = None) -> WordListRule:
        options = dict(spec.options)
        unknown = sorted(set(options) - {"words", "allow"})
        if unknown:
            raise RuleConfigError(unknown[0], "unknown option for a wordlist rule (options: words, allow)")
        words = _string_list(options, "words", required=True)
        if not words:
            raise RuleConfigError("words", "must list at least one word")
        allow = _string_list(options, "allow", required=False)
        checked = _checked_words(words)
        matchers: list[FWordMatcher | WordTrie] = [FWordMatcher(w) for w in checked if w in F_WORD_FAMILY]
        others = [w for w in checked if w not in F_WORD_FAMILY]
        if others:
            matchers.append(WordTrie(others))
        folded_allow = tuple(normalise(a).text for a in allow)
        return cls(spec.name, spec.description, spec.action, spec.strike, tuple(checked.values()), folded_allow,
                   tuple(matchers))

    def evaluate(self, subject: Subject) -> RuleResult:
        norm = normalise(subject.text)
        spans: list[tuple[int, int]] = []
        for matcher in self.matchers:
            spans.extend(matcher.find(norm.text, norm))
        if _RLO in subject.text:
            spans.extend(self._reversed_spans(norm))
        hits = self._hits(norm, spans) if spans else ()
        return RuleResult(hits=hits, scores={self.name: 1.0 if hits else 0.0})

    def _allowed(self, folded: str) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        for phrase in self.allow:
            at = folded.find(phrase)
            while at >= 0:
                ranges.append((at, at + len(phrase)))
                at = folded.find(phrase, at + 1)
        return ranges

    def _hits(self, norm: Normalised, spans: list[tuple[int, int]]) -> tuple[Hit, ...]:
        allowed = _Cover(self._allowed(norm.text) if self.allow else [])
        urls = _Cover(_urls(norm.text))
        words: list[tuple[int, int]] = []
        # Linear in the text however many matches it holds: spans come in order, each widening scans only
        # text no earlier hit covers, and once MAX_HITS words are final the rest cannot be shown anyway.
        for start, end in sorted(spans):
            if allowed.covers(start, end):
                continue
            if urls.covers(start, end) and not self._in_link_word(norm.text, start, end):
                continue  # random letters of a link (t.co/7FcCkRhx) are not the reader's word
            s, e = norm.span(start, end)
            if words and s < words[-1][1]:  # inside the previous hit's word: widen only past its end
                if e > words[-1][1]:
                    e = _whole_word(norm.original, e, e)[1]
                words[-1] = (words[-1][0], max(e, words[-1][1]))
                continue
            s, e = _whole_word(norm.original, s, e, floor=words[-1][1] if words else 0)
            if words and s < words[-1][1]:
                words[-1] = (words[-1][0], max(e, words[-1][1]))
            else:
                if len(words) == MAX_HITS:
                    break
                words.append((s, e))
        return tuple(
            Hit(self.name, self.description, self.action, span=(s, e), evidence=norm.original[s:e],
                score=1.0, strike=self.strike)
            for s, e in words[:MAX_HITS]
        )

    def _in_link_word(self, folded: str, start: int, end: int) -> bool:
        """A link that spells the word out (/fuck-you) or disguises it as a word of its own (/f*ck-you,
        www.f-u-c-k.com) is read; a few letters of a random token (t.co/7FcCkRhx) are not."""
        inside = folded[start:end]
        return (any(m.word in inside if isinstance(m, FWordMatcher) else m.contains(inside) for m in self.matchers)
                or ends_word_in_link(folded, start, end))

    def _reversed_spans(self, norm: Normalised) -> list[tuple[int, int]]:
        """Matches in the runs that a right-to-left override displays reversed, as forward folded spans."""
        spans: list[tuple[int, int]] = []
        starts = norm.starts
        if starts is None:  # cannot happen: the override folds to nothing, so the map is explicit
            return spans
        at = norm.original.find(_RLO)
        while at >= 0:
            stop = _RLO_END.search(norm.original, at + 1)
            end = stop.start() if stop else len(norm.original)
            lo, hi = bisect_right(starts, at), bisect_left(starts, end)
            shown = norm.text[lo:hi][::-1]
            for matcher in self.matchers:
                spans.extend((hi - b, hi - a) for a, b in matcher.find(shown))
            at = norm.original.find(_RLO, max(end, at + 1))
        return spans

    def explain(self) -> str:
        listed = ", ".join(f'"{w}"' for w in self.words)
        fword = any(isinstance(m, FWordMatcher) for m in self.matchers)
        how = ("look-alike letters, accents, invisible characters, symbols for letters, masking (f*ck), "
               "spaced-out or repeated letters")
        if fword:
            how += ", phonetic spellings (fuk, phuck, fvck) and compounds (motherfucker)"
        verb = {Action.REJECT: "Refuses", Action.HOLD: "Holds for a moderator",
                Action.FLAG: "Publishes but flags for moderators"}[self.action]
        text = f"{self.name}: {verb} comments containing {listed}, also when disguised by {how}."
        if fword:
            text += " Mentions such as \"the F word\", \"F-bomb\" or \"f***\" are fine."
        if self.allow:
            text += f" Never caught: {', '.join(repr(a) for a in self.allow)}."
        return text + (" Counts as a strike." if self.strike else " Not a strike.")
