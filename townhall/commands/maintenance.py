"""`townhall backup` and `townhall doctor`."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn

from townhall.commands.server import load_settings

_MARKS = {"ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "error": "[red]✗[/red]", "skip": "[dim]-[/dim]"}


def register(group: click.Group) -> None:
    @group.command("backup")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    @click.option("--data-dir", help="Directory of the SQLite database.")
    def backup(out: Path, config: str | None, database_url: str | None, data_dir: str | None) -> None:
        """Copy the database while Townhall keeps running (PostgreSQL: with pg_dump) and check the copy."""
        from townhall.service.maintenance import backup as run_backup
        from townhall.store.pg_backup import DumpFailed, ToolMissing

        settings = load_settings(config, database_url=database_url, data_dir=data_dir)
        console = Console(stderr=True)
        try:
            with Progress(TextColumn("Backing up"), BarColumn(), console=console, transient=True) as bar:
                task = bar.add_task("backup", total=None)
                result = run_backup(settings, out, lambda done, total: bar.update(task, completed=done, total=total))
        except ToolMissing as exc:
            raise click.ClickException(f"PostgreSQL is backed up with pg_dump, and {exc}") from exc
        except DumpFailed as exc:
            raise click.ClickException(f"the backup failed, nothing was written: {exc}") from exc
        except sqlite3.Error as exc:  # the copy failed: a full disk, an I/O error (nothing is left behind)
            raise click.ClickException(f"the backup failed, nothing was written: {exc} (is the disk full?)") from exc
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        if result.integrity != "ok":
            raise click.ClickException(f"the copy failed its integrity check: {result.integrity}")
        click.echo(f"backup written to {result.path} ({result.bytes:,} bytes, schema {result.revision}, integrity ok)")
        click.echo(result.restore)

    @group.command("doctor")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    @click.option("--data-dir", help="Directory of the SQLite database.")
    def doctor(config: str | None, database_url: str | None, data_dir: str | None) -> None:
        """Check the configuration, database, migrations, policy and model files, SMTP and background jobs."""
        from townhall.service.maintenance import doctor as run_doctor

        settings = load_settings(config, database_url=database_url, data_dir=data_dir)
        console = Console(soft_wrap=True)  # one line per check, also in a file or a pipe
        checks = run_doctor(settings)
        for check in checks:
            # a detail quotes the operator's own files ("[/x]", "[[enforcement.ladder]]"): text, not markup
            console.print(f"{_MARKS[check.status]} [bold]{escape(check.name)}[/bold]: {escape(check.detail)}",
                          highlight=False)
        errors = [c for c in checks if c.status == "error"]
        console.print("[red]Townhall needs attention.[/red]" if errors else "[green]All checks passed.[/green]")
        if errors:
            sys.exit(1)
