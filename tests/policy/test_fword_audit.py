"""The third F-word audit (2026-11-27): disguises a reader can still read that got past the rule, and the
innocent text and mentions around them that must still pass. Every "caught" case here was missed before the
fixes in townhall/policy/normalise.py and townhall/policy/wordmatch.py."""

from __future__ import annotations

import pytest

from townhall.policy.normalise import fold_char, normalise
from townhall.policy.types import Subject

from tests.policy.helpers import wordlist

F_RULE = wordlist(["fuck"])
SHIT_RULE = wordlist(["shit"], name="s_word")

MISSED_BEFORE: dict[str, tuple[str, ...]] = {
    # letters Unicode does not decompose: long s (confusables.txt: ſ → f), lenis f, Tai Le u, Latin upsilon,
    # Runic k, and Latin letters with hooks/strokes, folded by their Unicode name
    "confusables": ("ſuck you", "ꬵuck", "fᥙck", "fʊck", "ᖴᑌᑕᛕ", "fuꞔk", "fucᶄ", "fucꝁ", "fucꝃ", "fᶙck"),
    # Cyrillic у folds to y (its look): with c and k both visible it is the word
    "Cyrillic у": ("fуck you", "FУCK", "Fуск", "фуск", "ФУСК"),
    # control characters render as nothing in a browser
    "control characters": ("fu\x01ck", "fu\x1bck", "fu\x7fck", "f\x08uck", "fu\x9bck", "f\x01u\x01c\x01k"),
    # phonetic spellings found in ../shared/data
    "phonetic": ("fookin hell", "fooking idiot", "YOU ARENT HARRY FOOKIN STYLES", "fook off", "Fook sake boys",
                 "what tha fook", "f00k you", "fuhk you", "DONT GIVE A FUHK", "fuhck", "fuc off", "fuc u say",
                 "I cant fuc wit no", "fuc a bitch", "fuc her"),
    "leetspeak": ("f\\/ck", "f\\_/ck", "f[_]ck", "f\\_/<k"),
    # a browser collapses a run of spaces or tabs to one space
    "separated letters": ("f          u          c          k", "f\t\t\t\t\t\t\t\t\t\tu\t\t\t\t\t\t\t\t\t\tc\t\t\t\t\t\t\t\t\t\tk",
                          "f\n\n\n\nu\n\n\n\nc\n\n\n\nk", "f>u>c>k", "f<u<c<k"),
    # any non-ASCII symbol or punctuation mark hides a letter; spacing accents read like an apostrophe
    "masks": ("f▓ck", "f░ck", "f█ck", "f⌧ck", "f٭ck", "f⦿ck", "f⨀ck", "f¿ck", "f¡ck", "f§ck", "f¶ck", "f†ck",
              "f°ck", "f¤ck", "f¦ck", "f¬ck", "f±ck", "f÷ck", "f‽ck", "f⸮ck", "f¨ck", "f¯ck", "f˜ck", "f˘ck",
              "fˆck", "f«ck", "f§§k", "mother f█cker", "f█cking"),
}

STILL_PASS: dict[str, tuple[str, ...]] = {
    # not the word, by the policy (docs/policy.md): acronyms, mentions, newspaper forms, minced oaths,
    # reversed text without an override, lists of letters, another word in the emoji
    "policy": ("FFS", "STFU", "WTF", "what the f", "wtaf", "gtfo", "FU!", "fml", "the F word", "f***", "f***ing",
               "f-ing", "feck off", "frick", "fuggin", "fugging hell", "fawking", "f🦆", "kcuf", "if u ck",
               "f,u,c,k", "f;u;c;k"),
    # names and other languages next to the new spellings
    "names": ("Fuqing, a city in Fujian", "Johann Joseph Fux", "Mr Fooks", "Fook Lam Moon", "Wong Fook-hing", "Fookien",
              "Fuyang", "Fyke nets", "det fyk", "Fuhrman", "Führer", "Fuhs", "Ufuk", "Fawkes", "Dafoe"),
    # fuc only before an object: Wikipedia's fair-use criteria
    "fuc": ("the FUC #2", "WP:FUC states", "FUC 3.b - Agreed", "fuc.", "Fuc #", "what the fuc\u2026"),
    # the new masks and separators between words
    "punctuation": ("32\u00b0F, cold", "Plan F\u00bf UK", "elf \u00ab ck", "self\u00b0 cool", "foo k", "foo-k",
                    "buf[k]", "if (buf) k++", "f(u, c, k)", "x\\/c", "F  U K", "f\n\n\n\nu", "kung fu cat"),
    # long s in historical spelling, Latin letters folded by name
    "letters": ("\u017fome \u017fuch \u017ftuff", "fa\u017ft", "\u0253\u0257\u0260", "the Tai Le \u1959"),
}


def _flat(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(kind, text) for kind, texts in table.items() for text in texts]


@pytest.mark.parametrize(("kind", "text"), _flat(MISSED_BEFORE))
def test_disguise_is_caught(kind: str, text: str) -> None:
    assert F_RULE.evaluate(Subject(text)).hits, f"missed {kind}: {text!r} (folded {normalise(text).text!r})"


@pytest.mark.parametrize(("kind", "text"), _flat(STILL_PASS))
def test_not_the_word(kind: str, text: str) -> None:
    hits = F_RULE.evaluate(Subject(text)).hits
    assert not hits, f"false positive ({kind}): {text!r} -> {[h.evidence for h in hits]}"


@pytest.mark.parametrize(
    ("ch", "folded"),
    [
        ("\u017f", "f"), ("\uab35", "f"), ("\u1959", "u"), ("\u028a", "u"), ("\u16d5", "k"),  # curated
        ("\ua794", "c"), ("\u1d84", "k"), ("\ua741", "k"), ("\u0253", "b"), ("\u0260", "g"), ("\u2c6a", "k"),  # named
        ("\u01b3", "y"),  # a capital: the name gives the letter, case folded
        ("\u029e", "\u029e"), ("\u0250", "\u0250"),  # turned letters are not read as the letter
        ("\x01", ""), ("\x7f", ""), ("\x9b", ""),  # control characters
        ("\n", "\n"), ("\t", "\t"), ("\x85", "\x85"),  # whitespace stays
        ("\u00a8", "'"), ("\u02d8", "'"),  # spacing accents
    ],
)
def test_fold_char(ch: str, folded: str) -> None:
    assert fold_char(ch) == folded


def test_control_characters_keep_the_span() -> None:
    text = "well fu\x01ck that"
    norm = normalise(text)
    assert norm.text == "well fuck that"
    (hit,) = F_RULE.evaluate(Subject(text)).hits
    assert hit.evidence == "fu\x01ck"


def test_generic_words_fold_the_same_way() -> None:
    assert SHIT_RULE.evaluate(Subject("s\u0266it")).hits  # h with hook
    assert SHIT_RULE.evaluate(Subject("sh\x01it")).hits
    assert not SHIT_RULE.evaluate(Subject("shiitake")).hits
