"""`townhall erase` and `townhall privacy …`: readers' data export and erasure, signal retention."""

from __future__ import annotations

import json

import click

from townhall.commands.archive import services
from townhall.commands.params import UTF8


def register(group: click.Group) -> None:
    @group.command("erase")
    @click.option("--site", type=UTF8, default=None, help="Site (default: the default site).")
    @click.option("--subject", required=True, help="The reader's SSO subject (or import:… / guest:… subject).")
    @click.option("--mode", type=click.Choice(["remove", "anonymise"]), default=None,
                  help="What happens to their comments (default: the site's erasure policy).")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def erase(site: str | None, subject: str, mode: str | None, yes: bool, config: str | None, database_url: str | None) -> None:
        """Erase a reader's personal data (their right to erasure)."""
        from townhall.service import privacy
        from townhall.service.errors import ServiceError

        svc = services(config, database_url, existing=True)
        try:
            # the reader first: a mistyped subject or site is said at once, not after the operator confirmed
            account_id = privacy.account_id_of(svc, site or svc.settings.default_site, subject)
            if not yes:
                click.confirm(f"Erase the reader {subject!r}? This cannot be undone", abort=True)
            result = privacy.erase_account(svc, account_id, actor="cli", mode=mode)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            svc.db.dispose()
        click.echo(f"erased account {result['account_id']}: {result['comments']} comment(s) {result['mode']}d")

    @group.group("privacy")
    def privacy_group() -> None:
        """Readers' data: export, the site's erasure policy, and the purge of old abuse signals."""

    @privacy_group.command("export")
    @click.option("--site", type=UTF8, default=None)
    @click.option("--subject", required=True)
    @click.option("--config", type=click.Path(dir_okay=False))
    @click.option("--db", "database_url")
    def export(site: str | None, subject: str, config: str | None, database_url: str | None) -> None:
        """Print everything held about one reader, as JSON."""
        from townhall.service import privacy
        from townhall.service.errors import NotFound

        svc = services(config, database_url, existing=True)
        try:
            try:
                account_id = privacy.account_id_of(svc, site or svc.settings.default_site, subject)
            except NotFound:
                raise click.ClickException("no account with this subject on this site") from None
            click.echo(json.dumps(privacy.export_account(svc, account_id), indent=2, ensure_ascii=False))
        finally:
            svc.db.dispose()

    @privacy_group.command("mode")
    @click.argument("mode", type=click.Choice(["remove", "anonymise"]))
    @click.option("--site", type=UTF8, default=None)
    @click.option("--config", type=click.Path(dir_okay=False))
    @click.option("--db", "database_url")
    def mode_cmd(mode: str, site: str | None, config: str | None, database_url: str | None) -> None:
        """Set what erasure does to a reader's comments on a site: remove them, or keep them anonymised."""
        from townhall.service import privacy

        svc = services(config, database_url, existing=True)
        try:
            privacy.set_erasure_mode(svc, site or svc.settings.default_site, mode)
        finally:
            svc.db.dispose()
        click.echo(f"erasure on site {site or svc.settings.default_site}: {mode}")

    @privacy_group.command("purge-signals")
    @click.option("--config", type=click.Path(dir_okay=False))
    @click.option("--db", "database_url")
    def purge(config: str | None, database_url: str | None) -> None:
        """Forget IP, user-agent and device hashes older than signal_retention_days (also runs daily)."""
        from townhall.service import privacy

        svc = services(config, database_url, existing=True)
        try:
            counts = privacy.purge_signals(svc)
        finally:
            svc.db.dispose()
        click.echo(f"purged signals of {counts['comments']} comment(s) and {counts['accounts']} account(s) "
                   f"older than {svc.settings.signal_retention_days:g} days; finished the erasure of "
                   f"{counts['erasures_completed']} account(s) whose sanction is over")
