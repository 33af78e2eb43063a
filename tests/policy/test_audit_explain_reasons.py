"""Audit of what a classifier hit tells a moderator (and, in a refusal, the reader): the words that drove the
score (``reasons``, also quoted in ``evidence``) and the span of the strongest one, with the default house
rules and the shipped model (docs/classifiers.md, "What a reader and a moderator see").

* A reason is a word of the comment as the reader wrote it, not the model's folded form ("1d10t", not "idiot";
  "idiooooot", not "idioot"; "you're", not "are").
* A word that names a group of people is never a reason: the model masks identity terms, but not every plural
  ("heterosexuals", "bisexuals").
* The F word is named "f-word", whichever spelling the F-word rule caught ("fu*k", "fukc", "phuk").
* The span is the strongest word alone, also where words are joined by punctuation ("idiot,stupid,moron").
"""

from __future__ import annotations

import pytest

from townhall.policy.policyfile import Policy, load_policy
from townhall.policy.types import Hit, Subject


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _hit(policy: Policy, text: str, rule: str = "abusive") -> Hit:
    hits = [h for h in policy.evaluate(Subject(text=text)).hits if h.rule == rule]
    assert hits, f"the {rule} rule does not fire on {text!r}"
    return hits[0]


@pytest.mark.parametrize("text", [
    "You're a 1d10t and a m0r0n, you're pathetic",
    "you are a stuuuupid idiooooot and a L0SER",
    "you're pathetic, you're a loser and a moron",
    "shut up you ｉｄｉｏｔ",
    "\U0001D400 idiot,stupid,moron",
])
def test_every_reason_is_the_readers_own_spelling(policy: Policy, text: str) -> None:
    hit = _hit(policy, text)
    assert hit.reasons
    typed = text.split()
    for reason in hit.reasons:
        for word in reason.split(" "):
            assert word == "f-word" or any(word in w for w in typed), (reason, hit.reasons)
    again = _hit(policy, text)
    assert (again.reasons, again.span, again.evidence) == (hit.reasons, hit.span, hit.evidence)  # stable


def test_the_strongest_word_is_named_as_typed_and_spanned(policy: Policy) -> None:
    """A leetspeak insult is named as written, and the span points at those very characters."""
    text = "You're a 1d10t and a m0r0n, you're pathetic"
    hit = _hit(policy, text)
    assert hit.span is not None
    assert text[hit.span[0]:hit.span[1]] == hit.reasons[0] == "1d10t"
    assert "“1d10t”" in (hit.evidence or "")


@pytest.mark.parametrize("text, group", [
    ("heterosexuals are stupid idiots", "heterosexuals"),
    ("bisexuals are disgusting pigs and idiots", "bisexuals"),
])
def test_a_group_of_people_is_never_a_reason(policy: Policy, text: str, group: str) -> None:
    hit = _hit(policy, text)
    named = {w.lower() for r in hit.reasons for w in r.split(" ")}
    assert group not in named, hit.reasons
    assert group not in (hit.evidence or "").lower()
    assert hit.span is not None and group not in text[hit.span[0]:hit.span[1]].lower()


@pytest.mark.parametrize("text, spelling", [
    ("fu*k you idiot", "fu*k"),
    ("fukc you idiot", "fukc"),
    ("phuk you, you stupid idiot", "phuk"),
])
def test_the_f_word_is_never_spelled_out_as_a_reason(policy: Policy, text: str, spelling: str) -> None:
    assert _hit(policy, text, "f_word").evidence == spelling  # the F-word rule caught this spelling
    hit = _hit(policy, text)
    assert not any(spelling in r for r in hit.reasons), hit.reasons
    assert spelling not in (hit.evidence or "")


@pytest.mark.parametrize("text, word", [
    ("idiot,stupid,moron", "idiot"),
    ("you are an idiot/moron", "idiot"),
    ("you IDIOT!!!", "IDIOT"),
    ("you stupid 𝐢𝐝𝐢𝐨𝐭 😀", "𝐢𝐝𝐢𝐨𝐭"),
    ("shut up you ｉｄｉｏｔ", "ｉｄｉｏｔ"),
    ("you\u200b idiot", "idiot"),
    ("you\r\nidiot\r\n", "idiot"),
    ("שלום you idiot", "idiot"),
    ("you idio\u0301t", "idio\u0301t"),
])
def test_the_span_is_the_strongest_word_alone(policy: Policy, text: str, word: str) -> None:
    hit = _hit(policy, text)
    assert hit.span is not None
    assert text[hit.span[0]:hit.span[1]] == word, hit.span
