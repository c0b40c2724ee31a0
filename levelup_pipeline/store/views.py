"""SQL helpers every module of the store shares: Arrow tables shown to SQL for a block,
sync_meta upserts, the store's SQL files, row counts and the read of every block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from typing import Any

import duckdb


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[None]:
    """`data` (an Arrow table) readable as `name` inside the block, then unregistered.

    After an error aborts a transaction DuckDB refuses every call until ROLLBACK, unregister
    included: that refusal must not replace the error (the next registration replaces it)."""
    con.register(name, data)
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def put_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str | None]) -> None:
    """Upsert sync_meta values inside the caller's transaction (stored as text)."""
    for key, value in values.items():
        con.execute(
            "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
            " VALUES (?, ?, current_timestamp)",
            [key, None if value is None else str(value)],
        )


@cache
def sql_file(name: str) -> str:
    """Text of `store/sql/<name>`, read once per process (transforms run some per chunk)."""
    return (resources.files("levelup_pipeline.store") / "sql" / name).read_text(encoding="utf-8")


def _base_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    query = (
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [r[0] for r in con.execute(query).fetchall()]


def table_counts(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> dict[str, int]:
    """Row count of these tables (default: every base table of the file)."""
    tables = _base_tables(con) if tables is None else tables
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables}


def read_every_block(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int | None]]:
    """(rows, order-independent hash of every row) per base table: reading every column of
    every row makes DuckDB load, and checksum, every block in use."""
    query = 'SELECT count(*), bit_xor(hash("{0}")) FROM "{0}"'
    return {t: tuple(con.execute(query.format(t)).fetchall()[0]) for t in _base_tables(con)}
