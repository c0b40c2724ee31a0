"""migrations/NNN_name.sql applied in order, one transaction each; no pyarrow: the pre-check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from levelup_pipeline.store.errors import MigrationError
from levelup_pipeline.store.views import get_meta, put_meta

SCHEMA_VERSION_KEY = "schema_version"
_NAME_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, order=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    folder = resources.files("levelup_pipeline.store") / "migrations"
    found = sorted(
        Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (match := _NAME_RE.match(entry.name))
    )
    if len({m.version for m in found}) != len(found):
        raise MigrationError("Two migration files share a version number; fix the package.")
    return found


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file (0 for a new database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'sync_meta'"
        " AND table_schema = 'main'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return int(get_meta(con, SCHEMA_VERSION_KEY) or 0)


def latest_version() -> int:
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
    pending = [m for m in available_migrations() if m.version > version]
    for migration in pending:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            if migration.version == 4:  # compressing stored JSON takes Python
                from levelup_pipeline.store.raw_codec import compress_raw_match_json

                compress_raw_match_json(con)
            put_meta(con, {SCHEMA_VERSION_KEY: str(migration.version)})
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(
                f"Migration {migration.version:03d}_{migration.name} failed and was rolled back: "
                f"{exc}"
            ) from exc
    return [m.version for m in pending]
