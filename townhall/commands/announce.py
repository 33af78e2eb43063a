"""`townhall announce --site S TEXT [--until ISO]` / `townhall announce --site S --clear`: the site's announcement,
shown above the comments of every article of the site (as ``PUT`` / ``DELETE /api/v1/mod/announcement`` set it).

On PostgreSQL the change reaches the open widgets of every running server at once (the command sends the
``site.announcement`` event on their relay); on SQLite a running server sees it within its cache of the site's row
(``cache_seconds``, 5 by default), and its readers at their next read."""

from __future__ import annotations

import json

import click

from townhall.commands.archive import services
from townhall.commands.params import UTF8


def register(group: click.Group) -> None:
    @group.command("announce")
    @click.argument("text", required=False)
    @click.option("--site", type=UTF8, default=None, help="Site (default: the default site).")
    @click.option("--until", default=None, metavar="DATETIME", help="When it disappears by itself: ISO 8601 with a "
                  "time zone, e.g. 2026-11-27T22:00:00Z; in the future, at most 366 days ahead. Left out: until cleared.")
    @click.option("--clear", is_flag=True, help="Remove the site's announcement.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def announce(text: str | None, site: str | None, until: str | None, clear: bool, config: str | None,
                 database_url: str | None) -> None:
        """Show TEXT above the comments of every article of the site (plain text, at most 1,000 characters; an
        empty line starts a paragraph), replacing the one in force; prints the announcement as the API shows it."""
        from townhall.service import announcements
        from townhall.service.identity import Actor

        if clear and (text is not None or until is not None):
            raise click.UsageError("give TEXT (and --until) or --clear, not both")
        if not clear and text is None:
            raise click.UsageError("give the announcement's TEXT, or --clear to remove it")
        svc = services(config, database_url, existing=True)  # never a new, empty installation at a mistyped path
        try:
            site_id = site or svc.settings.default_site
            if clear:
                announcements.clear(svc, Actor.cli(), site_id)
                shown = None
            else:
                assert text is not None
                ends = announcements.parse_until(until) if until is not None else None
                shown = announcements.put(svc, Actor.cli(), site_id, text, ends).public()
        finally:
            svc.db.dispose()
        click.echo(json.dumps({"announcement": shown}, ensure_ascii=False))
