"""Two helpers every writer of a player's file shares: Arrow tables shown to DuckDB's SQL for
the length of a block, and sync_meta upserts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> Iterator[None]:
    """`data` (an Arrow table) readable as `name` inside the block, then unregistered.

    After an error aborts a transaction, DuckDB refuses every call until ROLLBACK, unregister
    included: that refusal must not replace the error that caused it (an out-of-memory or a
    full disk would surface as "Current transaction is aborted"). The view left behind is
    replaced by the next registration of the name."""
    con.register(name, data)
    try:
        yield
    except BaseException:
        try:
            con.unregister(name)
        except duckdb.Error:
            pass
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
