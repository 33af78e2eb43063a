"""Small builders shared by the policy tests."""

from __future__ import annotations

from typing import Any

from townhall.policy.rules.base import Resources, RuleSpec
from townhall.policy.rules.wordlist import WordListRule
from townhall.policy.types import Action


def wordlist(words: list[str], allow: list[str] | None = None, *, name: str = "f_word",
             action: Action = Action.REJECT, strike: bool = False) -> WordListRule:
    options: dict[str, Any] = {"words": words}
    if allow is not None:
        options["allow"] = allow
    spec = RuleSpec(name=name, type="wordlist", description="No F word, please.", action=action, strike=strike,
                    options=options)
    return WordListRule.from_spec(spec, Resources())
