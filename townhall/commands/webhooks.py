"""`townhall webhooks …` (endpoints and their delivery log) and `townhall jobs …` (the background queue)."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from townhall.commands.archive import services
from townhall.commands.params import UTF8


def _db_options(fn: Any) -> Any:
    fn = click.option("--db", "database_url", help="Database URL.")(fn)
    return click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")(fn)


def register(group: click.Group) -> None:
    @group.group("webhooks")
    def webhooks_group() -> None:
        """Signed HTTP callbacks for a site's events (comment.created, account.sanctioned, …)."""

    @webhooks_group.command("add")
    @click.argument("url")
    @click.option("--site", type=UTF8, default=None, help="Site (default: the default site).")
    @click.option("--secret", default=None, help="Signing secret (default: a new random one, printed once).")
    @click.option("--event", "events", multiple=True, help="Only these events (repeat); default all.")
    @_db_options
    def add(url: str, site: str | None, secret: str | None, events: tuple[str, ...], config: str | None,
            database_url: str | None) -> None:
        """Send a site's events to URL."""
        from townhall.service import webhooks
        from townhall.service.errors import ServiceError

        svc = services(config, database_url, existing=True)
        try:
            hook = webhooks.add(svc, site or svc.settings.default_site, url, secret=secret, events=list(events))
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            svc.db.dispose()
        click.echo(f"webhook {hook['id']} for site {hook['site']}: {hook['url']} ({', '.join(hook['events'])})")
        if secret is None:
            click.echo(f"signing secret (shown once): {hook['secret']}")

    @webhooks_group.command("list")
    @click.option("--site", type=UTF8, default=None)
    @_db_options
    def list_(site: str | None, config: str | None, database_url: str | None) -> None:
        """Show a site's webhooks."""
        from townhall.service import webhooks

        svc = services(config, database_url, existing=True)
        try:
            for hook in webhooks.list_webhooks(svc, site or svc.settings.default_site):
                state = "active" if hook["active"] else "removed"
                click.echo(f"{hook['id']}\t{state}\t{hook['url']}\t{','.join(hook['events'])}")
        finally:
            svc.db.dispose()

    @webhooks_group.command("remove")
    @click.argument("webhook_id", type=int)
    @_db_options
    def remove(webhook_id: int, config: str | None, database_url: str | None) -> None:
        """Stop sending to a webhook (its delivery log is kept)."""
        from townhall.service import webhooks

        svc = services(config, database_url, existing=True)
        try:
            if not webhooks.remove(svc, webhook_id):
                raise click.ClickException(f"no webhook {webhook_id}")
        finally:
            svc.db.dispose()
        click.echo(f"webhook {webhook_id} removed")

    @webhooks_group.command("deliveries")
    @click.option("--site", type=UTF8, default=None)
    @click.option("--state", type=click.Choice(["pending", "retrying", "delivered", "failed"]), default=None)
    @click.option("--limit", default=50, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    @_db_options
    def deliveries(site: str | None, state: str | None, limit: int, as_json: bool, config: str | None,
                   database_url: str | None) -> None:
        """The delivery log, newest first."""
        from townhall.service import webhooks

        svc = services(config, database_url, existing=True)
        try:
            rows = webhooks.deliveries(svc, site or svc.settings.default_site, state=state, limit=limit)
        finally:
            svc.db.dispose()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        # cells as Text, never markup: a URL's "[id]" (a query's list key, an IPv6 host "[fd00::1]") and an
        # error's text are shown as they are, and a "[/]" in them cannot crash the table
        table = Table("id", "event", "url", "state", "attempts", "last status", "error")
        for r in rows:
            table.add_row(str(r["id"]), Text(r["event"]), Text(r["url"]), r["state"], str(r["attempts"]),
                          str(r["last_status"] or ""), Text(r["last_error"] or ""))
        Console().print(table)

    @group.group("jobs")
    def jobs_group() -> None:
        """The background job queue (webhook deliveries, e-mail, signal purges)."""

    @jobs_group.command("list")
    @click.option("--state", type=click.Choice(["queued", "running", "done", "failed"]), default=None)
    @click.option("--limit", default=50, show_default=True)
    @_db_options
    def jobs_list(state: str | None, limit: int, config: str | None, database_url: str | None) -> None:
        """Show jobs, newest first (failed ones with their last error)."""
        from townhall.service.jobs import JobQueue

        svc = services(config, database_url, existing=True)
        try:
            rows = JobQueue(svc).list(state=state, limit=limit)
        finally:
            svc.db.dispose()
        for r in rows:
            click.echo(f"{r['id']}\t{r['kind']}\t{r['state']}\tattempts {r['attempts']}/{r['max_attempts']}\t{r['last_error'] or ''}")

    @jobs_group.command("retry")
    @click.argument("job_ids", type=int, nargs=-1, required=True)
    @_db_options
    def jobs_retry(job_ids: tuple[int, ...], config: str | None, database_url: str | None) -> None:
        """Queue failed jobs again (a running server picks them up)."""
        from townhall.service.jobs import JobQueue

        svc = services(config, database_url, existing=True)
        try:
            queue = JobQueue(svc)
            missing = [j for j in job_ids if not queue.retry(j)]
        finally:
            svc.db.dispose()
        if missing:
            raise click.ClickException(f"not failed jobs: {', '.join(map(str, missing))}")
        click.echo(f"queued again: {', '.join(map(str, job_ids))}")

    @jobs_group.command("run")
    @_db_options
    def jobs_run(config: str | None, database_url: str | None) -> None:
        """Run every due job now, in this process, and exit."""
        from townhall.service.jobs import JobQueue
        from townhall.service.operations import handlers

        svc = services(config, database_url, existing=True)
        try:
            done = JobQueue(svc, handlers()).run_until_idle()
        finally:
            svc.db.dispose()
        click.echo(f"ran {done} job(s)")
