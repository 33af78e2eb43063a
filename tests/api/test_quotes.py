"""Quotations in comments: ``> `` lines become one ``<blockquote>`` in the comment's HTML, made when the comment
is written (townhall.service.render), over the real API; the reader's ``text`` keeps the markers; the house rules
judge the whole text, quotes included; and, for any text at all, the HTML holds only the allowed tags and shows
exactly the reader's words without the markers (a property test)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.fixtures_app import auth
from townhall.service.render import render

T = "/api/v1/threads/quotes-1/comments"
REL = 'rel="nofollow ugc noopener noreferrer"'
ALLOWED = {"p", "br", "a", "blockquote"}


class _Shown(HTMLParser):
    """What a browser builds from the HTML: the tags with their attributes, and the text shown (a space where a
    paragraph, a line break or a quotation starts or ends, as they part words on the screen; a link does not)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.text.append("" if tag == "a" else " ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.text.append("" if tag == "a" else " ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shown(html: str) -> _Shown:
    parser = _Shown()
    parser.feed(html)
    parser.close()
    return parser


def words(text: str) -> str:
    return " ".join(text.split())


def without_markers(text: str) -> str:
    """The reader's text as it should be shown: each line's leading ``>`` and the one space after it taken off."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(re.sub(r"^> ?", "", line) for line in lines)


def test_a_quoted_reply_is_stored_with_a_blockquote_and_its_text_as_typed(client: TestClient) -> None:
    r = client.post(T, json={"text": "The minister said the base stays."}, headers=auth("ann"))
    assert r.status_code == 201, r.text
    parent = r.json()["comment"]
    text = ("> The minister said the base stays.\n>\n> See https://news.example/base for the budget.\n"
            "Only the naval facility does.\n\nA second paragraph of mine.")
    r = client.post(T, json={"text": text, "parent_id": parent["id"]}, headers=auth("bob"))
    assert r.status_code == 201, r.text
    reply = r.json()["comment"]
    expected = ("<blockquote><p>The minister said the base stays.</p>"
                f'<p>See <a href="https://news.example/base" {REL}>https://news.example/base</a> for the budget.</p>'
                "</blockquote><p>Only the naval facility does.</p><p>A second paragraph of mine.</p>")
    assert reply["html"] == expected
    assert reply["text"] == text  # the author's own text: the markers as typed
    listed = client.get(T, params={"sort": "oldest"}).json()["comments"]
    assert listed[0]["replies"][0]["html"] == expected


def test_one_level_only_and_a_marker_inside_a_line_is_text(client: TestClient) -> None:
    text = ">> an older quote\n>no space after the marker\n\n5 > 3, and x>y\n >  indented is not a quote"
    r = client.post(T, json={"text": text}, headers=auth("ann"))
    assert r.status_code == 201, r.text
    assert r.json()["comment"]["html"] == (
        "<blockquote><p>&gt; an older quote<br>no space after the marker</p></blockquote>"
        "<p>5 &gt; 3, and x&gt;y<br> &gt;  indented is not a quote</p>")


def test_two_runs_apart_are_two_quotes_and_an_empty_quote_draws_nothing(client: TestClient) -> None:
    r = client.post(T, json={"text": "> first\n\n> second\n>\n>\nmine"}, headers=auth("ann"))
    assert r.status_code == 201, r.text
    assert r.json()["comment"]["html"] == (
        "<blockquote><p>first</p></blockquote><blockquote><p>second</p></blockquote><p>mine</p>")
    r = client.post(T, json={"text": ">\n> \nonly this"}, headers=auth("ann"))
    assert r.json()["comment"]["html"] == "<p>only this</p>"


def test_an_edit_is_rendered_again_with_its_quotes(client: TestClient) -> None:
    r = client.post(T, json={"text": "plain first"}, headers=auth("ann"))
    cid = r.json()["comment"]["id"]
    r = client.patch(f"/api/v1/comments/{cid}", json={"text": "> quoted now\nand mine"}, headers=auth("ann"))
    assert r.status_code == 200, r.text
    assert r.json()["comment"]["html"] == "<blockquote><p>quoted now</p></blockquote><p>and mine</p>"


def test_markup_in_a_quote_stays_text(client: TestClient) -> None:
    text = ('> </blockquote><script>alert(1)</script>\n> <a href="javascript:alert(1)">x</a>\n'
            '> <blockquote onmouseover="alert(1)">')
    r = client.post(T, json={"text": text}, headers=auth("ann"))
    assert r.status_code == 201, r.text
    html = r.json()["comment"]["html"]
    page = shown(html)
    assert [tag for tag, _ in page.tags] == ["blockquote", "p", "br", "br"]
    assert all(not attrs for _, attrs in page.tags)
    assert words("".join(page.text)) == words(without_markers(text))


def test_a_quoted_f_word_is_still_refused(client: TestClient) -> None:
    """The house rules judge the whole text: a ``>`` line is the reader's text like any other."""
    text = "> what the f*ck is this\nI agree with the minister."
    r = client.post(T, json={"text": text}, headers=auth("ann"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "rejected_by_house_rules"
    hits = err["details"]["hits"]
    assert [h["rule"] for h in hits] == ["f_word"]
    start, end = hits[0]["span"]
    assert text[start:end] == "f*ck"  # the span points into the quoted line, the text as sent
    r = client.post(T, json={"text": ">> fuck"}, headers=auth("ann"))
    assert r.status_code == 422 and r.json()["error"]["details"]["hits"][0]["rule"] == "f_word"


# --- the property: any text -------------------------------------------------------------------------------------
# Text as the API stores it: any Unicode a database can hold (no lone surrogates; NUL is dropped before), with
# plenty of the characters that matter here: the marker, markup, entities, quotes, line breaks and addresses.
_PIECES = st.sampled_from(["> ", ">", ">>", "\n", "\n\n", "\r\n", "<", "&", '"', "'", "&gt;", "&amp;", "<b>",
                           "</blockquote>", "<blockquote>", "https://a.example/x", "http://b.example/?q=1&r=<2>",
                           " ", "\t", "word", "&#62;"])
_CHARS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
TEXTS = st.lists(st.one_of(_PIECES, _CHARS), max_size=30).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_any_text_renders_to_allowed_tags_showing_the_readers_words(text: str) -> None:
    html = render(text)
    page = shown(html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED, (text, html)
        if tag == "a":
            assert set(attrs) == {"href", "rel"} and re.match(r"https?://", attrs["href"] or ""), (text, html)
        else:
            assert not attrs, (text, html)
    assert words("".join(page.text)) == words(without_markers(text)), (text, html)
    if not any(line.startswith(">") for line in text.replace("\r", "\n").split("\n")):
        assert "<blockquote>" not in html


def test_quotes_are_found_line_by_line_before_escaping() -> None:
    assert render("&gt; not a quote") == "<p>&amp;gt; not a quote</p>"  # an entity the reader typed is text
    assert render("> a\r\n> b\rc") == "<blockquote><p>a<br>b</p></blockquote><p>c</p>"
    assert render("text\n> q") == "<p>text</p><blockquote><p>q</p></blockquote>"
    assert render("> https://a.example/x>") == (
        f'<blockquote><p><a href="https://a.example/x" {REL}>https://a.example/x</a>&gt;</p></blockquote>')
