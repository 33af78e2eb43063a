"""`townhall import disqus|wordpress|isso|townhall FILE` and `townhall export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from townhall.commands.params import UTF8
from townhall.commands.server import load_settings


def services(config: str | None, database_url: str | None, *, existing: bool = False, migrate: bool = True) -> Any:
    """The application's services; ``existing``: refuse a SQLite file that is not there yet (an export from
    a mistyped path would otherwise create an empty installation and export nothing, successfully); ``migrate``
    False: refuse a schema other than this Townhall's newest rather than migrate it (a dry run changes nothing)."""
    from sqlalchemy.engine import make_url

    from townhall.service.core import build_services

    settings = load_settings(config, database_url=database_url, troll_interval_seconds=0)
    url = make_url(settings.resolved_database_url)
    if existing and url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise click.ClickException(f"no database at {url.database}; check --db or the data folder")
    if not migrate:
        _require_current_schema(settings.resolved_database_url)
    try:
        svc = build_services(settings, migrate=migrate)
    except Exception as exc:  # noqa: BLE001 - print for people
        raise click.ClickException(f"cannot open the database: {exc}") from exc
    if not svc.db.is_sqlite:
        # What a command changes that open widgets show live (an announcement, a thread closed or premoderated, a
        # comment moderated, a sanction) reaches the readers of every running server at once, as a change made
        # through the API does: the command sends on the servers' relay (NOTIFY) and listens to nothing. On SQLite
        # the one server sees it at its readers' next read (its site cache: within cache_seconds).
        from townhall.store.notify import PgRelay

        relay = PgRelay(svc.db.url, svc.events.deliver)
        svc.events.relay = relay
        svc.db.on_dispose(relay.close)
    return svc


def _require_current_schema(url: str) -> None:
    """Refuse a database whose schema is not at this Townhall's newest revision, naming both, instead of migrating
    it: a dry run that migrated would change the database, perhaps under a server of the older version still
    running on it. A schema a newer Townhall made is refused as every command refuses it (SchemaTooNew)."""
    from townhall.store.db import Database, SchemaTooNew

    db = Database(url)
    try:
        current, head = db.current_revision(), db.head_revision()
        if current is not None and current != head and not db.knows_revision(current):
            raise SchemaTooNew(current, head)
    finally:
        db.dispose()
    if current != head:
        raise click.ClickException(f"the database's schema is at revision {current or '(none)'}, not this Townhall's "
                                   f"{head}; a dry run changes nothing, so it does not migrate it: run `townhall migrate` first")


def _read_archive(kind: str, path: Path, err: Console) -> Any:
    """The archive, read piece by piece into its spool (a progress bar shows the bytes read). A file that is
    not an archive of ``kind`` (no record of it at all) is refused in one line."""
    from townhall.service.errors import Invalid
    from townhall.service.importers import disqus, isso, wordpress

    if kind == "isso":
        try:
            return isso.read(path)
        except Invalid as exc:
            raise click.ClickException(exc.message) from exc
    reader = disqus.read_file if kind == "disqus" else wordpress.read_file
    try:
        with Progress(TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task(f"Reading {path.name}", total=path.stat().st_size)
            return reader(path, progress=lambda n: bar.advance(task, n))
    except Invalid as exc:
        raise click.ClickException(f"{path}: {exc.message}") from exc


def _print_report(console: Console, data: dict[str, Any]) -> None:
    """The import's report for people. Every value is escaped: the examples name a comment by its place in the
    archive (``<post dsq:id=…>``, the archive's own ids), which rich would otherwise read as markup (an id with
    ``[/]`` crashed the report after the import had run; ``[red]`` restyled the line and was gone from it)."""
    verb = "Would import" if data["dry_run"] else "Imported"
    console.print(f"[bold]{verb}[/bold] from {escape(str(data['source']))} into site [bold]{escape(str(data['site']))}[/bold]: "
                  f"{data['comments_new']} comments, {data['threads_new']} threads, {data['accounts_new']} accounts "
                  f"({data['comments_already_imported']} of {data['comments_in_archive']} comments were already imported).")
    if data.get("accounts_joined_to_readers"):
        console.print(f"{data['accounts_joined_to_readers']} readers who had signed in before took over the imported "
                      "history with their address.")
    if data["statuses"]:
        console.print("Kept statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(data["statuses"].items())), markup=False)
    if data["policy_would"]:
        console.print("The house rules (report only) would have: "
                      + ", ".join(f"{k} {v}" for k, v in sorted(data["policy_would"].items())), markup=False)
    for ex in data["policy_examples"][:10]:
        console.print(f"  {ex['position']}: kept {ex['kept_status']}, policy would {ex['policy_would']} "
                      f"({', '.join(ex['rules']) or '-'})", markup=False)
    if data["problems"]:
        console.print(f"[yellow]{len(data['problems'])} problem(s) in the archive (those records were skipped or adjusted):[/yellow]")
        for problem in data["problems"]:
            console.print(f"  {problem}", markup=False)


def register(group: click.Group) -> None:
    @group.group("import")
    def import_group() -> None:
        """Import comments from Disqus, WordPress, Isso or a Townhall export (re-running adds nothing twice)."""

    def source_command(kind: str, help_text: str) -> None:
        @import_group.command(kind, help=help_text)
        @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
        @click.option("--site", type=UTF8, default=None, help="Site to import into (default: the default site).")
        @click.option("--dry-run", is_flag=True, help="Report what would be imported; change nothing.")
        @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
        @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
        @click.option("--db", "database_url", help="Database URL.")
        def run(file: Path, site: str | None, dry_run: bool, as_json: bool, config: str | None,
                database_url: str | None) -> None:
            from townhall.service.importing import run_import

            err = Console(stderr=True)
            archive = _read_archive(kind, file, err)
            try:
                # a dry run changes nothing: a path with no database is refused, not made a new, empty one
                # (whose report would count every comment as new), and so is a schema to migrate; the import
                # itself still starts a new installation there, or migrates
                svc = services(config, database_url, existing=dry_run, migrate=not dry_run)
                try:
                    # the file's name as text: a "[red]" in it is part of the name, not a colour
                    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=err, transient=True) as bar:
                        task = bar.add_task(f"{'Checking' if dry_run else 'Importing'} {file.name}", total=archive.prepare())
                        report = run_import(svc, archive, site or svc.settings.default_site, dry_run=dry_run,
                                            progress=lambda n: bar.advance(task, n))
                except Exception as exc:  # noqa: BLE001
                    raise click.ClickException(str(exc)) from exc
                finally:
                    svc.db.dispose()
            finally:
                archive.close()
            data = report.to_dict()
            if as_json:
                click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            else:
                _print_report(Console(soft_wrap=True), data)  # one line per finding, also in a file or a pipe

    source_command("disqus", "Import a Disqus XML export.")
    source_command("wordpress", "Import a WordPress export (WXR).")
    source_command("isso", "Import an Isso comment database (SQLite file).")

    @import_group.command("townhall")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def import_townhall(file: Path, config: str | None, database_url: str | None) -> None:
        """Import a Townhall export (JSON Lines) into this installation (ids are remapped)."""
        from townhall.service.archive import ArchiveError, import_jsonl

        svc = services(config, database_url)
        try:
            with file.open(encoding="utf-8-sig") as fh:  # a byte order mark, from an editor, is not a record
                counts = import_jsonl(svc, fh)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        except UnicodeDecodeError as exc:  # all or nothing: the import's transaction rolled back
            raise click.ClickException(f"{file} is not UTF-8 text ({exc.reason}); Townhall writes its exports in UTF-8") from exc
        finally:
            svc.db.dispose()
        click.echo("imported: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

    @group.command("export")
    @click.option("--site", type=UTF8, default=None, help="Site to export (default: the default site).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
    @click.option("--config", type=click.Path(dir_okay=False), help="TOML settings file.")
    @click.option("--db", "database_url", help="Database URL.")
    def export(site: str | None, output: Path | None, config: str | None, database_url: str | None) -> None:
        """Export a site as JSON Lines: threads, comments, accounts, decisions, actions, appeals, notes, audit log."""
        from townhall.service.archive import export_jsonl
        from townhall.service.maintenance import private_file

        svc = services(config, database_url, existing=True)
        try:
            if output is None:
                counts = export_jsonl(svc, site or svc.settings.default_site, sys.stdout)
            else:  # written beside, then moved: a failed export leaves no file that looks like one
                partial = output.with_name(output.name + ".partial")
                try:
                    private_file(partial)  # secrets and readers' data: for its owner's eyes only (0600)
                    with partial.open("w", encoding="utf-8") as fh:
                        counts = export_jsonl(svc, site or svc.settings.default_site, fh)
                    partial.replace(output)
                finally:
                    partial.unlink(missing_ok=True)
        except Exception as exc:  # noqa: BLE001
            raise click.ClickException(str(exc)) from exc
        finally:
            svc.db.dispose()
        Console(stderr=True).print("exported: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
