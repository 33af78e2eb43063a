"""``[comments] premoderate_links``: what counts as a link (townhall.policy.links, shared with the renderer), the
policy phase that holds a comment with one, the policy file's option, ``townhall policy check`` and
``townhall moderate``. The HTTP path is in tests/api/test_premoderate_links.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from townhall.commands.policy import register
from townhall.policy.links import LINKS_HELD, LINKS_RULE, WEB_URL, find_links
from townhall.policy.policyfile import PolicyError, load_policy, parse_policy
from townhall.policy.types import Action, Subject, Verdict
from townhall.service.render import render

from tests.policy.stubs import NoModelResources
from tests.policy.test_policyfile import MINIMAL


def _text(on: bool | str) -> str:
    value = str(on).lower() if isinstance(on, bool) else on
    return MINIMAL.replace("[[rules]]", f"[comments]\npremoderate_links = {value}\n\n[[rules]]", 1)


def _file(tmp_path: Path, on: bool | str) -> Path:
    path = tmp_path / "links.policy.toml"
    path.write_text(_text(on), encoding="utf-8")
    return path


def _links(text: str) -> list[str]:
    return [text[s:e] for s, e in find_links(text)]


@pytest.mark.parametrize("text, link", [
    ("Read https://example.com/report first.", "https://example.com/report"),
    ("see http://t.co/7FcCkRhxJI", "http://t.co/7FcCkRhxJI"),
    ("HTTPS://EXAMPLE.ORG is shouting", "HTTPS://EXAMPLE.ORG"),
    ("(http://example.com/a?b=1&c=2)", "http://example.com/a?b=1&c=2"),
    ("Buy at www.cheap-pills.example.", "www.cheap-pills.example"),
    ("WWW.SPAM.COM", "WWW.SPAM.COM"),
    ("www.example.co.uk/path?x=1, then", "www.example.co.uk/path?x=1"),
    ("go to example.com/x now", "example.com/x"),
    ("Example.com/deals!", "Example.com/deals"),
    ("bit.ly/fCkSGn5", "bit.ly/fCkSGn5"),
    ("pic.twitter.com/iujIsNkFUk", "pic.twitter.com/iujIsNkFUk"),
    ("localhost.dev:8080/admin", "localhost.dev:8080/admin"),
    ("see:example.org/", "example.org/"),
    ("https://例え.テスト/パス", "https://例え.テスト/パス"),
])
def test_links_are_found_with_the_readers_own_characters(text: str, link: str) -> None:
    assert _links(text) == [link]


@pytest.mark.parametrize("text", [
    "e.g. this one", "i.e. that", "E.g./i.e./etc.", "Mr.Smith said so", "Mr.Smith/Jones", "Dr.Who",
    "3.5 out of 5", "rated 3.5/10", "v2.0/v3.1", "the U.S. and the U.K.", "U.S./Mexico border", "U.S.A./Canada",
    "Ph.D./MBA", "a.m./p.m.", "It is 9.30 now.Then", "ann@example.com", "mail ann.lee@example.com/ ok",
    "Amazon.com is big", "example.com", "the end.Next sentence", "Awwww.F*ck you", "wwwhat", "www.",
    "xhttp://no", "https:// spaced", "and/or", "1/2 cup", "http:/one-slash",
])
def test_dotted_text_is_not_a_link(text: str) -> None:
    assert _links(text) == []


def test_two_patterns_finding_one_link_name_it_once() -> None:
    assert _links("at http://www.example.com/a and www.other.org") == ["http://www.example.com/a", "www.other.org"]


_PIECES = st.sampled_from(["http://", "https://", "HTTP://", "www.", "x", "é", "1", ".", "/", ":", "@", " ", "\n",
                           "<", ">", '"', "'", "&", ")", ",", "-", "_", "com", "ab"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_everything_the_renderer_links_is_a_link(text: str) -> None:
    """The held set covers the renderer's links: no comment shows a clickable link and escapes the hold."""
    if "<a " in render(text):
        assert _links(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), max_size=80))
def test_text_without_a_scheme_www_or_a_path_is_never_a_link(text: str) -> None:
    """Every link shape needs "://", "www." or a "/" after a domain: text without a slash never has one,
    unless it has a www. host (checked here by its own definition, not by the code under test)."""
    www_host = re.search(r"(?<![\w.@/\\-])www\.(?:[^\W_]|-)+\.[^\W\d_]{2}", text, re.IGNORECASE)
    if www_host is None:
        assert _links(text) == []


def test_the_renderer_uses_the_shared_pattern() -> None:
    from townhall.service import render as render_module

    assert render_module.WEB_URL is WEB_URL
    assert render("see https://example.com/a.") == (
        '<p>see <a href="https://example.com/a" rel="nofollow ugc noopener noreferrer">https://example.com/a</a>.</p>')


def test_option_off_by_default_and_nothing_is_held(tmp_path: Path) -> None:
    policy = parse_policy(MINIMAL.encode(), "p.toml")  # no [comments] table
    assert policy.settings.comments.premoderate_links is False
    assert load_policy(_file(tmp_path, False)).evaluate(Subject("www.example.com")).verdict is Verdict.PUBLISH
    assert policy.evaluate(Subject("See https://example.com/x")).verdict is Verdict.PUBLISH
    default = load_policy(None, resources=NoModelResources())
    assert default.settings.comments.premoderate_links is False


def test_on_a_link_is_held_with_its_own_hit_and_evidence(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, True))
    text = "Great piece. More at www.spam.example/buy-now."
    decision = policy.evaluate(Subject(text))
    assert decision.verdict is Verdict.HOLD and not decision.strike
    (hit,) = decision.deciding_hits
    assert (hit.rule, hit.action, hit.description) == (LINKS_RULE, Action.HOLD, LINKS_HELD)
    assert hit.evidence == "www.spam.example/buy-now" and text[slice(*hit.span)] == hit.evidence
    assert hit.reasons == ("www.spam.example/buy-now",)
    assert policy.evaluate(Subject("Innocent: e.g. Mr.Smith paid 3.5 times the U.S. rate.")).verdict is Verdict.PUBLISH


def test_every_link_is_named_and_the_first_is_the_evidence(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, True))
    (hit,) = policy.evaluate(Subject("a http://one.example/x b bit.ly/two")).hits
    assert hit.evidence == "http://one.example/x" and hit.reasons == ("http://one.example/x", "bit.ly/two")


def test_moderators_are_not_held_and_trusted_readers_are(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, True))
    text = "Sources: https://example.com/court-ruling.pdf"
    assert policy.evaluate(Subject(text, author_moderator=True)).verdict is Verdict.PUBLISH
    assert policy.evaluate(Subject(text, account_trusted=True)).verdict is Verdict.HOLD  # as on a premoderated article


def test_a_refusal_still_wins_over_the_hold(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, True))
    decision = policy.evaluate(Subject("f*ck this, see example.com/x"))
    assert decision.verdict is Verdict.REJECT
    assert [h.rule for h in decision.hits] == ["f_word", LINKS_RULE]


@pytest.mark.parametrize("value, shown", [('"yes"', "'yes'"), ("1", "1"), ('"true"', "'true'")])
def test_policy_check_refuses_a_value_that_is_not_a_boolean(tmp_path: Path, value: str, shown: str) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(_file(tmp_path, value))
    line = _text(value).splitlines().index(f"premoderate_links = {value}") + 1
    assert str(err.value) == f"{tmp_path / 'links.policy.toml'}:{line}: comments.premoderate_links: must be true or " \
                             f"false, not {shown}"


def test_a_rule_may_not_take_the_name_of_the_links_hold() -> None:
    text = MINIMAL.replace('name = "f_word"', 'name = "links"', 1)
    with pytest.raises(PolicyError, match=r"duplicate rule name 'links' \(the name of a built-in check\)"):
        parse_policy(text.encode(), "p.toml")


def _group() -> click.Group:
    group = click.Group("townhall")
    register(group)
    return group


def test_policy_check_says_what_the_option_does(tmp_path: Path) -> None:
    on = CliRunner().invoke(_group(), ["policy", "check", str(_file(tmp_path, True))])
    assert on.exit_code == 0, on.output
    assert "• links: premoderated. A reader's comment, reply or edit with a link" in on.stdout
    assert "moderators' own comments are not held" in on.stdout
    off = CliRunner().invoke(_group(), ["policy", "check", str(_file(tmp_path, False))])
    assert off.exit_code == 0 and "links:" not in off.stdout


def test_townhall_moderate_shows_the_hit(tmp_path: Path) -> None:
    args = ["moderate", "--policy", str(_file(tmp_path, True)), "--text", "Cheap at www.pills.example now"]
    result = CliRunner().invoke(_group(), args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["verdict"] == "hold"
    assert out["hits"] == [{"rule": "links", "action": "hold", "description": LINKS_HELD, "span": [9, 26],
                            "evidence": "www.pills.example"}]
    off = CliRunner().invoke(_group(), ["moderate", "--policy", str(_file(tmp_path, False)), "--text", "www.pills.example"])
    assert json.loads(off.stdout)["verdict"] == "publish"


def _adversarial_links(n: int) -> dict[str, str]:
    return {
        "dotted run": "a." * (n // 2),
        "dotted run then slash": "a." * (n // 2) + "ab/",
        "labels with hyphens": "a-" * (n // 2),
        "www run": "www." * (n // 4),
        "www labels": "www." + "ab." * (n // 3),
        "schemes": "http://" * (n // 7),
        "long tld": "a." + "b" * n + "/",
        "many links": "x.co/a " * (n // 7),
        "spaced dots": "a. " * (n // 3),
    }


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(_adversarial_links(8)))
def test_finding_links_is_linear(name: str) -> None:
    from tests.policy.test_linear import MB, _seconds

    big, small = _adversarial_links(MB)[name], _adversarial_links(MB // 8)[name]
    t_big = min(_seconds(lambda: list(find_links(big))) for _ in range(2))
    t_small = min(_seconds(lambda: list(find_links(small))) for _ in range(3))
    assert t_big < 10.0, f"{name}: 1 MB took {t_big:.2f}s"
    assert t_big < 24 * t_small + 0.1, f"{name}: 1 MB {t_big:.3f}s vs 125 kB {t_small:.3f}s"
