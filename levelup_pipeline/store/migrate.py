"""Versioned schema migrations: migrations/NNN_name.sql applied in order, each in a transaction.

A migration that SQL alone cannot do (compressing stored JSON) adds a Python step, run after
its SQL in the same transaction (PYTHON_STEPS).

The applied version is recorded in sync_meta('schema_version'), so opening a store is cheap
once migrated, and a failed migration rolls back leaving the previous version intact.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import duckdb

from levelup_pipeline.store.errors import MigrationError
from levelup_pipeline.store.views import put_meta

SCHEMA_VERSION_KEY = "schema_version"
_NAME_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One SQL file: its version number, name and statements."""

    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """All migration files shipped with the package, sorted by version."""
    folder = resources.files("levelup_pipeline.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME_RE.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("Two migration files share a version number; fix the package.")
    return found


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file (0 for a new, empty database)."""
    # fetchall, not fetchone: duckdb 2 refuses new work while a result is unfinished
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sync_meta'"
        " AND table_schema = 'main'"
    ).fetchall()
    if not exists or not exists[0][0]:
        return 0
    rows = con.execute("SELECT value FROM sync_meta WHERE key = ?", [SCHEMA_VERSION_KEY]).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def latest_version() -> int:
    """The highest version this code knows about."""
    migrations = available_migrations()
    return migrations[-1].version if migrations else 0


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the file's version; returns the versions applied."""
    version = current_version(con)
    if version > latest_version():
        raise MigrationError(
            f"The database is at schema version {version}, newer than this LevelUp "
            f"({latest_version()}); upgrade LevelUp before syncing this player."
        )
    applied = []
    for migration in available_migrations():
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            step = _python_step(migration.version)
            if step is not None:
                step(con)
            put_meta(con, {SCHEMA_VERSION_KEY: str(migration.version)})
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(
                f"Migration {migration.version:03d}_{migration.name} failed and was rolled back: "
                f"{exc}"
            ) from exc
        applied.append(migration.version)
    return applied


# Python steps, imported only when a file needs them (the delta pre-check imports this module
# and must stay free of pyarrow): version -> "module:function", called with the connection.
PYTHON_STEPS: dict[int, str] = {
    4: "levelup_pipeline.store.raw_codec:compress_raw_match_json",
}


def _python_step(version: int) -> Callable[[duckdb.DuckDBPyConnection], None] | None:
    target = PYTHON_STEPS.get(version)
    if target is None:
        return None
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)
