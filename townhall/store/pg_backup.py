"""A consistent copy of a live PostgreSQL database with the server's own tools: ``pg_dump`` writes it (from one
snapshot, while Townhall keeps writing) and ``pg_restore --list`` reads it back as its check."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class ToolMissing(RuntimeError):
    """``pg_dump`` or ``pg_restore`` is not on the PATH (Debian: package postgresql-client)."""


class DumpFailed(RuntimeError):
    """pg_dump or the check of its file failed; the message is the tool's own."""


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL for ``url`` without its password, and the environment that carries the password instead
    (a password on the command line is visible to every user of the host in ``ps``)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed (Debian and Ubuntu: apt install postgresql-client)")
    return found


def pg_dump(url: str, target: Path, timeout: float | None = None) -> None:
    """Write the database at ``url`` to ``target`` in pg_dump's custom format, then read the file's table of
    contents back with pg_restore; raises :class:`DumpFailed` with the tool's message."""
    dump, restore = _tool("pg_dump"), _tool("pg_restore")
    dsn, env = libpq_target(url)
    done = subprocess.run([dump, "--format=custom", "--no-password", f"--file={target}", f"--dbname={dsn}"],
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise DumpFailed(done.stderr.strip() or f"pg_dump exited with status {done.returncode}")
    listed = subprocess.run([restore, "--list", str(target)], capture_output=True, text=True, timeout=timeout,
                            check=False)
    if listed.returncode != 0:
        raise DumpFailed(f"pg_restore cannot read the file pg_dump wrote: {listed.stderr.strip()}")
    if not any(" TABLE DATA " in line for line in listed.stdout.splitlines()):
        raise DumpFailed("the database holds no tables: check --db (is it Townhall's?)")
