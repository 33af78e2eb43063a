"""The policy file as a publisher meets it: odd and wrong files, each answered with one line
``file:line: where: what`` by the loader, ``townhall policy check`` and the application's start — never a
traceback, a stall or a file silently taken to mean something else (the audit of 2026-11-27)."""

from __future__ import annotations

import codecs
import hashlib
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import build_cli
from townhall.policy import PolicyError, load_policy
from townhall.policy.policyfile import parse_policy
from townhall.policy.rules.base import Resources

from tests.fixtures_app import AppFactory
from tests.policy.stubs import NoModelResources

ROOT = Path(__file__).resolve().parents[2]
HEAD = '[policy]\nname = "House rules"\n\n'
WORDS = """\
[[rules]]
name = "f_word"
type = "wordlist"
description = "No F word."
action = "reject"
words = ["fuck"]
"""
GOOD = HEAD + WORDS


def _load(text: str | bytes, file: str = "my.policy.toml") -> object:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_policy(raw, file, resources=NoModelResources())


def _error(text: str | bytes) -> str:
    with pytest.raises(PolicyError) as info:
        _load(text)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --- encodings -------------------------------------------------------------------------------------------

def test_a_byte_order_mark_is_skipped_and_the_version_is_still_the_files_bytes() -> None:
    """Notepad saves UTF-8 with a byte order mark; tomllib reads it as an invalid statement."""
    raw = codecs.BOM_UTF8 + GOOD.encode("utf-8")
    policy = _load(raw)
    assert policy.name == "House rules"  # type: ignore[attr-defined]
    assert policy.version == hashlib.sha256(raw).hexdigest()[:12]  # type: ignore[attr-defined]


def test_a_utf16_file_is_named_as_such_on_line_1() -> None:
    assert _error(GOOD.encode("utf-16")) == "my.policy.toml:1: not UTF-8 text (the file is saved as UTF-16 or UTF-32); " \
                                             "save it as UTF-8"


def test_bytes_that_are_not_utf8_are_reported_at_their_line() -> None:
    raw = HEAD.encode() + b'[[rules]]\nname = "f\xe9"\n'
    assert _error(raw) == ("my.policy.toml:5: not UTF-8 text (invalid continuation byte at byte 50: 0xe9); "
                           "save the file as UTF-8")


# --- TOML the parser cannot take -------------------------------------------------------------------------

def test_deeply_nested_arrays_are_a_syntax_error_not_a_recursion_error() -> None:
    assert _error(HEAD + "x = " + "[" * 3000 + "]" * 3000 + "\n") == \
        "my.policy.toml: TOML syntax: arrays or inline tables nested too deeply"


def test_a_file_over_one_mebibyte_is_refused_at_once() -> None:
    """A 10 MB word took hours to compile into patterns (about 0.7 ms per character) while the server started."""
    text = GOOD.replace('"fuck"', '"' + "a" * 10_000_000 + '"')
    started = time.perf_counter()
    assert _error(text) == f"my.policy.toml: the file is {len(text):,} bytes; a policy file may be at most " \
                           "1,048,576 bytes (1 MiB)"
    assert time.perf_counter() - started < 5


def test_a_rule_options_text_is_at_most_1000_characters() -> None:
    started = time.perf_counter()
    message = _error(GOOD.replace('"fuck"', '"fuck", "' + "a" * 1001 + '"'))
    assert message == "my.policy.toml:9: rules[1].words: a text of 1,001 characters; at most 1,000 are allowed " \
                      "('aaaaaaaaaaaaaaaaaaaa'…)"
    assert time.perf_counter() - started < 5
    message = _error(GOOD + 'allow = ["' + "b" * 5000 + '"]\n')
    assert message.startswith("my.policy.toml:10: rules[1].allow: a text of 5,000 characters")


# --- names and texts -------------------------------------------------------------------------------------

def test_a_rule_name_with_a_trailing_newline_is_refused() -> None:
    """``^…$`` let "ab\\n" through: a rule (and the score stored with every decision) named with a line break."""
    message = _error(GOOD.replace('name = "f_word"', 'name = "ab\\n"'))
    assert message.startswith("my.policy.toml:5: rules[1].name: must not contain control characters (U+000A")


@pytest.mark.parametrize(("edit", "expected"), [
    (('"No F word."', '"No F\\u0000 word."'),
     "my.policy.toml:7: rules[1].description: must not contain control characters (U+0000 at character 5); "
     "tab and line breaks are allowed"),
    (('"House rules"', '"House\\nrules"'),
     "my.policy.toml:2: policy.name: must not contain control characters (U+000A at character 6)"),
    (('name = "House rules"\n', 'name = "House rules"\nsummary = "bell\\u0007"\n'),
     "my.policy.toml:3: policy.summary: must not contain control characters (U+0007 at character 5); "
     "tab and line breaks are allowed"),
])
def test_control_characters_in_texts_readers_see_are_refused(edit: tuple[str, str], expected: str) -> None:
    """A NUL in a description is stored with every hit of the rule: PostgreSQL refuses it, so every comment the rule
    caught would fail with a 500 (and be lost)."""
    assert _error(GOOD.replace(*edit)) == expected


def test_multi_line_descriptions_and_html_are_kept_as_written() -> None:
    text = GOOD.replace('"No F word."', '"""\nNo <b>F</b> word.\n\tPlease edit it.\n"""')
    policy = _load(text)
    assert policy.rules[0].description == "No <b>F</b> word.\n\tPlease edit it.\n"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("edit", "expected"), [
    (('"No F word."', '"' + "d" * 1001 + '"'), "my.policy.toml:7: rules[1].description: must be at most 1,000 "
                                                "characters, not 1,001"),
    (('name = "House rules"\n', 'name = "House rules"\nsummary = "' + "s" * 2001 + '"\n'),
     "my.policy.toml:3: policy.summary: must be at most 2,000 characters, not 2,001"),
    (('"House rules"', '"' + "n" * 201 + '"'), "my.policy.toml:2: policy.name: must be at most 200 characters, not 201"),
])
def test_texts_have_a_length_limit(edit: tuple[str, str], expected: str) -> None:
    """A description goes out with every hit (stored with the decision, sent to the reader): 2 MB of it was taken."""
    assert _error(GOOD.replace(*edit)) == expected
    at_limit = GOOD.replace('"No F word."', '"' + "d" * 1000 + '"')
    assert _load(at_limit).rules[0].description == "d" * 1000  # type: ignore[attr-defined]


def test_a_long_value_quoted_in_a_message_is_cut_short() -> None:
    message = _error(HEAD + '[comments]\nmax_length = "' + "x" * 50_000 + '"\n')
    assert message.startswith("my.policy.toml:5: comments.max_length: must be a whole number, not 'xxx")
    assert len(message) < 400 and message.endswith("…")
    message = _error(GOOD.replace('["fuck"]', "[" + ", ".join(str(i) for i in range(20_000)) + "]"))
    assert message.startswith("my.policy.toml:9: rules[1].words: must be a list of strings, not [0, 1, 2")
    assert len(message) < 400


# --- where the mistake is --------------------------------------------------------------------------------

def test_an_array_of_tables_where_a_table_belongs_names_its_line() -> None:
    assert _error(HEAD + "[[comments]]\nmax_length = 3\n") == "my.policy.toml:4: comments: must be a table"


def test_a_top_level_key_written_below_policy_says_where_it_belongs() -> None:
    """`rules = []` or `comments.max_length = 10` after [policy] belong to [policy] (TOML): say so."""
    assert _error(HEAD + "rules = []\n") == (
        "my.policy.toml:4: policy.rules: unknown key (expected one of: name, summary); a key below a [table] header "
        "belongs to that table: write [[rules]] tables instead")
    assert _error(HEAD + "comments.max_length = 10\n") == (
        "my.policy.toml:4: policy.comments: unknown key (expected one of: name, summary); a key below a [table] "
        "header belongs to that table: write a [comments] table instead")


def test_a_rule_named_like_a_classifiers_label_is_refused() -> None:
    """A classifier rule records its score under its label; a word list named like that label records its own score
    under the same name, and the decision kept only one of the two numbers."""
    text = HEAD + """\
[[rules]]
name = "obscene_model"
type = "classifier"
label = "obscene"
description = "Obscene."
action = "reject"
hold_at = 0.5
reject_at = 0.9

""" + WORDS.replace('"f_word"', '"obscene"')
    assert _error(text) == ("my.policy.toml:14: rules[2].name: 'obscene' is also the score that rule 'obscene_model' "
                            "records (its label): both scores would be stored under one name; rename this rule")
    both = text.replace('name = "obscene"\ntype = "wordlist"', 'name = "obscene_words"\ntype = "wordlist"')
    assert [r.name for r in _load(both).rules] == ["obscene_model", "obscene_words"]  # type: ignore[attr-defined]


# --- the ways the product reads a file -------------------------------------------------------------------

def test_policy_check_on_a_directory_says_so_in_one_line(tmp_path: Path) -> None:
    done = CliRunner().invoke(build_cli(), ["policy", "check", str(tmp_path)], obj={"resources": NoModelResources()})
    assert done.exit_code == 1
    assert done.output.strip() == f"{tmp_path}: cannot read the policy file: Is a directory"


def test_policy_check_on_a_deeply_nested_file_prints_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.policy.toml"
    path.write_text(HEAD + "x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    done = CliRunner().invoke(build_cli(), ["policy", "check", str(path)], obj={"resources": NoModelResources()})
    assert done.exit_code == 1 and not isinstance(done.exception, RecursionError), done.output
    assert done.output.strip() == f"{path}: TOML syntax: arrays or inline tables nested too deeply"


def test_the_application_refuses_a_deeply_nested_file_with_a_policy_error(make_app: AppFactory, sqlite_url: str,
                                                                          tmp_path: Path) -> None:
    path = tmp_path / "deep.policy.toml"
    path.write_text(HEAD + "x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="nested too deeply"):
        make_app(sqlite_url, policy=str(path))


def test_policy_check_prints_markup_and_html_in_texts_literally(tmp_path: Path) -> None:
    path = tmp_path / "odd.policy.toml"
    path.write_text(GOOD.replace('"No F word."', '"[bold]No[/bold] <b>F</b> [/x] word."'), encoding="utf-8")
    done = CliRunner().invoke(build_cli(), ["policy", "check", str(path)], obj={"resources": NoModelResources()})
    assert done.exit_code == 0, done.output
    assert "OK " in done.output and "f_word" in done.output


# --- the documentation -----------------------------------------------------------------------------------

def test_the_example_in_the_docs_loads_as_described() -> None:
    doc = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    example = re.findall(r"```toml\n(.*?)```", doc, re.S)[0]
    policy = _load(example)
    assert [r.name for r in policy.rules] == ["f_word", "paid_troll"]  # type: ignore[attr-defined]
    settings = policy.settings  # type: ignore[attr-defined]
    assert [(s.strikes, s.sanction.value, s.hours) for s in settings.enforcement.ladder] == [(1, "warn", None),
                                                                                              (2, "suspend", 24.0)]
    assert settings.enforcement.ban_scope == "site" and settings.comments.max_length == 5000


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD.replace('"reject"', '"ban"'), "my.policy.toml:8: rules[1].action: must be one of reject, hold, flag"),
    (WORDS, "my.policy.toml:1: policy: a [policy] table with a name is required"),
    (HEAD + "[enforcement]\nstrike_expiry_days = 10000000\n",
     "my.policy.toml:5: enforcement.strike_expiry_days: must be greater than 0 and at most 36500 days, not 10000000"),
    (HEAD + "[enforcement]\nstrike_expiry_days = inf\n",
     "my.policy.toml:5: enforcement.strike_expiry_days: must be a finite number, not inf"),
    (HEAD + "[comments]\nmax_length = \n", "my.policy.toml:5: TOML syntax: Invalid value (column 14)"),
])
def test_the_documented_messages(text: str, expected: str) -> None:
    assert _error(text) == expected


# --- the version ---------------------------------------------------------------------------------------

def test_the_version_follows_the_files_bytes(tmp_path: Path) -> None:
    """Every change of meaning changes the version; so does any other edit (a comment), as documented: the version
    names the file a decision was made under, not an interpretation of it."""
    base = _load(GOOD).version  # type: ignore[attr-defined]
    assert _load(GOOD.replace('"reject"', '"hold"')).version != base  # type: ignore[attr-defined]
    assert _load(GOOD + "# a note\n").version != base  # type: ignore[attr-defined]
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(GOOD, encoding="utf-8")
    b.write_text(GOOD, encoding="utf-8")
    assert load_policy(a, resources=Resources()).version == load_policy(b, resources=Resources()).version == base
