"""Loading and validating policy files; the Policy object."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Callable

import pytest

from townhall.policy import Policy, PolicyError, load_policy
from townhall.policy.config import LadderStep, Sanction
from townhall.policy.rules.base import RuleSpec
from townhall.policy.rules.registry import BUILTIN_RULE_TYPES, UnknownRuleType, resolve_rule_type
from townhall.policy.types import Action, Hit, RuleResult, Subject, Verdict

from tests.policy.stubs import NoModelResources


def _default_bytes() -> bytes:
    return importlib_resources.files("townhall.policy").joinpath("default.policy.toml").read_bytes()

MINIMAL = """\
[policy]
name = "Test"
summary = "No F word; trolls wait."

[[rules]]
name = "f_word"
type = "wordlist"
description = "No F word."
action = "reject"
words = ["fuck"]

[[rules]]
name = "paid_troll"
type = "coordination"
description = "Coordinated campaign."
action = "hold"
hold_at = 0.8
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_policy_loads_into_the_publishers_sentence() -> None:
    raw = _default_bytes()
    policy = load_policy(resources=NoModelResources())
    assert policy.source == "default"
    assert policy.version == hashlib.sha256(raw).hexdigest()[:12]
    assert [r.name for r in policy.rules] == ["f_word", "abusive", "obscene", "paid_troll"]
    assert [p.name for p in policy.phases()] == ["length", "closed_thread", "f_word", "abusive", "obscene",
                                                 "paid_troll"]
    assert policy.rule_type_names["abusive"] == "classifier"
    assert policy.trust_softened == frozenset({"abusive", "obscene", "paid_troll"})
    s = policy.settings
    assert s.comments.max_length == 5000 and s.comments.edit_window_minutes == 15
    assert s.enforcement.ladder == (LadderStep(1, Sanction.WARN), LadderStep(2, Sanction.SUSPEND, 24.0),
                                    LadderStep(3, Sanction.BAN))
    assert s.reports.new_account_weight == 0.25 and s.trust.min_published == 20
    described = policy.describe()
    assert any(re.match(r"abusive \(classifier\): .*\(score from 0\.\d\d: held for a moderator", line)
               for line in described)
    words = " ".join(described)
    assert "F word" in policy.summary and "f_word" in words and "paid_troll" in words and "3 strikes: ban" in words


def test_policy_is_frozen_and_rules_are_found_by_name(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, MINIMAL))
    assert policy.rule("f_word").name == "f_word"
    with pytest.raises(KeyError):
        policy.rule("nope")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.name = "other"  # type: ignore[misc]
    assert policy.source == str(tmp_path / "policy.toml")


def test_evaluate_runs_builtin_phases_and_rules(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, MINIMAL))
    assert policy.evaluate(Subject("A fine comment.")).verdict is Verdict.PUBLISH
    decision = policy.evaluate(Subject("f*ck this"))
    assert decision.verdict is Verdict.REJECT and decision.policy_version == policy.version
    assert decision.scores["f_word"] == 1.0
    assert policy.evaluate(Subject("   ")).verdict is Verdict.REJECT
    assert policy.evaluate(Subject("hello", thread_closed=True)).deciding_hits[0].rule == "closed_thread"


def test_trusted_accounts_get_flags_for_borderline_holds_but_never_for_the_f_word(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, MINIMAL))
    def troll(text: str, trusted: bool = False) -> Subject:
        return Subject(text, account_trusted=trusted, coordination_score=0.9, coordination_cluster="c17")

    held = policy.evaluate(troll("Vote early!"))
    assert held.verdict is Verdict.HOLD
    assert held.hits[0].evidence == "account is in coordinated cluster c17" and held.scores["paid_troll"] == 0.9
    trusted = policy.evaluate(troll("Vote early!", trusted=True))
    assert trusted.verdict is Verdict.PUBLISH and trusted.hits[0].action is Action.FLAG
    rejected = policy.evaluate(troll("fuck this", trusted=True))
    assert rejected.verdict is Verdict.REJECT
    assert [h.action for h in rejected.hits] == [Action.REJECT, Action.FLAG]


def test_coordination_rule_scores_only_when_present(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, MINIMAL))
    assert "paid_troll" not in policy.evaluate(Subject("hello")).scores
    low = policy.evaluate(Subject("hello", coordination_score=0.3))
    assert low.scores["paid_troll"] == 0.3 and low.hits == ()


class Shouting:
    """A rule type added by a developer: one class, passed to the loader."""

    type_name = "shouting"

    def __init__(self, name: str, description: str, action: Action) -> None:
        self.name, self.description, self.action = name, description, action

    @classmethod
    def from_spec(cls, spec: RuleSpec, resources: object) -> "Shouting":
        return cls(spec.name, spec.description, spec.action)

    def evaluate(self, subject: Subject) -> RuleResult:
        if subject.text.isupper():
            return RuleResult(hits=(Hit(self.name, self.description, self.action),))
        return RuleResult()


def test_extra_rule_types_by_class_or_import_path(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[rules]]\nname = "caps"\ntype = "shouting"\ndescription = "No shouting."\naction = "flag"\n'
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "unknown rule type 'shouting'" in str(info.value)
    for ref in (Shouting, "tests.policy.test_policyfile:Shouting"):
        policy = load_policy(path, rule_types={"shouting": ref})
        assert policy.evaluate(Subject("HELLO")).hits[0].rule == "caps"


def test_registry_is_immutable_and_lazy() -> None:
    assert BUILTIN_RULE_TYPES["classifier"] == "townhall.policy.rules.classifier:ClassifierRule"
    with pytest.raises(TypeError):
        BUILTIN_RULE_TYPES["x"] = "y"  # type: ignore[index]
    assert resolve_rule_type("wordlist").__name__ == "WordListRule"
    with pytest.raises(UnknownRuleType):
        resolve_rule_type("broken", {"broken": "townhall.nowhere:Nothing"})


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


ERRORS = [
    # (edit of MINIMAL, line, message)
    (lambda t: _replace(t, 'action = "reject"', 'action = "ban"'), 9,
     "rules[1].action: must be one of reject, hold, flag"),
    (lambda t: _replace(t, 'type = "coordination"', 'type = "magic"'), 14, "rules[2].type: unknown rule type 'magic'"),
    (lambda t: _replace(t, "hold_at = 0.8", "hold_at = 1.5"), 17, "rules[2].hold_at: must be between 0 and 1, not 1.5"),
    (lambda t: _replace(t, 'name = "paid_troll"', 'name = "f_word"'), 13, "rules[2].name: duplicate rule name 'f_word'"),
    (lambda t: _replace(t, 'words = ["fuck"]', 'words = "fuck"'), 10, "rules[1].words: must be a list of strings"),
    (lambda t: _replace(t, 'words = ["fuck"]', 'words = ["fuck"]\ncolour = "red"'), 11, "rules[1].colour: unknown option"),
    (lambda t: _replace(t, "hold_at = 0.8", "hold_at = 0.8\nban_at = 0.5"), 18, "rules[2].ban_at: must be 0 (never)"),
    (lambda t: _replace(t, 'description = "No F word."\n', ""), 5, "rules[1].description: is required"),
    (lambda t: _replace(t, 'name = "Test"', 'name = "Test"\nauthor = "me"'), 3, "policy.author: unknown key"),
    (lambda t: t + "\n[comments]\nmax_length = \"big\"\n", 20, "comments.max_length: must be a whole number"),
    (lambda t: t + "\n[comments]\nmax_length = 0\n", 20, "comments.max_length: must be between 1 and 1000000"),
    (lambda t: t + "\n[reports]\nnew_account_weight = 2\n", 20, "reports.new_account_weight: must be between 0 and 1"),
    (lambda t: t + "\n[evasion]\naction = \"shoot\"\n", 20, "evasion.action: must be one of flag, premoderate"),
    (lambda t: t + "\n[evasion]\nshared_network_accounts = 2\n", 20, "evasion.shared_network_accounts: must be between 3 and 10000, not 2"),
    (lambda t: t + "\n[moderation]\nstrict = true\n", 19, "moderation: unknown key"),
    (lambda t: t + "\n[[enforcement.ladder]]\nstrikes = 2\nsanction = \"warn\"\n\n[[enforcement.ladder]]\n"
               "strikes = 2\nsanction = \"ban\"\n", 24, "enforcement.ladder[2].strikes: must be greater than"),
    (lambda t: t + "\n[[enforcement.ladder]]\nstrikes = 1\nsanction = \"suspend\"\n", 19,
     "enforcement.ladder[1].hours: is required for a suspension"),
    (lambda t: _replace(t, "hold_at = 0.8", "hold_at = 0.8\nreject_at = 0.5"), 17,
     "rules[2].hold_at: must not exceed reject_at (0.5)"),
    (lambda t: _replace(t, 'action = "hold"', 'action = hold'), 16, "TOML syntax: Invalid value (column 10)"),
    (lambda t: t + "\n[policy]\nname = \"again\"\n", 19, "TOML syntax: Cannot declare ('policy',) twice"),
    (lambda t: _replace(t, "[policy]\nname = \"Test\"\nsummary = \"No F word; trolls wait.\"\n", ""), 1, "policy: a [policy] table with a name is required"),
]


@pytest.mark.parametrize(("edit", "line", "message"), ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors_name_file_line_and_key(tmp_path: Path, edit: Callable[[str], str], line: int, message: str) -> None:
    path = _write(tmp_path, edit(MINIMAL))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    err = info.value
    assert (err.file, err.line) == (str(path), line), str(err)
    assert str(err).startswith(f"{path}:{line}: {message}"), str(err)


def test_unreadable_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "missing.toml")
    assert str(info.value).startswith(f"{tmp_path / 'missing.toml'}: cannot read the policy file")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[policy]\nname = "caf\xe9"\n')
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(bad)


def test_classifier_thresholds_are_checked_by_the_loader(tmp_path: Path) -> None:
    text = MINIMAL + ('\n[[rules]]\nname = "abusive"\ntype = "classifier"\nlabel = "abusive"\n'
                      'description = "No abuse."\nhold_at = 0.95\nreject_at = 0.9\naction = "reject"\n')
    with pytest.raises(PolicyError) as info:
        load_policy(_write(tmp_path, text), resources=NoModelResources())
    assert str(info.value) == f"{tmp_path / 'policy.toml'}:24: rules[3].hold_at: must not exceed reject_at (0.9), is 0.95"


def test_version_changes_with_the_bytes(tmp_path: Path) -> None:
    a = load_policy(_write(tmp_path, MINIMAL)).version
    b = load_policy(_write(tmp_path, MINIMAL + "# a comment\n")).version
    assert a != b and len(a) == 12


def test_policy_type_is_exported() -> None:
    assert Policy.__name__ == "Policy"


def test_coordination_ban_at_marks_the_hit_for_enforcement(tmp_path: Path) -> None:
    text = MINIMAL.replace("hold_at = 0.8", "hold_at = 0.8\nban_at = 0.95")
    policy = load_policy(_write(tmp_path, text))
    held = policy.evaluate(Subject("Vote!", coordination_score=0.9)).hits[0]
    banned = policy.evaluate(Subject("Vote!", coordination_score=0.97)).hits[0]
    assert "ban_at" not in held.reasons and "ban_at" in banned.reasons
    assert held.evidence == "account acts in concert with others"  # no cluster id given
    assert "at 0.95 the account may be banned automatically" in " ".join(policy.describe())
