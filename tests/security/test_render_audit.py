"""Text that readers, publishers and archives control, where Townhall shows it: as the reader wrote it, never as
markup. Each test here failed before its fix: a quoted link in a comment linked another address and showed a
``;`` the reader never typed (townhall.service.render); the command line read an archive's ids and a webhook's
address as rich markup, and so crashed on ``[/]`` or dropped ``[…]`` from what it printed. The dashboard's test
is one that held (Jinja2's autoescape): it stays as the check that it still does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from townhall.cli import build_cli
from townhall.service import appeals, enforcement, moderators, webhooks
from townhall.service import comments as svc_comments
from townhall.service.core import build_services
from townhall.service.render import render
from townhall.settings import Settings
from townhall.store import schema
from tests.dashboard.helpers import PASSWORD, add_moderator, sign_in, write_policy
from tests.dashboard.seed import reader, say
from tests.ops.conftest import POLICY

REL = 'rel="nofollow ugc noopener noreferrer"'


def _links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link in rendered HTML, entities decoded as a browser would."""
    import html as html_lib

    return [(html_lib.unescape(href), html_lib.unescape(text))
            for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', html)]


# --- comment HTML (townhall.service.render) -----------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ('Read "https://news.example/story" now', f'<p>Read "<a href="https://news.example/story" {REL}>'
                                              'https://news.example/story</a>" now</p>'),
    ("see <https://news.example/story>", f'<p>see &lt;<a href="https://news.example/story" {REL}>'
                                         "https://news.example/story</a>&gt;</p>"),
    ("it's at 'https://news.example/a'.", f"<p>it's at '<a href=\"https://news.example/a\" {REL}>"
                                          "https://news.example/a</a>'.</p>"),
])
def test_a_link_in_quotes_or_angle_brackets_links_the_address_inside(text: str, expected: str) -> None:
    """Before: ``"https://news.example/story"`` linked ``https://news.example/story"`` (a 404 on the publisher's
    site) and showed ``https://news.example/story";``: the link was cut from the escaped text, where the
    closing quote is ``&quot;`` and its ``;`` read as the sentence's punctuation."""
    assert render(text) == expected


def test_what_a_reader_wrote_around_a_link_is_shown_as_written() -> None:
    """Every character the reader typed is shown once, in order, whatever the link next to it."""
    import html as html_lib

    for text in ['"https://a.example/x"', "<https://a.example/x>", "(https://a.example/x)", "https://a.example/?a=1&b=2",
                 "https://en.wikipedia.org/wiki/Ender's_Game", "https://a.example/&amp; literally",
                 'https://a.example/"onmouseover="alert(1)', "https://a.example/<b>bold</b>", "https://\" x"]:
        rendered = render(text)
        shown = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
        assert shown == text, (text, rendered)
        for href, link_text in _links(rendered):
            assert href == link_text and not set('<>"') & set(href), (text, rendered)


def test_an_address_with_an_apostrophe_and_a_query_stays_one_link() -> None:
    """What the fix keeps: ``'`` and ``&`` are an address's own characters (RFC 3986), so those links are whole."""
    assert _links(render("https://en.wikipedia.org/wiki/Ender's_Game.")) == [
        ("https://en.wikipedia.org/wiki/Ender's_Game", "https://en.wikipedia.org/wiki/Ender's_Game")]
    assert _links(render("https://a.example/?a=1&b=2")) == [("https://a.example/?a=1&b=2", "https://a.example/?a=1&b=2")]


# --- the command line (rich) ---------------------------------------------------------------------------------
_DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="t[/]1">
    <id>audit-thread</id>
    <link>https://news.example/audit</link>
    <title>[bold]Audit[/bold] thread</title>
    <createdAt>2024-01-01T10:00:00Z</createdAt>
  </thread>
  <post dsq:id="[/]p[red]1">
    <message><![CDATA[<p>You fucking idiots know nothing.</p>]]></message>
    <createdAt>2024-01-01T11:00:00Z</createdAt>
    <isDeleted>false</isDeleted>
    <isSpam>false</isSpam>
    <author><name>[link=https://evil.example]Ann[/link]</name><isAnonymous>true</isAnonymous></author>
    <thread dsq:id="t[/]1" />
  </post>
</disqus>
"""


def test_the_import_report_prints_an_archives_ids_as_text(tmp_path: Path) -> None:
    """Before: the report's examples printed each comment's place in the archive (``<post dsq:id=…>``) as rich
    markup, so an id with ``[/]`` ended the import's report in a MarkupError traceback (exit 1, after the
    import had run), and ``[red]`` restyled the line and vanished from it."""
    archive = tmp_path / "disqus.xml"
    archive.write_text(_DISQUS, encoding="utf-8")
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400"})
    db = f"sqlite:///{tmp_path / 'th.db'}"
    assert runner.invoke(build_cli(), ["migrate", "--db", db]).exit_code == 0  # a dry run reads an existing database
    done = runner.invoke(build_cli(), ["import", "disqus", str(archive), "--dry-run", "--db", db])
    assert done.exit_code == 0, (done.output, done.exception)
    assert "<post dsq:id=[/]p[red]1>: kept published, policy would reject (f_word)" in done.stdout, done.stdout


def test_the_delivery_log_shows_a_webhooks_address_as_registered(tmp_path: Path) -> None:
    """Before: the table read each cell as markup: ``?list[id]=7`` was shown as ``?list=7``, an IPv6 address
    ``[fd00::1]`` (allowed with webhooks_allow_private) disappeared from its URL, and ``[/]`` in a query
    crashed the command."""
    db = f"sqlite:///{tmp_path / 'th.db'}"
    svc = build_services(Settings(database_url=db, data_dir=str(tmp_path), webhooks_allow_private=True))
    urls = ["https://93.184.216.34/in?list[id]=7", "http://[fd00::1]:8080/hook", "https://93.184.216.34/q?x=[/]"]
    try:
        for url in urls:
            webhooks.add(svc, "default", url, secret="s")
        webhooks.listener(svc, _NoQueue())("comment.created", "default", {"comment": {"id": 1}})
    finally:
        svc.db.dispose()
    runner = CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400", "TOWNHALL_WEBHOOKS_ALLOW_PRIVATE": "true"})
    done = runner.invoke(build_cli(), ["webhooks", "deliveries", "--db", db])
    assert done.exit_code == 0, (done.output, done.exception)
    for url in urls:
        assert url in done.stdout, done.stdout


class _NoQueue:
    """A job queue that keeps nothing: the delivery rows are what the log shows."""

    def enqueue(self, *args: object, **kwargs: object) -> None:
        return None


# --- the dashboard (Jinja2, autoescaped) ---------------------------------------------------------------------
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script></td></tr></table><form action="https://evil.example">'


def test_the_dashboard_shows_readers_and_publishers_text_escaped(make_app: Any, sqlite_url: str, tmp_path: Path,
                                                                  clock: Any) -> None:
    """Checked, holds: a reader's name and comment, a report's note, an appeal, an article's title and a
    ``javascript:`` address (as an archive may carry one), on every page that shows them, are text: the
    markup is escaped (no tag of it survives to break the layout or a form) and the address is not linked."""
    app = make_app(sqlite_url, policy=write_policy(tmp_path))
    svc = app.services
    site = app.settings.default_site
    reporters = [reader(svc, sub, sub) for sub in ("r1", "r2", "r3")]
    clock.advance(days=60)  # accounts old enough that their reports count in full
    author = reader(svc, "hostile", "Eve " + HOSTILE)
    held = say(svc, author, ("audit-t", "Title " + HOSTILE), "You moron " + HOSTILE)
    assert held["status"] == "held"
    assert say(svc, author, ("audit-t", "Title"), "fuck " + HOSTILE)["status"] == "rejected"
    shown = say(svc, author, ("audit-t", "Title"), "Published " + HOSTILE)
    for who in reporters:  # enough reports for the reported queue
        svc_comments.report(svc, who, int(shown["id"]), "spam", "Note " + HOSTILE)
    add_moderator(svc, "mod@news.example", admin=True)
    actor = moderators.actor_for(moderators.authenticate(svc, "mod@news.example", PASSWORD))
    action = enforcement.moderator_sanction(svc, actor, author.account_id, "warn", "Reason " + HOSTILE)
    appeals.appeal(svc, author, action, "Appeal " + HOSTILE)
    with svc.db.write() as conn:  # as an archive's thread may have it: an address no page may link
        conn.execute(schema.threads.update().values(url="javascript:alert(3)"))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert sign_in(client, "mod@news.example").status_code == 303
        pages = [f"/admin/queue/{q}?site={site}" for q in ("held", "reported", "appeals", "rejected")]
        pages += [f"/admin/articles?site={site}", f"/admin/articles/audit-t?site={site}",
                  f"/admin/accounts/{author.account_id}", f"/admin/audit?site={site}"]
        for page in pages:
            r = client.get(page)
            assert r.status_code == 200, (page, r.text[:500])
            assert "<img src=x" not in r.text and "<script>alert" not in r.text, page
            assert 'action="https://evil.example"' not in r.text and 'href="javascript:' not in r.text, page
            assert r.text.count("<form") == r.text.count("</form>"), page
            assert "&lt;img src=x onerror=" in r.text, page  # the hostile text is there, as text


@pytest.mark.parametrize("link", ["http:///", "https://#top", "https://?q=1", "https://@", "https://%"])
def test_an_address_without_a_host_is_text_not_a_link_that_goes_nowhere(link: str) -> None:
    """Before (found by an audit): ``https://#top``, ``http:///``… were wrapped in a link whose address nh3 then
    dropped, as it cannot parse one without a host: an ``<a rel=…>`` without href, styled as a link by the widget
    (``.th-body a``) and not clickable. Now the sanitiser is asked first, and such an address stays text."""
    rendered = render(f"See {link} for more.")
    assert "<a" not in rendered, rendered
    assert rendered.startswith("<p>See ") and rendered.endswith(" for more.</p>"), rendered


def test_an_international_or_bracketed_host_is_still_a_link() -> None:
    """What the check keeps: hosts the sanitiser parses, a non-ASCII name and an IPv6 address among them."""
    for url in ("https://münchen.example/x", "https://[2001:db8::1]:8080/a", "http://a"):
        assert _links(render(f"see {url} now")) == [(url, url)], url
