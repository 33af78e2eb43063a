"""`townhall users add-moderator`, `list-moderators` and `remove-moderator`: local accounts for the dashboard."""

from __future__ import annotations

import sys

import click

from townhall.commands.params import UTF8
from townhall.commands.server import load_settings


def register(group: click.Group) -> None:
    @group.group()
    def users() -> None:
        """Moderator accounts for the dashboard at /admin."""

    @users.command("add-moderator")
    @click.argument("email")
    @click.option("--admin", is_flag=True, help="An installation admin: sees every site, manages moderators and sites.")
    @click.option("--site", "sites", type=UTF8, multiple=True, help="A site this moderator moderates (repeatable; default: the default site).")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def add_moderator(email: str, admin: bool, sites: tuple[str, ...], password_stdin: bool, config: str | None,
                      database_url: str | None) -> None:
        """Create a moderator (or reset their password, role and sites)."""
        from townhall.service import moderators
        from townhall.service.core import build_services
        from townhall.service.errors import ServiceError

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        settings = load_settings(config, database_url=database_url)
        svc = build_services(settings)
        try:
            moderators.add_moderator(svc, email, password, admin=admin, sites=list(sites))
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            svc.db.dispose()
        where = "all sites (admin)" if admin else ", ".join(sites or (settings.default_site,))
        click.echo(f"moderator {email} saved: {where}. Sign in at /admin/login")

    @users.command("list-moderators")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def list_moderators(config: str | None, database_url: str | None) -> None:
        """List the dashboard's local moderator accounts."""
        from townhall.service.core import build_services
        from townhall.service.identity import Actor
        from townhall.service.moderators import list_moderators as listing

        svc = build_services(load_settings(config, database_url=database_url))
        try:
            rows = listing(svc, Actor.cli())
        finally:
            svc.db.dispose()
        for row in rows:
            click.echo(f"{row['email']}\t{row['role']}\t{','.join(row['sites'] or []) or '*'}")

    @users.command("remove-moderator")
    @click.argument("email")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def remove_moderator(email: str, yes: bool, config: str | None, database_url: str | None) -> None:
        """Remove a local moderator: their dashboard sessions end at their next request."""
        from townhall.commands.archive import services
        from townhall.service import moderators
        from townhall.service.errors import ServiceError

        if not yes:
            click.confirm(f"Remove the moderator {email!r}?", abort=True)
        svc = services(config, database_url, existing=True)
        try:
            moderators.remove_moderator_by_email(svc, email)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            svc.db.dispose()
        click.echo(f"moderator {email.strip()} removed; their dashboard sessions are over.")
