"""All of a publisher's listed words (other than the F word) matched at once, however many there are.

:class:`WordTrie` finds exactly the spans that one :class:`townhall.policy.wordmatch.WordMatcher` per word
finds (the same leetspeak, masks, separators, repeats, endings and word boundaries), but its cost does
not grow with the number of words: the words are stored in two tries (one of letter runs for the compact
forms, one of letters for the spelled-out forms), and each place in the text where a word may start is
read once, walking down the trie as far as the text allows, instead of once per listed word.

How it stays exact: each generic word's pattern is deterministic except at its inner letter runs, where
it reads the letter (and its leetspeak, as many times as they repeat, possessively) or else one mask
character. The walk tries the same two choices in the same order, records for every word the first reading
that completes it (its ending and the end of the word checked as the pattern does), and keeps for every
word only matches that start after its previous match ended (what ``finditer`` does). Where a reading
may start is fenced exactly as the patterns fence it. ``tests/policy/test_wordlist_scale.py`` compares
every span with the per-word patterns on real comments and on generated disguises.

Linear in practice: a place is read only as far as some listed word still fits, the results for one
stretch of word characters are reused when the same stretch starts another place in the comment, and
a walk state (trie node, offset) is never explored twice. Pure: no I/O, no state outside an instance.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from townhall.policy.normalise import Normalised
from townhall.policy.wordmatch import LEET, MASK_CHARS, SEPARATOR, SUFFIXES, SYMBOL_MASKS, letter_runs

__all__ = ["WordTrie"]

# What may not stand right before a compact match (its look-behind) — WordMatcher's _WORDISH, as characters.
_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789" + MASK_CHARS + "|()<>{}[]/\\^")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # (?![a-z0-9]) / (?<![a-z0-9])
_MASK_ASCII = frozenset(MASK_CHARS)
_SYMBOL_MASK = re.compile("[" + SYMBOL_MASKS + "]")
# Separators between spelled-out letters (WordMatcher's _SEP): these ASCII characters (\s as Python's re
# reads it in a str pattern) and every non-ASCII character.
_SEP_ASCII = frozenset(" \t\n\r\f\v\x1c\x1d\x1e\x1f" + ".-_,/\\~'\"`:;+*=|")


# Readings whose stretch (or, spelled out, whose reach) is shorter are remembered for the rest of the comment.
_MEMO_CHARS = 128


_READ_AS = str.maketrans("pv", "fu")
_H_AFTER_F = re.compile(r"(?<=f)h++")
_REPEATS = re.compile(r"([a-z])\1+")


def _key(letters: str) -> str:
    """Plain letters folded so that every plain spelling of a word has the word's key (with its ending): "ph"
    and "p" as f, v as u, repeats as one. Two different words may share a key; the walk then decides."""
    letters = letters.translate(_READ_AS)
    if "fh" in letters:
        letters = _H_AFTER_F.sub("", letters)
    return _REPEATS.sub(r"\1", letters)


def _alts(letter: str) -> tuple[str, ...]:
    return (letter,) + LEET.get(letter, ())


def _is_mask(ch: str) -> bool:
    return ch in _MASK_ASCII or (ch > "\x7f" and _SYMBOL_MASK.match(ch) is not None)


def _unit(text: str, pos: int, alts: tuple[str, ...]) -> tuple[int, int]:
    """A possessive run of one letter's spellings from ``pos``: how many, and where it ends. At most one
    spelling of a letter can start at a given place (they start with different characters), so the run
    is the regular expression's ``(?:a|@|4)++``."""
    count = 0
    while True:
        for alt in alts:
            if text.startswith(alt, pos):
                pos += len(alt)
                count += 1
                break
        else:
            return count, pos


class _Node:
    """A trie node. Compact trie: ``children[letter]`` lists ``(run length, node)``; spelled-out trie: one
    node per letter (run length 1). ``ends``: the ids of the words whose last run (or letter) this is."""

    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[str, list[tuple[int, _Node]]] = {}
        self.ends: list[int] = []

    def child(self, letter: str, count: int) -> _Node:
        kids = self.children.setdefault(letter, [])
        for c, node in kids:
            if c == count:
                return node
        node = _Node()
        kids.append((count, node))
        return node


def _first_chars(letters: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """For each character, the letters one of whose spellings starts with it."""
    table: dict[str, list[str]] = {}
    for letter in letters:
        for alt in _alts(letter):
            if letter not in table.setdefault(alt[0], []):
                table[alt[0]].append(letter)
    return {ch: tuple(ls) for ch, ls in table.items()}


def _char_class(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


class WordTrie:
    """Every generic listed word at once. ``words`` are folded, letters and digits only, distinct."""

    __slots__ = ("words", "_lengths", "_root", "_first", "_stretch", "_sp_root", "_sp_first",
                 "_sp_starts", "_alts", "_listed", "_sp_reach",
                 "_every_first", "_keys", "_tail", "_word_runs",
                 "_ascii_stretch")

    def __init__(self, words: Iterable[str]) -> None:
        self.words: tuple[str, ...] = tuple(dict.fromkeys(words))
        self._listed = frozenset(self.words)
        self._lengths = tuple(sorted({len(w) for w in self.words}))
        letters = {ch for w in self.words for ch in w}
        self._alts = {letter: _alts(letter) for letter in letters}
        self._root = _Node()
        self._sp_root = _Node()
        for wid, word in enumerate(self.words):
            node = self._root
            for letter, count in letter_runs(word):
                node = node.child(letter, count)
            node.ends.append(wid)
            if len(word) >= 3:
                node = self._sp_root
                for letter in word:
                    node = node.child(letter, 1)
                node.ends.append(wid)
        self._first = _first_chars(self._root.children)
        self._sp_first = _first_chars(self._sp_root.children)
        self._every_first = _first_chars(letters)
        self._word_runs = tuple(tuple(letter_runs(w)) for w in self.words)
        keys: dict[str, list[int]] = {}
        for wid, word in enumerate(self.words):
            if word.isascii() and word.isalpha():
                for suffix in ("",) + SUFFIXES:
                    ids = keys.setdefault(_key(word + suffix), [])
                    if wid not in ids:
                        ids.append(wid)
        self._keys: dict[str, tuple[int, ...]] = {k: tuple(ids) for k, ids in keys.items()}
        # characters after a plain word that no reading can use: neither a letter, digit nor a spelling's start
        self._tail = "".join(sorted(_WORDISH - _ALNUM - set(self._every_first)))
        # the stretches of characters a compact reading may read (every character of a spelling, a mask or an
        # ending): a reading starts and ends inside one, and the character after it is never a-z or 0-9
        readable = _WORDISH | letters | set("".join(a for ls in self._alts.values() for a in ls))
        self._stretch = re.compile("[" + _char_class(readable)[1:-1] + SYMBOL_MASKS + "]++")
        self._ascii_stretch = re.compile(_char_class(c for c in readable if c.isascii()) + "++")  # ASCII text
        # where a spelled-out reading may start: a spelling, separators, a spelling, separators, a spelling
        # (a superset: any letter's spelling in each place; the walk then reads the words)
        self._sp_starts = None
        # a spelled-out reading reads at most 3 characters per letter and 3 per gap, and one after it
        self._sp_reach = 6 * max((len(w) for w in self.words), default=0) + 1
        if self._sp_first:
            every = "|".join(re.escape(a) for a in sorted({a for ls in self._alts.values() for a in ls},
                                                           key=lambda a: (-len(a), a)))
            sep = SEPARATOR
            self._sp_starts = re.compile(
                "(?<![a-z0-9])(?=" + _char_class(self._sp_first) + ")(?=(?:" + every + ")" + sep + "{1,3}+(?:"
                + every + ")" + sep + "{1,3}+(?:" + every + "))")

    def contains(self, text: str) -> bool:
        """Does ``text`` contain one of the words as written (folded)?"""
        listed = self._listed
        for n in self._lengths:
            for i in range(len(text) - n + 1):
                if text[i : i + n] in listed:
                    return True
        return False

    def find(self, folded: str, source: Normalised | None = None) -> Iterator[tuple[int, int]]:
        """Spans ``[start, end)`` in folded text where a listed word appears, in order (duplicates removed)."""
        spans: set[tuple[int, int]] = set()
        if self._root.children:
            if folded.isascii():
                self._find_ascii(folded, spans)
            else:
                self._find_any(folded, spans)
        if self._sp_starts is not None:
            last: dict[int, int] = {}
            sp_memo: dict[str, list[tuple[int, int]]] = {}
            reach = self._sp_reach
            for m in self._sp_starts.finditer(folded):
                p = m.start()
                if reach <= _MEMO_CHARS:
                    window = folded[p : p + reach]
                    found = sp_memo.get(window)
                    if found is None:
                        found = sp_memo[window] = self._spaced(window, 0)
                else:
                    found = self._spaced(folded, p)
                for wid, end in found:
                    if p >= last.get(wid, -1):
                        spans.add((p, p + end))
                        last[wid] = p + end
        return iter(sorted(spans))

    def _find_ascii(self, folded: str, spans: set[tuple[int, int]]) -> None:
        """Compact readings in ASCII text (most comments): one reading per stretch, from its start. Each distinct
        stretch is read once; the text is walked again for positions only when some stretch holds a word."""
        first, keys, tail = self._first, self._keys, self._tail
        readings: dict[str, list[tuple[int, int]] | None] = {}  # None: a long stretch, read in place
        runs = self._ascii_stretch.findall(folded)
        # every stretch's plain-letter key at once (the keys' stretches come in the same order)
        for run, key_run in zip(runs, self._ascii_stretch.findall(_key(folded))):
            if run in readings:
                continue
            if run[0] not in first:
                readings[run] = []
            elif len(run) >= _MEMO_CHARS:
                readings[run] = None  # a link, a run of symbols
            else:
                head = run.rstrip(tail)
                if head.isalpha() and head.islower():
                    candidates = keys.get(key_run.rstrip(tail))
                    readings[run] = self._plain(run, candidates) if candidates else []
                else:
                    readings[run] = self._compact(run, 0, "")
        if not any(found or found is None for found in readings.values()):
            return
        last: dict[int, int] = {}
        at = 0
        for run in runs:
            p = folded.find(run, at)  # the first place after the last stretch where this one's text stands
            at = p + len(run)
            found = readings[run]
            if found is None:
                found = self._compact(folded, p, "")
            for wid, end in found:
                if p >= last.get(wid, -1):
                    spans.add((p, p + end))
                    last[wid] = p + end

    def _find_any(self, folded: str, spans: set[tuple[int, int]]) -> None:
        """Compact readings in any text: also from inside a stretch, after a symbol mask or a letter outside a-z."""
        roots = self._root.children
        last: dict[int, int] = {}
        memo: dict[tuple[str, str], list[tuple[int, int]]] = {}
        first, tail = self._first, self._tail
        for m in self._stretch.finditer(folded):
            run, (a, b) = m.group(), m.span()
            # a reading starts where the stretch starts, or inside it after a symbol mask (♥) or a letter
            # outside a-z (日): after any other character of a stretch it would start inside a word
            for i in (0,) if run.isascii() else range(len(run)):
                if (i and run[i - 1] in _WORDISH) or run[i] not in first:
                    continue
                p = a + i
                # a letter outside a-z may not start a reading inside a run of itself (the pattern's
                # look-behind); every other spelling ends in a character that fences the start anyway
                blocked = folded[p - 1] if p and folded[p - 1] in roots else ""
                if b - p < _MEMO_CHARS:
                    key = (run[i:] if i else run, blocked)
                    found = memo.get(key)
                    if found is None:
                        seg = key[0]
                        head = seg.rstrip(tail)
                        if head.isascii() and head.isalpha() and head.islower():
                            found = self._plain(seg, self._keys.get(_key(head), ()))
                        else:
                            found = self._compact(seg, 0, blocked)
                        memo[key] = found
                else:  # a long stretch (a link, a run of symbols): read in place, not remembered
                    found = self._compact(folded, p, blocked)
                for wid, end in found:
                    if p >= last.get(wid, -1):
                        spans.add((p, p + end))
                        last[wid] = p + end

    # --- compact forms: sh1t, $hit, sh*t, shiiit, shitty ------------------------------------------------

    def _plain(self, seg: str, candidates: tuple[int, ...]) -> list[tuple[int, int]]:
        """The commonest stretch, a plain word (perhaps with a full stop after it), read without the walk. Its
        letters are no masks and the characters after them start no spelling, so a reading is a word's runs
        read straight through, ending where the letters end; and the letters spell a listed word only one way
        up to repeats, "ph" for f and "v" for u, which :func:`_key` folds away: ``candidates`` are the words
        of the letters' key (with an ending), and each is read to be sure."""
        found: list[tuple[int, int]] = []
        for wid in candidates:
            pos = 0
            for letter, need in self._word_runs[wid]:
                count, pos = _unit(seg, pos, self._alts[letter])
                if count < need:
                    break
            else:
                end = pos
                for suffix in SUFFIXES:
                    if seg.startswith(suffix, pos):
                        end = pos + len(suffix)
                        break
                if end >= len(seg) or seg[end] not in _ALNUM:
                    found.append((wid, end))
        return found

    def _compact(self, seg: str, start: int, blocked: str) -> list[tuple[int, int]]:
        """Every word that a compact reading from ``start`` completes, with the reading's length. ``seg`` is
        the text, or a stretch of it whose next character is not a-z or 0-9. ``blocked``: a first letter
        that may not start here."""
        found: dict[int, int] = {}
        seen: set[tuple[int, int]] = set()
        n = len(seg)

        def finish(node: _Node, q: int) -> None:
            for wid in node.ends:
                if wid in found:
                    continue
                end = q
                for suffix in SUFFIXES:  # (?:s|es|...)?+ : the first ending that is there, kept
                    if seg.startswith(suffix, q):
                        end = q + len(suffix)
                        break
                if end >= n or seg[end] not in _ALNUM:
                    found[wid] = end - start

        def visit(node: _Node, pos: int) -> None:
            """``node``'s run is read up to ``pos``; read an inner or last run of its children."""
            if (id(node), pos) in seen:
                return  # the rest of a reading depends only on where it is: explored already
            seen.add((id(node), pos))
            if pos >= n:
                return
            children = node.children
            for letter in first.get(seg[pos], ()):
                kids = children.get(letter)
                if kids is None:
                    continue
                count, q = _unit(seg, pos, self._alts[letter])
                if count:
                    for need, child in kids:
                        if count >= need:
                            if child.ends:
                                finish(child, q)
                            if child.children:
                                visit(child, q)
            if _is_mask(seg[pos]):  # an inner letter hidden by a mask (sh*t); never the last one
                for kids in children.values():
                    for _, child in kids:
                        if child.children:
                            visit(child, pos + 1)

        first = self._every_first
        for letter in self._first.get(seg[start], ()):
            if letter == blocked:
                continue
            count, q = _unit(seg, start, self._alts[letter])
            for need, child in self._root.children[letter]:
                if count >= need:
                    if child.ends:
                        finish(child, q)
                    if child.children:
                        visit(child, q)
        return list(found.items())

    # --- spelled out: s h i t, s.h.i.t --------------------------------------------------------------------

    def _spaced(self, text: str, start: int) -> list[tuple[int, int]]:
        """Every word spelled out from ``start`` (deterministic: one reading per word), with its length."""
        found: list[tuple[int, int]] = []
        n = len(text)
        stack: list[tuple[_Node, int]] = []
        for letter in self._sp_first.get(text[start], ()):
            for alt in self._alts[letter]:
                if text.startswith(alt, start):
                    stack.append((self._sp_root.children[letter][0][1], start + len(alt)))
                    break
        while stack:
            node, pos = stack.pop()
            if node.ends and (pos >= n or text[pos] not in _ALNUM):
                found.extend((wid, pos - start) for wid in node.ends)
            if not node.children:
                continue
            q = pos
            while q < pos + 3 and q < n and (text[q] in _SEP_ASCII or text[q] > "\x7f"):
                q += 1
            if q == pos:
                continue
            for letter, kids in node.children.items():
                for alt in self._alts[letter]:
                    if text.startswith(alt, q):
                        stack.append((kids[0][1], q + len(alt)))
                        break
        return found
