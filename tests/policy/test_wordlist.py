"""The word-list rule, table-driven over the reviewed disguise set (townhall.policy.disguises)."""

from __future__ import annotations

import pytest

from townhall.policy.disguises import (F_WORD_DISGUISED, F_WORD_INNOCENT, F_WORD_MENTIONS, GENERIC_DISGUISED,
                                       GENERIC_INNOCENT, Case)
from townhall.policy.rules.base import RuleConfigError, RuleSpec
from townhall.policy.rules.wordlist import WordListRule
from townhall.policy.types import Action, Subject

from tests.policy.helpers import wordlist

F_RULE = wordlist(["fuck"])
SHIT_RULE = wordlist(["shit"], name="s_word")


def _ids(cases: tuple[Case, ...]) -> list[str]:
    return [f"{c.kind}:{c.text!r}" for c in cases]


@pytest.mark.parametrize("case", F_WORD_DISGUISED, ids=_ids(F_WORD_DISGUISED))
def test_f_word_disguise_is_caught(case: Case) -> None:
    result = F_RULE.evaluate(Subject(case.text))
    assert result.hits, f"missed {case.kind}: {case.text!r}"
    assert result.scores == {"f_word": 1.0}
    for hit in result.hits:
        assert hit.span is not None
        s, e = hit.span
        assert case.text[s:e] == hit.evidence  # the reader's own characters
        assert hit.action is Action.REJECT and hit.rule == "f_word"


@pytest.mark.parametrize("case", F_WORD_INNOCENT + F_WORD_MENTIONS, ids=_ids(F_WORD_INNOCENT + F_WORD_MENTIONS))
def test_innocent_neighbours_and_mentions_pass(case: Case) -> None:
    result = F_RULE.evaluate(Subject(case.text))
    assert result.hits == (), f"false positive ({case.kind}): {[h.evidence for h in result.hits]}"
    assert result.scores == {"f_word": 0.0}


@pytest.mark.parametrize("case", GENERIC_DISGUISED, ids=_ids(GENERIC_DISGUISED))
def test_generic_word_disguise_is_caught(case: Case) -> None:
    assert SHIT_RULE.evaluate(Subject(case.text)).hits, case.text


@pytest.mark.parametrize("case", GENERIC_INNOCENT, ids=_ids(GENERIC_INNOCENT))
def test_generic_word_innocents_pass(case: Case) -> None:
    assert SHIT_RULE.evaluate(Subject(case.text)).hits == ()


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("you absolute motherfucker!", ["motherfucker"]),
        ("say ｆｕｃｋ now", ["ｆｕｃｋ"]),
        ("f\u200bu\u200bc\u200bk off", ["f\u200bu\u200bc\u200bk"]),
        ("f\u0301u\u0308ck this", ["f\u0301u\u0308ck"]),
        ("what the f . u . c . k", ["f . u . c . k"]),
        ("#fuckthis and #FuckThat", ["fuckthis", "FuckThat"]),
        ("𝐟𝐮𝐜𝐤 and more", ["𝐟𝐮𝐜𝐤"]),
    ],
)
def test_evidence_is_the_original_text_widened_to_the_word(text: str, evidence: list[str]) -> None:
    hits = F_RULE.evaluate(Subject(text)).hits
    assert [h.evidence for h in hits] == evidence
    assert [text[h.span[0]:h.span[1]] for h in hits if h.span] == evidence


def test_one_hit_per_occurrence_in_order() -> None:
    text = "fuck this, f*ck that, and f u c k everything"
    hits = F_RULE.evaluate(Subject(text)).hits
    assert [h.evidence for h in hits] == ["fuck", "f*ck", "f u c k"]
    assert [h.span for h in hits] == sorted(h.span for h in hits if h.span)


def test_publisher_allow_list() -> None:
    text = "Greetings from Fucking, Austria. But fuck the weather."
    plain = F_RULE.evaluate(Subject(text))
    assert [h.evidence for h in plain.hits] == ["Fucking", "fuck"]
    allowed = wordlist(["fuck"], allow=["Fucking, Austria"]).evaluate(Subject(text))
    assert [h.evidence for h in allowed.hits] == ["fuck"]


def test_publisher_words_without_code() -> None:
    rule = wordlist(["fuck", "shit", "bastard"], action=Action.HOLD)
    hits = rule.evaluate(Subject("sh1t, b@stard, and a shiitake")).hits
    assert [h.evidence for h in hits] == ["sh1t", "b@stard"]
    assert all(h.action is Action.HOLD for h in hits)


def test_links_are_not_words_unless_spelled_out() -> None:
    assert F_RULE.evaluate(Subject("see http://t.co/7FcCkRhxJI and https://t.co/cJS7PmfVVk")).hits == ()
    assert F_RULE.evaluate(Subject("go to http://example.com/fuck-you")).hits


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({}, "words"),
        ({"words": []}, "words"),
        ({"words": "fuck"}, "words"),
        ({"words": ["fuck", ""]}, "words"),
        ({"words": ["two words"]}, "words"),
        ({"words": ["fuck"], "allow": [1]}, "allow"),
        ({"words": ["fuck"], "colour": "red"}, "colour"),
    ],
)
def test_bad_options_name_the_key(options: dict[str, object], key: str) -> None:
    spec = RuleSpec("f_word", "wordlist", "No.", Action.REJECT, False, options)
    with pytest.raises(RuleConfigError) as info:
        WordListRule.from_spec(spec, None)
    assert info.value.key == key


def test_explain_describes_the_rule() -> None:
    text = wordlist(["fuck"], allow=["Fucking, Austria"], strike=True).explain()
    assert text.startswith("f_word: Refuses comments containing \"fuck\"")
    assert "compounds" in text and "Counts as a strike" in text and "fucking, austria" in text
