"""SQL helpers every module of the store shares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[None]:
    """`data` readable as `name` in the block; a failed unregister never hides the error."""
    con.register(name, data)
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def put_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str | None]) -> None:
    """Upsert sync_meta values (as text) inside the caller's transaction."""
    for key, value in values.items():
        con.execute(
            "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
            " VALUES (?, ?, current_timestamp)",
            [key, None if value is None else str(value)],
        )


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM sync_meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def meta_json(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    """A sync_meta value's JSON; None when unset or unreadable."""
    try:
        return json.loads(get_meta(con, key) or "null")
    except ValueError:
        return None


def sql_path(path: Path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def merge_aliases(con: duckdb.DuckDBPyConnection, sightings: str) -> None:
    """Merge alias sightings: a SELECT of xuid, gamertag, first_seen, last_seen, source."""
    con.execute(sql_file("merge_aliases.sql").format(sightings=sightings))


@cache
def sql_file(name: str) -> str:
    """Text of `store/sql/<name>`, read once: transforms run some per chunk."""
    return (resources.files("levelup_pipeline.store") / "sql" / name).read_text(encoding="utf-8")


def _base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    query = (
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [r[0] for r in con.execute(query).fetchall()]


def table_counts(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> dict[str, int]:
    """Row count of these tables (default: every base table)."""
    tables = _base_tables(con) if tables is None else tables
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables}


def read_every_block(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int | None]]:
    """(rows, order-independent hash) per table: DuckDB loads and checksums every block."""
    query = 'SELECT count(*), bit_xor(hash("{0}")) FROM "{0}"'
    return {t: tuple(con.execute(query.format(t)).fetchall()[0]) for t in _base_tables(con)}
