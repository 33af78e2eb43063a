"""Fold text the way a reader's eye folds it, remembering where every folded character came from.

``normalise(text)`` returns a :class:`Normalised`: the folded text (lower case, compatibility forms
unfolded, accents and other combining marks dropped, invisible characters removed, look-alike letters
from other scripts replaced by the Latin letter they imitate) and a map from each folded offset back to
the offset of the original character it came from. Rules match on the folded text and report spans and
evidence in the reader's own characters.

What the normaliser deliberately does NOT fold (the word matchers handle these, because they are
ambiguous outside a word: ``1`` is ``i`` or ``l``, ``*`` is any letter, a space may or may not join):
leetspeak digits and symbols, masking characters, separators between letters, repeated letters.

Everything here is linear in the length of the text: one pass over the characters (plus one scan for
non-ASCII characters with a one-character pattern). ASCII text (most comments) takes a fast path that
is a single ``str.lower()``; text whose non-ASCII characters each fold to one character keeps the
identity offset map.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

__all__ = ["Normalised", "blank", "fold_char", "normalise", "CONFUSABLES", "INVISIBLE"]

# Look-alike letters that Unicode normalisation does not fold, mapped to the Latin letter a reader sees.
# Curated from Unicode's confusables list for the scripts that comment trolls actually use (Cyrillic,
# Greek, Armenian, IPA/small capitals, letters with strokes, a few symbols); only letters whose glyph
# reads as the Latin letter in common fonts, plus a few phonetic equivalents of "f". Keys are single
# characters; lookups happen both on the raw character (so that upper-case Greek ``Υ`` reads as ``y``)
# and after case folding.
CONFUSABLES: Mapping[str, str] = MappingProxyType(
    {
        # Cyrillic, upper case (looked up before case folding)
        "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
        "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Ԛ": "q", "Ԝ": "w",
        # Cyrillic, lower case
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
        "ј": "j", "к": "k", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ѵ": "v", "ц": "u", "п": "n",
        "г": "r", "ф": "f", "ь": "b", "ѡ": "w", "ꙋ": "u",
        # Greek, upper case (looked up before case folding: "Υ" reads as y, "Η" as h)
        "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n",
        "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Φ": "f",
        # Greek, lower case
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
        "ο": "o", "ρ": "p", "ς": "c", "τ": "t", "υ": "u", "φ": "f", "ϕ": "f", "χ": "x", "ω": "w",
        "ϲ": "c", "ϳ": "j",
        # Latin letters without a decomposition, IPA, small capitals
        "ƒ": "f", "ꜰ": "f", "ĸ": "k", "ɸ": "f", "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ʋ": "u",
        "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ŧ": "t", "ƈ": "c", "ƙ": "k", "ɋ": "q", "ʠ": "q",
        "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
        "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
        "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
        # Letters with strokes, bars and hooks that Unicode does not decompose (fʉck, fuȼk, ᵮuck, ҒUCK)
        "ʉ": "u", "ᵾ": "u", "ȼ": "c", "ꞓ": "c", "ɕ": "c", "ᵮ": "f", "ꞙ": "f", "ᶂ": "f", "ғ": "f",
        "ⱪ": "k", "қ": "k", "ҝ": "k", "ҟ": "k", "ӄ": "k",
        # Armenian
        "ս": "u", "Ս": "u", "օ": "o",
        # Greek capitals whose case folding leaves Latin behind (Ϲ folds to σ), digamma
        "Ϲ": "c", "Ϝ": "f", "ϝ": "f",
        # Cherokee, Lisu and Canadian syllabics letters drawn as Latin capitals (FUᏟK, ꓝꓴꓚꓗ, ᖴᑌᑕK)
        "Ꮯ": "c", "Ꮶ": "k", "ꮯ": "c", "ꮶ": "k", "ꓝ": "f", "ꓴ": "u", "ꓚ": "c", "ꓗ": "k", "ᖴ": "f", "ᑌ": "u",
        "ᑕ": "c",
        # Currency and other symbols read as letters
        "¢": "c", "€": "e", "₣": "f", "₭": "k", "₵": "c", "©": "c", "®": "r",
        # Apostrophe look-alikes (f´ck, fʼck, fˈck read as f'ck; the acute accent alone would fold to a space)
        "´": "'", "ʼ": "'", "ˈ": "'", "ˆ": "^",
        # Found by the third audit: long s (drawn as an f without its bar: ſuck; Unicode's confusables
        # list maps it to f, although NFKD makes it an s), lenis f, Tai Le u, Latin upsilon, Runic k,
        # letter-like symbols not decomposed (ℭ and ℌ decompose)
        "ſ": "f", "ꬵ": "f", "ᥙ": "u", "ʊ": "u", "Ʊ": "u", "ᛕ": "k", "ᴷ": "k",
    }
)

# Characters that render as nothing (or as blank filler) and are dropped outright. Format characters
# (category Cf: zero-width space/joiners, bidi marks, word joiner, BOM, soft hyphen...) are dropped by
# category; these are the invisible ones that Unicode files under other categories.
INVISIBLE: frozenset[str] = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u2800\u3164\uffa0")

# Control characters (category Cc) other than whitespace render as nothing in a reader's browser (fu\x01ck
# shows the word); they are dropped like the format characters. \t \n \v \f \r and the C1 NEL stay.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")

# Latin letters that Unicode does not decompose (hooks, strokes, bars, curls, middle tildes, small
# capitals, modifier letters: ɓ ƈ ɗ ƒ ɠ ɦ ɨ ƙ ɫ ɱ ɲ ƥ ɍ ʂ ƭ ᶙ ꝁ ꞓ ᵾ) are read as their base letter, which
# their Unicode name gives (LATIN SMALL LETTER K WITH PALATAL HOOK): a general rule instead of a list, so
# the letters of the Latin Extended blocks that CONFUSABLES does not name fold too. Turned, reversed and
# inverted letters (ʞ, ɟ, ǝ) are not read as the letter and do not match.
_NAMED_LETTER = re.compile(
    r"(?:LATIN (?:SMALL|CAPITAL) LETTER|LATIN LETTER SMALL CAPITAL|MODIFIER LETTER (?:SMALL|CAPITAL)"
    r"|LATIN SUBSCRIPT SMALL LETTER) (?:SCRIPT |LENIS |DOTLESS )?([A-Z])(?: WITH [A-Z -]+)?"
)
# The blocks of such letters: Latin Extended-B, IPA, spacing modifiers, phonetic extensions, Latin
# Extended-C/D/E/F/G.
_LATIN_EXTENDED: tuple[tuple[int, int], ...] = (
    (0x0180, 0x02FF), (0x1D00, 0x1DBF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
    (0x10780, 0x107BF), (0x1DF00, 0x1DFFF),
)

# Enclosed Latin letters without a compatibility decomposition: (first code point, count, base letter).
_LETTER_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x1F150, 26, "a"),  # negative circled capitals
    (0x1F170, 26, "a"),  # negative squared capitals
    (0x1F1E6, 26, "a"),  # regional indicator symbols (flag letters)
)


def _block_letter(cp: int) -> str | None:
    for first, count, base in _LETTER_BLOCKS:
        if first <= cp < first + count:
            return chr(ord(base) + cp - first)
    return None


def _named_letter(ch: str) -> str | None:
    cp = ord(ch)
    if not any(lo <= cp <= hi for lo, hi in _LATIN_EXTENDED):
        return None
    m = _NAMED_LETTER.fullmatch(unicodedata.name(ch, ""))
    return m.group(1).lower() if m else None


def blank(text: str) -> bool:
    """Whether ``text`` shows a reader nothing: whitespace, and characters a browser draws as nothing (a zero-width
    space, a soft hyphen, a Braille blank, a Hangul filler, a lone combining mark). Stops at the first visible
    character."""
    return all(not fold_char(ch).strip() for ch in text)


def fold_char(ch: str) -> str:
    """Fold one character to what a reader sees: zero, one or (rarely) several lower-case characters."""
    mapped = CONFUSABLES.get(ch)
    if mapped is not None:
        return mapped
    if ch in INVISIBLE:
        return ""
    category = unicodedata.category(ch)
    if category == "Cf" or category == "Mn" or category == "Me":
        return ""
    if category == "Cc":
        return "" if _CONTROL.match(ch) else ch
    block = _block_letter(ord(ch))
    if block is not None:
        return block
    decomposed = unicodedata.normalize("NFKD", ch)
    if category == "Sk" and len(decomposed) > 1 and decomposed[0] == " ":
        return "'"  # a spacing accent (¨ ¯ ˜ ˘ ¸) inside a word reads like an apostrophe: f¨ck, f¯ck
    if len(decomposed) == 1 and decomposed == ch:
        named = _named_letter(ch)
        if named is not None:
            return named
        folded = ch.casefold()
    else:
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if len(folded) == 1:
        return CONFUSABLES.get(folded, folded)
    return "".join(CONFUSABLES.get(c, c) for c in folded)


@dataclass(frozen=True, slots=True)
class Normalised:
    """Folded text plus the way back to the original.

    ``starts[i]`` is the offset in ``original`` of the character that produced folded character ``i``;
    ``None`` means the identity map (ASCII text folds one character to one character).
    """

    original: str
    text: str
    starts: Sequence[int] | None = None

    def original_start(self, i: int) -> int:
        if self.starts is None:
            return i
        if i >= len(self.starts):
            return len(self.original)
        return self.starts[i]

    def original_end(self, i: int) -> int:
        """Original offset just past the character that produced folded character ``i - 1``."""
        if self.starts is None:
            return i
        if i <= 0:
            return 0
        if i >= len(self.starts):
            # the last folded character's source extends over trailing dropped characters (marks)
            return _end_of_cluster(self.original, self.starts[-1])
        nxt = self.starts[i]
        if nxt != self.starts[i - 1]:
            return _trim_dropped(self.original, self.starts[i - 1], nxt)
        return nxt + 1  # inside a character that expanded to several folded characters

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span ``[s, e)`` of folded span ``[start, end)``."""
        return self.original_start(start), self.original_end(end)

    def evidence(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]


def _is_attached(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def _end_of_cluster(original: str, start: int) -> int:
    """Just past the character at ``start`` and the combining marks attached to it."""
    end = start + 1
    while end < len(original) and _is_attached(original[end]):
        end += 1
    return end


def _trim_dropped(original: str, prev_start: int, next_start: int) -> int:
    """End of the previous visible character, keeping its marks but not the invisibles after it."""
    end = _end_of_cluster(original, prev_start)
    return min(end, next_start)


def normalise(text: str) -> Normalised:
    """Fold ``text`` for matching; linear in its length."""
    if text.isascii():
        if text.isprintable() or _CONTROL.search(text) is None:
            return Normalised(text, text.lower(), None)
        return _normalise_mapped(text)
    # Most non-ASCII comments only have a few curly quotes, dashes or accented letters, each folding to
    # exactly one character: then the offsets need no map.
    chars: list[str] | None = None
    for m in _NON_ASCII.finditer(text):
        folded = fold_char(m.group())
        if len(folded) != 1:
            return _normalise_mapped(text)
        if chars is None:
            chars = list(text)
        chars[m.start()] = folded
    joined = "".join(chars) if chars is not None else text
    lowered = joined.lower()
    if len(lowered) != len(text):
        return _normalise_mapped(text)
    return Normalised(text, lowered, None)


# non-ASCII characters and the control characters that fold to nothing
_NON_ASCII = re.compile(r"[^\t-\r -~]")


def _normalise_mapped(text: str) -> Normalised:
    pieces: list[str] = []
    starts: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii() and (" " <= ch < "\x7f" or ch in "\t\n\v\f\r"):
            pieces.append(ch.lower())
            starts.append(i)
            continue
        folded = fold_char(ch)
        if not folded:
            continue
        pieces.append(folded)
        if len(folded) == 1:
            starts.append(i)
        else:
            starts.extend([i] * len(folded))
    return Normalised(text, "".join(pieces), starts)
