"""An archive's ``<blockquote>`` is imported as a quotation: ``html_to_text`` writes it as ``> `` lines (a ``>``
line between its paragraphs), so the imported reply shows the words it quoted as a quote, not as if its author
had written them. Before, the quote was flattened into ordinary paragraphs."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from townhall.app import Townhall
from townhall.service.importers import disqus
from townhall.service.importers.model import html_to_text
from townhall.service.importing import run_import
from townhall.service.render import render

_DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="9001">
    <id>quotes-article</id>
    <link>https://gazette.example/world/quotes-article</link>
    <title>Quotes</title>
    <createdAt>2016-03-14T18:00:00Z</createdAt>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
  <post dsq:id="9101">
    <message><![CDATA[<p>The base stays.</p><p>The contractors replace the soldiers.</p>]]></message>
    <createdAt>2016-03-14T18:30:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author><name>Anna Schmidt</name><isAnonymous>false</isAnonymous><username>annas</username></author>
    <thread dsq:id="9001" />
  </post>
  <post dsq:id="9102">
    <message><![CDATA[<blockquote><p>The base stays.</p><p>The contractors replace the <b>soldiers</b>.</p></blockquote><p>Who pays the contractors?</p>]]></message>
    <createdAt>2016-03-14T18:45:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author><name>Ben Okafor</name><isAnonymous>false</isAnonymous><username>beno</username></author>
    <thread dsq:id="9001" />
    <parent dsq:id="9101" />
  </post>
</disqus>
"""


def _row(app: Townhall, ext: str) -> dict[str, Any]:
    with app.services.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.text("SELECT body, html FROM comments WHERE external_id = :e"),
                                              {"e": ext}).mappings()]
    assert len(rows) == 1, ext
    return rows[0]


def test_a_disqus_reply_quoting_its_parent_shows_the_quote_as_a_quote(app: Townhall, client: Any) -> None:
    report = run_import(app.services, disqus.read(_DISQUS), "default")
    assert report.comments_new == 2, report.to_dict()
    reply = _row(app, "disqus:9102")
    assert reply["body"] == "> The base stays.\n>\n> The contractors replace the soldiers.\n\nWho pays the contractors?"
    expected = ("<blockquote><p>The base stays.</p><p>The contractors replace the soldiers.</p></blockquote>"
                "<p>Who pays the contractors?</p>")
    assert reply["html"] == expected
    page = client.get("/api/v1/threads/quotes-article/comments", params={"sort": "oldest"})
    assert page.status_code == 200, page.text
    assert page.json()["comments"][0]["replies"][0]["html"] == expected
    assert _row(app, "disqus:9101")["body"] == "The base stays.\n\nThe contractors replace the soldiers."  # as before


@pytest.mark.parametrize(("markup", "text"), [
    # WordPress: a quote with a line break in it, then the answer on its own
    ("<blockquote>He said so.<br />Twice.</blockquote>No, he did not.",
     "> He said so.\n> Twice.\n\nNo, he did not."),
    # nested quotes are one quotation, their paragraphs apart
    ("<blockquote><blockquote>the first words</blockquote>the reply to them</blockquote><p>mine</p>",
     "> the first words\n>\n> the reply to them\n\nmine"),
    # a quote in the middle, a link in it, an empty one left out
    ('<p>Before.</p><blockquote><a href="https://example.org/a">the source</a></blockquote><blockquote> </blockquote>'
     "<p>After.</p>", "Before.\n\n> the source (https://example.org/a)\n\nAfter."),
    # a quote never closed ends with the comment; no quote: unchanged
    ("<p>Mine.</p><blockquote>theirs", "Mine.\n\n> theirs"),
    ("<p>One.</p><p>Two &amp; three.</p>", "One.\n\nTwo & three."),
])
def test_html_to_text_writes_blockquotes_as_quote_lines(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_quote_lines_render_as_one_blockquote_each() -> None:
    rendered = render(html_to_text("<blockquote><p>a</p><p>b</p></blockquote><blockquote>c</blockquote>d"))
    assert rendered == ("<blockquote><p>a</p><p>b</p></blockquote><blockquote><p>c</p></blockquote><p>d</p>")
