"""Audit of what a refusal tells the reader through the API (``details.hits``): the abusive hit's reasons and
evidence name the reader's own words, never a group of people and never a spelling of the F word, and every
span points into ``details.text``, the text as sent (code points)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.fixtures_app import auth

T = "/api/v1/threads/article-1/comments"


def _refusal(client: TestClient, text: str, who: str) -> dict[str, Any]:
    r = client.post(T, json={"text": text}, headers=auth(who))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "rejected_by_house_rules"
    assert err["details"]["text"] == text
    return dict(err["details"])


def _abusive(details: dict[str, Any]) -> dict[str, Any]:
    hits = [h for h in details["hits"] if h["rule"] == "abusive"]
    assert hits, details["hits"]
    return dict(hits[0])


def test_a_refusal_never_names_a_group_of_people_as_its_reason(client: TestClient) -> None:
    text = "heterosexuals are stupid idiots"
    hit = _abusive(_refusal(client, text, "reader-a"))
    words = {w.lower() for r in hit["reasons"] for w in r.split(" ")}
    assert "heterosexuals" not in words, hit["reasons"]
    assert "heterosexuals" not in hit["evidence"]
    start, end = hit["span"]
    assert text[start:end] == "idiots"


def test_a_refusal_does_not_spell_out_the_f_word_in_its_reasons(client: TestClient) -> None:
    text = "\U0001F600 fu*k you idiot"  # an emoji first: spans count code points, as the widget reads them
    details = _refusal(client, text, "reader-b")
    f_word = next(h for h in details["hits"] if h["rule"] == "f_word")
    assert text[f_word["span"][0]:f_word["span"][1]] == "fu*k"
    hit = _abusive(details)
    assert not any("fu*k" in r for r in hit["reasons"]), hit["reasons"]
    assert "fu*k" not in hit["evidence"]
    assert text[hit["span"][0]:hit["span"][1]] == "idiot"
