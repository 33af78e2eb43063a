"""Backups and the `townhall doctor` checks (configuration, database, migrations, policies and models,
SMTP, background jobs). Nothing here changes the installation: the doctor does not migrate, and does not
open a SQLite file that is not there (that would create an empty one)."""

from __future__ import annotations

import os
import shlex
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from townhall.settings import Settings
from townhall.store.backup import check_source, revision_of, sqlite_backup
from townhall.store.db import Database
from townhall.store.pg_backup import DumpFailed, pg_dump


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # ok, warn, error, skip
    detail: str


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    bytes: int
    integrity: str
    revision: str | None
    restore: str  # how to put it back, for the operator


SQLITE_RESTORE = "Restore: stop Townhall, copy the file over townhall.db (remove townhall.db-wal and -shm), start again."


def postgres_restore(url: str, out: Path) -> str:
    """How to put a pg_dump file back, for the operator. ``--no-owner`` makes whoever runs pg_restore the owner of
    every table: run as the superuser (as an operator usually does), that left a database the user Townhall connects
    as may not read ("permission denied for table alembic_version"). So the restore names that user: it owns the new
    database (``createdb --owner``) and everything pg_restore creates (``--role``)."""
    user = make_url(url).username
    file = shlex.quote(str(out))
    if not user:  # libpq's default: the operating-system user Townhall runs as
        return (f"Restore, as the database user Townhall connects as: createdb NEW && pg_restore --no-owner --dbname=NEW "
                f"{file}, then point Townhall's database_url at NEW (or, with Townhall stopped: pg_restore --clean "
                f"--if-exists --no-owner --dbname=… {file}).")
    role = shlex.quote(user)
    return (f"Restore: createdb --owner={role} NEW && pg_restore --no-owner --role={role} --dbname=NEW {file}, then point "
            f"Townhall's database_url at NEW (or, with Townhall stopped: pg_restore --clean --if-exists --no-owner "
            f"--role={role} --dbname=… {file}); --role makes {user}, the user Townhall connects as, the tables' owner.")


def private_file(path: Path) -> None:
    """Create ``path`` empty, to be read and written by its owner only (0600, whatever the umask allows others):
    a backup or an export holds the sites' SSO secrets, the installation secret and readers' data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file that was there keeps its own mode otherwise
    finally:
        os.close(fd)


def migrate(settings: Settings) -> tuple[list[str], str | None]:
    """Bring the schema up to date: the revisions applied and the revision the database is at now."""
    db = Database(settings.resolved_database_url)
    try:
        applied = db.migrate()
        return applied, db.current_revision()
    finally:
        db.dispose()


def backup(settings: Settings, out: Path, progress: Callable[[int, int], None] | None = None) -> BackupResult:
    """A checked copy of the database in ``out``: SQLite's online backup of a SQLite file, ``pg_dump``'s custom
    format of a PostgreSQL database. Written beside as ``out.partial`` and renamed once checked, so a failed
    backup leaves no file that looks like one (nor one that refuses the next run)."""
    url = settings.resolved_database_url
    parsed = make_url(url)
    source = Path(parsed.database or "")
    if parsed.get_backend_name() == "sqlite":
        if not source.is_file():
            raise FileNotFoundError(f"no database at {source}")
        check_source(source)  # an empty file, or another program's: no "backup" that restores nothing
    if out.exists():
        raise FileExistsError(f"{out} exists; choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)  # SQLite and pg_dump write into it and keep its mode
    try:
        if parsed.get_backend_name() != "sqlite":
            return _postgres_backup(url, out, partial)
        integrity = sqlite_backup(source, partial, progress)
        result = BackupResult(out, partial.stat().st_size, integrity, revision_of(partial), SQLITE_RESTORE)
        if integrity == "ok":
            partial.replace(out)
        return result
    finally:  # with the copy's own journal files, left when a full disk stopped it in WAL mode
        for leftover in (partial, *(partial.with_name(partial.name + end) for end in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)


def _postgres_backup(url: str, out: Path, partial: Path) -> BackupResult:
    db = Database(url)
    try:
        revision = db.current_revision()  # before the dump: a migration meanwhile would be in the file too
    except OperationalError as exc:
        raise DumpFailed(f"cannot reach the database: {str(exc.orig).strip()}") from exc
    finally:
        db.dispose()
    pg_dump(url, partial)
    result = BackupResult(out, partial.stat().st_size, "ok", revision, postgres_restore(url, out))
    partial.replace(out)
    return result


def doctor(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    url = settings.resolved_database_url
    checks.append(Check("configuration", "ok", f"database {make_url(url).render_as_string(hide_password=True)}, "
                                               f"default site {settings.default_site!r}"))
    if not settings.public_url:
        checks.append(Check("public URL", "warn", "public_url is empty: links in e-mails point at http://localhost:8000"))
    missing = _missing_sqlite_file(url)
    if missing is not None:  # opening it would create an empty database (and its folder) at a mistyped path
        checks.append(Check("database", "error", f"no database at {missing}: check --db or the data folder "
                                                 "(`townhall migrate` creates a new one)"))
        return checks + [Check("migrations", "skip", "no database")] + _policy_checks(settings) + _smtp_check(settings)
    db = Database(url)
    try:
        try:
            with db.read() as conn:
                conn.exec_driver_sql("SELECT 1")
            checks.append(Check("database", "ok", f"{db.dialect} reachable"))
        except Exception as exc:  # noqa: BLE001 - report, do not raise
            checks.append(Check("database", "error", f"cannot connect: {str(exc).splitlines()[0]}"))  # no "(Background on …)" line
            return checks + [Check("migrations", "skip", "database unreachable")] + _policy_checks(settings) + _smtp_check(settings)
        try:
            current, head = db.current_revision(), db.head_revision()
        except SQLAlchemyError as exc:  # reachable, but refused: e.g. tables another user owns (a restore as superuser)
            refused = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            hint = (": the tables belong to another database user (restored without --role? see `townhall backup`'s "
                    "restore advice)") if "permission denied" in refused else ""
            checks.append(Check("migrations", "error", f"cannot read the schema version: {refused}{hint}"))
            return checks + _policy_checks(settings) + _smtp_check(settings)
        if current == head:
            checks.append(Check("migrations", "ok", f"at head ({head})"))
        elif current is not None and not db.knows_revision(current):
            checks.append(Check("migrations", "error", f"database at {current}, newer than this Townhall knows (its newest "
                                                       f"is {head}): a newer Townhall migrated it; run that version"))
        else:
            checks.append(Check("migrations", "error", f"database at {current or 'an empty schema'}, code expects {head}: run `townhall migrate`"))
        checks.extend(_policy_checks(settings))
        checks.extend(_smtp_check(settings))
        if current == head:
            checks.append(_jobs_check(db))
            checks.extend(_origins_check(db))
    finally:
        db.dispose()
    return checks


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file that is not there (None for one that is, or for PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).is_file() else parsed.database


def _policy_checks(settings: Settings) -> list[Check]:
    from townhall.service.core import PolicyBook, policy_resources

    resources = policy_resources(settings)
    book = PolicyBook(settings.policy, resources)
    try:
        policy = book.get()
    except Exception as exc:  # noqa: BLE001
        return [Check("policy and models", "error", str(exc))]
    loaded = f"{getattr(policy, 'source', 'policy')} loaded (version {getattr(policy, 'version', '?')})"
    return [Check("policy and models", "ok", loaded), _encoder_check(resources.classifier_model())]


def _encoder_check(model: object) -> Check:
    """The classifiers' second stage opens and answers (it loads lazily, so a server would find out late)."""
    encoder = getattr(model, "encoder", None)
    if encoder is None:
        return Check("classifier encoder", "skip", "the model has no second stage: the linear model judges alone")
    route_at = model.settings.route_at  # type: ignore[attr-defined]
    try:
        started = time.perf_counter()
        encoder.logits(["Townhall doctor: is the encoder there?"])
        elapsed = (time.perf_counter() - started) * 1000
    except Exception as exc:  # noqa: BLE001
        return Check("classifier encoder", "error", f"the encoder does not run: {exc}")
    if route_at >= 1.0:
        return Check("classifier encoder", "ok", f"loaded in {elapsed:.0f} ms but off (classifier_route_at {route_at})")
    return Check("classifier encoder", "ok", f"loaded and answered in {elapsed:.0f} ms; re-reads comments whose "
                                             f"word-model score reaches {route_at}")


def _smtp_check(settings: Settings) -> list[Check]:
    if not settings.smtp_url:
        return [Check("smtp", "skip", "smtp_url not set: no e-mail is sent")]
    url = urlparse(settings.smtp_url)
    host, port = url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25)
    try:
        cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with cls(host, port, timeout=5) as client:
            code, _ = client.noop()
        return [Check("smtp", "ok" if code == 250 else "warn", f"{host}:{port} answered {code}")]
    except (OSError, smtplib.SMTPException, socket.timeout) as exc:
        return [Check("smtp", "error", f"{host}:{port} unreachable: {exc}")]


def _origins_check(db: Database) -> list[Check]:
    """A warning where a site's allowed origins, saved before the dashboard checked them, hold an entry that is no
    origin (``www.news.example``): it matches no page, and a list of only such entries refuses every browser write
    from the publisher's own pages. No line where every entry is an origin."""
    from townhall.service.moderators import origin_refusal
    from townhall.store import content

    with db.read() as conn:
        sites = content.list_sites(conn)
    said = [f"site {s['id']}: {refusal.message}" for s in sites for entry in (s["origins"] or [])
            if str(entry).strip() and (refusal := origin_refusal(str(entry).strip())) is not None]
    if not said:
        return []
    more = f"; and {len(said) - 3} more" if len(said) > 3 else ""
    return [Check("site origins", "warn", "; ".join(said[:3]) + more + " (such an entry matches no page: "
                                          "correct it under Moderators & sites)")]


def _jobs_check(db: Database) -> Check:
    from townhall.store import jobs

    with db.read() as conn:
        failed = jobs.list_jobs(conn, state="failed", limit=1000)
    if failed:
        return Check("background jobs", "warn", f"{len(failed)} failed job(s): see `townhall jobs list --state failed`")
    return Check("background jobs", "ok", "no failed jobs")
