"""`townhall threads set THREAD`: a thread's article data (title, address, publication date), as the publisher
gives it over ``PATCH /api/v1/mod/threads/{thread}``, whether its comments are premoderated, and the message shown
above them."""

from __future__ import annotations

import json
from typing import Any

import click

from townhall.commands.archive import services
from townhall.commands.params import UTF8


def register(group: click.Group) -> None:
    @group.group("threads")
    def threads_group() -> None:
        """Threads: the articles readers comment on."""

    @threads_group.command("set")
    @click.argument("thread")
    @click.option("--site", type=UTF8, default=None, help="Site (default: the default site).")
    @click.option("--title", default=None, help="The article's title (one line, at most 500 characters; '' clears it).")
    @click.option("--url", default=None, help="The article's address (http(s) URL or /path; '' clears it).")
    @click.option("--published-at", "published_at", default=None, metavar="DATETIME",
                  help="When the article was published: ISO 8601 with a time zone, e.g. 2026-11-27T08:00:00Z. The "
                  "site's close_after_days counts from it.")
    @click.option("--clear-published-at", is_flag=True, help="Forget the publication date (the age limit counts from "
                  "the thread's start again).")
    @click.option("--premoderate/--no-premoderate", "premoderate", default=None, help="Hold every new comment of a "
                  "reader on the article for a moderator (a sensitive article), or stop (held ones stay held).")
    @click.option("--message", default=None, metavar="TEXT", help="A message shown above the article's comments: plain "
                  "text, at most 1,000 characters; line breaks allowed (an empty line starts a paragraph).")
    @click.option("--clear-message", is_flag=True, help="Remove the message shown above the article's comments.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def set_(thread: str, site: str | None, title: str | None, url: str | None, published_at: str | None,
             clear_published_at: bool, premoderate: bool | None, message: str | None, clear_message: bool,
             config: str | None, database_url: str | None) -> None:
        """Set THREAD's article data, creating the thread if need be; prints the thread as the API shows it."""
        from townhall.service import announcements
        from townhall.service import thread_metadata as meta
        from townhall.service.errors import ServiceError
        from townhall.service.identity import Actor

        if published_at is not None and clear_published_at:
            raise click.UsageError("give --published-at or --clear-published-at, not both")
        if message is not None and clear_message:
            raise click.UsageError("give --message or --clear-message, not both")
        given: dict[str, Any] = {}
        if title is not None:
            given["title"] = title or None
        if url is not None:
            given["url"] = url or None
        if clear_published_at:
            given["published_at"] = None
        if premoderate is not None:
            given["premoderated"] = premoderate
        if message is not None or clear_message:
            given["message"] = message or None
        if not given and published_at is None:
            raise click.UsageError("nothing to set: give --title, --url, --published-at, --clear-published-at, "
                                   "--premoderate/--no-premoderate, --message or --clear-message")
        svc = services(config, database_url, existing=True)  # never a new, empty installation at a mistyped path
        try:
            if published_at is not None:
                given["published_at"] = meta.parse_published_at(published_at)
            site_id = site or svc.settings.default_site
            shown = meta.update_thread(svc, Actor.cli(), site_id, thread, meta.ThreadChanges(**given))
            shown = {**shown, "announcement": announcements.on_thread(svc, site_id)}  # as the API's answer has it
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            svc.db.dispose()
        click.echo(json.dumps(shown, ensure_ascii=False))
