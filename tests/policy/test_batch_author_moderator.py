"""``townhall moderate`` input: ``author_moderator`` judges a line as a moderator's own comment (the holds that
spare moderators, ``premoderate_links``, do not apply), with the strictness of the other true/false fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from townhall.policy.policyfile import load_policy
from townhall.policy.types import Subject
from townhall.service.batch import RecordError, moderate_lines, subject_from_record

from tests.policy.test_premoderate_links import _file


def test_author_moderator_is_read_into_the_subject() -> None:
    assert subject_from_record({"text": "hi", "author_moderator": True}) == Subject("hi", author_moderator=True)
    assert subject_from_record({"text": "hi", "author_moderator": False}) == Subject("hi")
    assert subject_from_record({"text": "hi"}).author_moderator is False


@pytest.mark.parametrize("value", ["true", 1, 0, None, [], {}, "yes"])
def test_author_moderator_of_another_type_is_refused_like_the_other_flags(value: object) -> None:
    with pytest.raises(RecordError) as err:
        subject_from_record({"text": "hi", "author_moderator": value})
    assert str(err.value) == '"author_moderator" must be true or false'
    with pytest.raises(RecordError) as other:  # the same wording as an existing flag
        subject_from_record({"text": "hi", "account_trusted": value})
    assert str(other.value) == '"account_trusted" must be true or false'


def test_a_moderators_link_is_not_held_in_bulk_and_a_bad_flag_is_answered_in_place(tmp_path: Path) -> None:
    policy = load_policy(_file(tmp_path, True))
    text = "Sources: https://example.com/court-ruling.pdf"
    lines = [json.dumps({"id": "reader", "text": text}),
             json.dumps({"id": "mod", "text": text, "author_moderator": True}),
             json.dumps({"id": "bad", "text": text, "author_moderator": "true"}),
             json.dumps({"id": "mod-fword", "text": "f*ck this, see example.com/x", "author_moderator": True})]
    out: list[str] = []
    errors: list[tuple[int, str]] = []
    stats = moderate_lines(policy, lines, out.append, on_error=lambda n, m: errors.append((n, m)))
    answers = [json.loads(line) for line in out]
    assert [a.get("verdict") for a in answers] == ["hold", "publish", None, "reject"]
    assert [h["rule"] for h in answers[0]["hits"]] == ["links"] and answers[1]["hits"] == []
    assert answers[2] == {"line": 3, "error": '"author_moderator" must be true or false'}
    assert [h["rule"] for h in answers[3]["hits"]] == ["f_word"]  # the rules still judge a moderator's comment
    assert errors == [(3, '"author_moderator" must be true or false')]
    assert (stats.judged, stats.errors) == (3, 1)
