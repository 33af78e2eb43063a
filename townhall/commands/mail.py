"""`townhall mail digest` and `townhall mail test`."""

from __future__ import annotations

import click

from townhall.commands.archive import services
from townhall.commands.params import UTF8


def register(group: click.Group) -> None:
    @group.group("mail")
    def mail_group() -> None:
        """E-mail: the moderators' digest and a test message."""

    @mail_group.command("digest")
    @click.option("--site", type=UTF8, default=None, help="Site (default: the default site).")
    @click.option("--to", "to", multiple=True, help="Recipient (repeat); default: the site's moderator users.")
    @click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it.")
    @click.option("--config", type=click.Path(dir_okay=False))
    @click.option("--db", "database_url")
    def digest(site: str | None, to: tuple[str, ...], dry_run: bool, config: str | None, database_url: str | None) -> None:
        """Send the moderators what is waiting in their queues (run it from cron)."""
        from townhall.service import mail

        svc = services(config, database_url, existing=True)  # a mistyped path: say so, not "nothing is waiting"
        try:
            if not dry_run and not mail.enabled(svc):
                raise click.ClickException(mail.NOT_CONFIGURED)
            result = mail.digest(svc, site or svc.settings.default_site, to=list(to) or None, dry_run=dry_run)
        except OSError as exc:
            raise click.ClickException(f"could not send: {exc}") from exc
        finally:
            svc.db.dispose()
        if dry_run:
            click.echo(result["text"])
        elif result["sent"]:
            click.echo(f"digest sent to {', '.join(result['recipients'])}")
        else:
            click.echo("nothing sent: " + ("no recipients" if not result["recipients"] else "nothing is waiting"))

    @mail_group.command("test")
    @click.option("--to", required=True)
    @click.option("--config", type=click.Path(dir_okay=False))
    @click.option("--db", "database_url")
    def test(to: str, config: str | None, database_url: str | None) -> None:
        """Send a test message through the configured SMTP server."""
        from townhall.service import mail

        svc = services(config, database_url)
        try:
            if not mail.enabled(svc):
                raise click.ClickException(mail.NOT_CONFIGURED)
            mail.send(svc, [to], "Townhall test message", "If you can read this, Townhall can send e-mail.\n")
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001
            raise click.ClickException(f"could not send: {exc}") from exc
        finally:
            svc.db.dispose()
        click.echo(f"sent to {to}")
