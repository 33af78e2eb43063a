"""`townhall serve` and `townhall migrate`."""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from townhall.settings import Settings, SettingsError

# On SIGTERM or Ctrl-C, requests in flight get this long to finish; then uvicorn cancels what is left, the
# live-update streams above all, which would otherwise keep a stopping server up for as long as readers stay.
GRACEFUL_SHUTDOWN_SECONDS = 5


def load_settings(config: str | None, **overrides: Any) -> Settings:
    try:
        return Settings.load(config, **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def settings_environ(settings: Settings) -> dict[str, str]:
    """Every setting as a TOWNHALL_* variable, so worker processes get the command line's settings too."""
    from townhall.settings import SPECS

    def text(value: object) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return {f"TOWNHALL_{spec.name.upper()}": text(getattr(settings, spec.name)) for spec in SPECS
            if getattr(settings, spec.name) is not None}  # unset stays unset


UVICORN_TRUSTED_PROXIES = "127.0.0.1,::1"
"""uvicorn's own default for the proxies whose X-Forwarded-For it believes (``FORWARDED_ALLOW_IPS``)."""


def trusted_proxies(configured: str | None) -> str:
    """The proxies whose ``X-Forwarded-For`` counts (``FORWARDED_ALLOW_IPS``, else uvicorn's default), each IPv4
    address or network also in its IPv4-mapped IPv6 form (``127.0.0.1`` and ``::ffff:127.0.0.1``). A dual-stack
    socket (``--host ::``; uvicorn's workers bind one) sees an IPv4 peer as ``::ffff:a.b.c.d``, and uvicorn compares
    addresses as written: a proxy on 127.0.0.1 was not trusted, and every reader behind it was the proxy (one
    rate-limit budget, one network for ban-evasion evidence, one live-stream allowance for the whole site)."""
    entries = [e.strip() for e in (configured if configured is not None else UVICORN_TRUSTED_PROXIES).split(",")]
    entries = [e for e in entries if e]
    if "*" in entries:
        return "*"
    mapped: list[str] = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:  # a name or a Unix socket: as written
            continue
        if isinstance(network, ipaddress.IPv4Network):
            base = ipaddress.IPv6Address(f"::ffff:{network.network_address}")
            twin = ipaddress.IPv6Network((base, 96 + network.prefixlen))
            mapped.append(str(twin) if "/" in entry else str(base))
    return ",".join(dict.fromkeys(entries + mapped))


def _one_line(exc: BaseException) -> str:
    """The database's own words without SQLAlchemy's "[SQL: …]" and "(Background on this error at: …)" lines."""
    text = str(exc)
    return text.splitlines()[0] if isinstance(exc, SQLAlchemyError) and text else text


def register(group: click.Group) -> None:
    @group.command()
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
    @click.option("--db", "database_url", help="Database URL (default: SQLite under ./townhall-data).")
    @click.option("--policy", help="Policy file of every site (default: the packaged house rules).")
    @click.option("--data-dir", help="Directory for the SQLite database.")
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
                  help="Worker processes (PostgreSQL only).")
    def serve(config: str | None, host: str, port: int, database_url: str | None, policy: str | None,
              data_dir: str | None, workers: int) -> None:
        """Run Townhall (with the demo article at /demo unless the setting demo is off)."""
        import uvicorn

        from townhall.app import create_app
        from townhall.policy import PolicyError
        from townhall.web.factory import configure_logging, tune_collector
        from townhall.web.protocol import HeadDeadlineProtocol

        console = Console(stderr=True, soft_wrap=True)  # a log line is one line, however wide the terminal
        settings = load_settings(config, database_url=database_url, policy=policy, data_dir=data_dir)
        configure_logging(settings.log_level)
        if workers > 1 and not settings.resolved_database_url.startswith("postgresql"):
            raise click.ClickException("Several workers need PostgreSQL (--db postgresql+psycopg://…); SQLite runs one process.")
        try:
            app = create_app(settings)  # loads and checks the policy files: a wrong one stops here
        except PolicyError as exc:  # one line, file:line: message, as `townhall policy check` prints it
            click.echo(f"Townhall could not start: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - print for people, not a traceback
            console.print(f"[red]Townhall could not start:[/red] {escape(_one_line(exc))}")
            sys.exit(1)
        demo = f" — demo article at http://{host}:{port}/demo" if settings.demo else ""  # /demo is 404 without it
        console.print(f"Townhall on [bold]http://{escape(host)}:{port}/[/bold]{demo}")
        # text, not markup: a "[/]" in a path is part of it
        console.print(f"Database: {app.services.db.dialect}; policy: {app.services.policies.get().source}", markup=False)
        proxies = trusted_proxies(os.environ.get("FORWARDED_ALLOW_IPS"))
        if workers > 1:
            app.close()
            os.environ.update(settings_environ(settings))  # workers rebuild these settings from TOWNHALL_*
            uvicorn.run("townhall.web.factory:app", host=host, port=port, workers=workers, factory=True,
                        log_level=settings.log_level, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
                        http=HeadDeadlineProtocol, forwarded_allow_ips=proxies)
        else:
            tune_collector()
            uvicorn.run(app, host=host, port=port, log_level=settings.log_level,
                        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS, http=HeadDeadlineProtocol,
                        forwarded_allow_ips=proxies)

    @group.command()
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def migrate(config: str | None, database_url: str | None) -> None:
        """Bring the database schema up to date."""
        from townhall.service.maintenance import migrate as migrate_schema

        settings = load_settings(config, database_url=database_url)
        try:
            applied, current = migrate_schema(settings)
        except Exception as exc:  # noqa: BLE001
            raise click.ClickException(f"migration failed: {_one_line(exc)}") from exc
        click.echo(f"applied: {', '.join(applied)}" if applied else f"up to date at {current}")
