"""Fuzz targets (hypothesis): the normaliser and the whole policy on any text, the policy loader on any
file. Whatever a reader types or an editor saves, the answer is a decision or a ``PolicyError``, never a
crash of another kind."""

from __future__ import annotations

import string
import tempfile
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from townhall.policy import Policy, PolicyError, load_policy
from townhall.policy.normalise import CONFUSABLES, normalise
from townhall.policy.policyfile import DEFAULT_POLICY_NAME
from townhall.policy.rules.base import Resources
from townhall.policy.types import Subject, Verdict

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like what trolls send: disguised F words, look-alikes, marks, invisible characters,
# separators, leetspeak, emoji, links; mixed with arbitrary Unicode (surrogates excluded: they never reach
# the policy, the web layer refuses them).
_PIECES = st.sampled_from([
    "fuck", "f*ck", "f u c k", "ph", "|_|", "(_)", "|<", "fvck", "FUCK", "\u0130", "\u0131", "\u200b", "\u200d",
    "\ufeff", "\u0301", "\u0336", "\u00a0", "\U0001f600", "\U0001f1eb", "http://", "www.", "t.co/", "ß", "ﬀ",
    "ǅ", "ﬃ", "Ⓕ", "𝐟", "ｆ", " ", ".", "-", "_", "*", "\n", "scum", "idiot", "1", "0", "@", "$",
    *CONFUSABLES.keys(),
])
TROLL_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_PIECES, st.text(alphabet=string.ascii_letters, max_size=5)), max_size=60).map("".join),
)

EXTRA_RULES = """
[[rules]]
name = "listed_words"
type = "wordlist"
description = "Listed words."
action = "hold"
words = ["scum", "idiot"]
allow = ["scumble"]
"""

_RESOURCES = Resources()  # one classifier model for every loaded policy


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    text = resources.files("townhall.policy").joinpath(DEFAULT_POLICY_NAME).read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("fuzz") / "policy.toml"
    path.write_text(text + EXTRA_RULES, encoding="utf-8")
    return load_policy(path, resources=_RESOURCES)


@FUZZ
@given(TROLL_TEXT)
def test_normalise_maps_back_to_the_original(text: str) -> None:
    norm = normalise(text)
    assert norm.original == text
    folded = norm.text
    if norm.starts is None:
        assert len(folded) == len(text)
    else:
        assert len(norm.starts) == len(folded)
        assert list(norm.starts) == sorted(norm.starts)
        assert all(0 <= s < len(text) for s in norm.starts)
    for i in range(len(folded) + 1):
        assert 0 <= norm.original_start(i) <= len(text)
        assert norm.original_end(i) <= len(text)
    for i in range(len(folded)):
        s, e = norm.span(i, i + 1)
        assert 0 <= s < e <= len(text), (i, s, e)


@FUZZ
@given(TROLL_TEXT)
def test_normalise_is_idempotent_and_lower_case(text: str) -> None:
    once = normalise(text).text
    assert normalise(once).text == once
    assert once == once.lower() or not once.isascii()


@FUZZ
@given(TROLL_TEXT, st.booleans(), st.booleans())
def test_policy_evaluate_answers_any_text(policy: Policy, text: str, trusted: bool, closed: bool) -> None:
    decision = policy.evaluate(Subject(text=text, account_trusted=trusted, thread_closed=closed))
    assert decision.verdict in set(Verdict)
    assert decision.policy_version == policy.version
    if closed or not text.strip():
        assert decision.verdict is Verdict.REJECT
    for hit in decision.hits:
        if hit.span is not None:
            s, e = hit.span
            assert 0 <= s <= e <= max(len(text), policy.settings.comments.max_length), (hit.rule, hit.span)
        if hit.rule in ("f_word", "listed_words"):
            assert hit.evidence == text[hit.span[0]:hit.span[1]]
    for name, score in decision.scores.items():
        assert 0.0 <= score <= 1.0, (name, score)


# --- the policy loader ------------------------------------------------------------------------------------

DEFAULT_TEXT = resources.files("townhall.policy").joinpath(DEFAULT_POLICY_NAME).read_text(encoding="utf-8")
DEFAULT_LINES = DEFAULT_TEXT.splitlines()
_FUZZ_DIR = Path(tempfile.mkdtemp(prefix="townhall-policy-fuzz-"))

# Values an editor might type into a policy file, right or wrong.
TOML_VALUES = st.sampled_from([
    "0", "-1", "1", "0.5", "1.5", "1e309", "-0.0", "nan", "inf", "true", "false", '""', '" "', '"reject"', '"hold"',
    '"flag"', '"ban"', '"suspend"', '"warn"', '"site"', '"everywhere"', "[]", '["fuck"]', '[""]', '["a b"]', "[1, 2]",
    "{}", "{ a = 1 }", '"classifier"', '"wordlist"', '"coordination"', '"nope"', '"abusive"', "99999999999999999999",
    "1979-05-27T07:32:00Z", '"""multi\nline"""', "'literal'", "[[1], [2]]", '"\\u0000"', '"😀"',
])
KEYS = st.sampled_from([
    "name", "type", "description", "action", "strike", "words", "allow", "label", "hold_at", "reject_at", "ban_at",
    "max_length", "edit_window_minutes", "premoderate_new_accounts", "strike_expiry_days", "troll_confirmed",
    "ban_scope", "strikes", "sanction", "hours", "threshold", "new_account_days", "new_account_weight",
    "min_age_days", "min_published", "clean_days", "ip_window_hours", "shared_network_accounts", "summary", "unknown_key",
])
HEADERS = st.sampled_from(["[policy]", "[comments]", "[[rules]]", "[enforcement]", "[[enforcement.ladder]]",
                           "[reports]", "[trust]", "[evasion]", "[rules]", "[[policy]]", "[enforcement.ladder]",
                           "[a.b.c]", "[[rules.x]]"])


@st.composite
def mutated_default(draw: st.DrawFn) -> str:
    """The default policy with a few lines changed, removed, duplicated or inserted."""
    lines = list(DEFAULT_LINES)
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(lines)))
        op = draw(st.sampled_from(["value", "delete", "dup", "key", "header", "junk"]))
        if op == "value" and i < len(lines) and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(TOML_VALUES)}"
        elif op == "delete" and i < len(lines):
            del lines[i]
        elif op == "dup" and i < len(lines):
            lines.insert(i, lines[i])
        elif op == "key":
            lines.insert(i, f"{draw(KEYS)} = {draw(TOML_VALUES)}")
        elif op == "header":
            lines.insert(i, draw(HEADERS))
        else:
            lines.insert(i, draw(st.text(max_size=40)))
    return "\n".join(lines)


@st.composite
def generated_policy(draw: st.DrawFn) -> str:
    """A file built from the policy vocabulary: sections with random keys and values."""
    out = []
    for _ in range(draw(st.integers(0, 8))):
        out.append(draw(HEADERS))
        for _ in range(draw(st.integers(0, 6))):
            out.append(f"{draw(KEYS)} = {draw(TOML_VALUES)}")
    return "\n".join(out)


POLICY_TEXT = st.one_of(mutated_default(), generated_policy(), st.text(max_size=400))


def load_text(raw: bytes) -> Policy:
    path = _FUZZ_DIR / "fuzz.policy.toml"
    path.write_bytes(raw)
    return load_policy(path, resources=_RESOURCES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(POLICY_TEXT)
def test_load_policy_raises_only_policy_error(text: str) -> None:
    try:
        policy = load_text(text.encode("utf-8", "surrogatepass"))
    except PolicyError as exc:
        assert str(exc).startswith(str(_FUZZ_DIR / "fuzz.policy.toml"))
        return
    # A file that loads is a working policy: it judges a comment.
    assert policy.evaluate(Subject(text="An ordinary comment.")).verdict in set(Verdict)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_load_policy_on_bytes(raw: bytes) -> None:
    try:
        load_text(raw)
    except PolicyError:
        pass


def test_the_default_policy_loads_through_the_same_path() -> None:
    """The control: an unchanged default file loads, so the fuzzers above do reach past the syntax check."""
    policy = load_text(DEFAULT_TEXT.encode())
    assert [r.name for r in policy.rules] == ["f_word", "abusive", "obscene", "paid_troll"]
