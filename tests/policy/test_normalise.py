"""The normaliser: what it folds, and the way back to the reader's characters."""

from __future__ import annotations

import pytest

from townhall.policy.normalise import normalise


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello World", "hello world"),  # ASCII: lower case only
        ("ｆｕｃｋ", "fuck"),  # fullwidth
        ("𝐟𝐮𝐜𝐤 𝖋𝖚𝖈𝖐 𝒻𝓊𝒸𝓀", "fuck fuck fuck"),  # mathematical alphabets
        ("ⓕⓤⓒⓚ 🅵🆄🅲🅺 🄵🅄🄲🄺 🇫🇺🇨🇰", "fuck fuck fuck fuck"),  # circled, negative squared, squared, flags
        ("fuсk ΚΑΟΣ υ ς", "fuck kaoσ u c"),  # Cyrillic с, Greek capitals, υ, final sigma
        ("ꜰᴜᴄᴋ ƒ ĸ", "fuck f k"),  # small capitals, hooked f, kra
        ("fսck fʉck fuȼk ҒUCK ᵮuck", "fuck fuck fuck fuck fuck"),  # Armenian, barred and stroked letters
        ("fǘçk f\u0301u\u0308ck", "fuck fuck"),  # precomposed and combining accents
        ("f\u200bu\u200cc\u200dk\u2060 \ufeffx\u00ady\u200e", "fuck xy"),  # invisible characters
        ("Straße ﬀ", "strasse ff"),  # expansions
        ("“quoted” — dash…", "“quoted” — dash..."),  # punctuation is kept (… is a compatibility form)
        ("f*ck 1337 $h!t", "f*ck 1337 $h!t"),  # leet and masks are left to the matchers
    ],
)
def test_folding(text: str, folded: str) -> None:
    assert normalise(text).text == folded


@pytest.mark.parametrize(
    ("text", "word", "original"),
    [
        ("say ｆｕｃｋ now", "fuck", "ｆｕｃｋ"),
        ("a f\u200bu\u200bc\u200bk b", "fuck", "f\u200bu\u200bc\u200bk"),
        ("x f\u0301u\u0308ck\u0327 y", "fuck", "f\u0301u\u0308ck\u0327"),  # marks of the last letter included
        ("Straße!", "ss", "ß"),
        ("ﬀoo", "foo", "ﬀoo"),  # half of a ligature maps back to the whole ligature
        ("𝐟𝐮𝐜𝐤", "uc", "𝐮𝐜"),
        ("“fuck”", "fuck", "fuck"),
        ("ab\u200b", "ab", "ab"),  # a trailing invisible character is not part of the word
    ],
)
def test_spans_map_back_to_the_original(text: str, word: str, original: str) -> None:
    norm = normalise(text)
    start = norm.text.index(word)
    s, e = norm.span(start, start + len(word))
    assert text[s:e] == original == norm.evidence(start, start + len(word))


def test_identity_map_when_every_character_folds_to_one() -> None:
    norm = normalise("Café “ok” ｆ")
    assert norm.starts is None and norm.text == "cafe “ok” f"
    assert normalise("a\u200bb").starts == [0, 2]
