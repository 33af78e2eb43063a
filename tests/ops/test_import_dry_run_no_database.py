"""`townhall import disqus|wordpress|isso FILE --dry-run` promises to change nothing, yet given a SQLite path with
no database (a mistyped --db, a data folder not made yet) it created one there — the folder too — and reported
every comment of the archive as new against that empty installation. A dry run now refuses such a path, as
`townhall export` does ("no database at …; check --db or the data folder"), and leaves no file behind. The import
itself (no --dry-run) still starts a new installation at a new path, as before.

Likewise a dry run on a database whose schema was behind this Townhall's migrated it (every command starts by
migrating), perhaps under a server of the older version still running on it; a dry run now refuses such a schema,
naming both revisions, and the import itself still migrates.

Found by an audit (2026-11-28): the refusal tests failed before the fix (exit 0, the file made, the schema migrated).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from tests.ops.conftest import POLICY
from tests.ops.test_import import _isso_db
from townhall.app import Townhall
from townhall.cli import build_cli
from townhall.store.db import Database, _alembic_config

FIXTURES = Path(__file__).parent / "fixtures"


def _archive(kind: str, tmp_path: Path) -> Path:
    if kind == "isso":
        _isso_db(tmp_path / "isso.db")
        return tmp_path / "isso.db"
    return FIXTURES / f"{kind}.xml"


def _import(*args: str) -> object:
    return CliRunner(env={"TOWNHALL_POLICY": POLICY, "COLUMNS": "400"}).invoke(build_cli(), ["import", *args])


@pytest.mark.parametrize("kind", ["disqus", "wordpress", "isso"])
def test_a_dry_run_does_not_create_a_database_at_a_new_path(tmp_path: Path, kind: str) -> None:
    missing = tmp_path / "typo" / "townhall.db"
    done = _import(kind, str(_archive(kind, tmp_path)), "--dry-run", "--db", f"sqlite:///{missing}")
    assert not missing.exists() and not missing.parent.exists(), f"the dry run made a database: {done.output!r}"
    assert done.exit_code == 1, done.output
    assert done.output.strip().splitlines()[-1] == f"Error: no database at {missing}; check --db or the data folder"


def test_the_import_itself_still_starts_a_new_installation_at_a_new_path(tmp_path: Path) -> None:
    new = tmp_path / "new" / "townhall.db"
    done = _import("disqus", str(FIXTURES / "disqus.xml"), "--json", "--db", f"sqlite:///{new}")
    assert done.exit_code == 0, done.output
    with sqlite3.connect(new) as conn:
        assert conn.execute("SELECT count(*) FROM comments").fetchone()[0] > 0


def test_a_dry_run_on_an_existing_installation_writes_nothing(make_app: Any, sqlite_url: str) -> None:
    """Not an audit finding (this passed before the fix): the database holds the same rows before and after."""
    app: Townhall = make_app(sqlite_url, policy=POLICY)
    path = sqlite_url.removeprefix("sqlite:///")

    def dump() -> list[str]:
        with sqlite3.connect(path) as conn:
            return list(conn.iterdump())

    before = dump()
    done = _import("disqus", str(FIXTURES / "disqus.xml"), "--dry-run", "--json", "--db", app.settings.database_url)
    assert done.exit_code == 0, done.output
    assert '"comments_new": 9' in done.output  # it did read the archive and compare it with the database
    assert dump() == before


def _revision(url: str) -> str | None:
    db = Database(url)
    try:
        return db.current_revision()
    finally:
        db.dispose()


def test_a_dry_run_does_not_migrate_an_older_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'older.db'}"
    db, cfg = Database(url), _alembic_config(url)
    head = db.head_revision()
    assert head is not None
    older = ScriptDirectory.from_config(cfg).get_revision(head).down_revision
    try:
        with db.write_engine.begin() as conn:  # the schema a Townhall one release older left
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, str(older))
    finally:
        db.dispose()
    done = _import("disqus", str(FIXTURES / "disqus.xml"), "--dry-run", "--db", url)
    assert _revision(url) == older, f"the dry run migrated the database: {done.output!r}"
    assert done.exit_code == 1, done.output
    said = done.output.strip().splitlines()[-1]
    assert said.startswith(f"Error: the database's schema is at revision {older}, not this Townhall's {head}") and \
        "run `townhall migrate` first" in said, said
    done = _import("disqus", str(FIXTURES / "disqus.xml"), "--db", url)  # the import itself migrates, as before
    assert done.exit_code == 0, done.output
    assert _revision(url) == head
