"""What every write of a player's file shares: the transaction, bulk Arrow inserts, sync_meta.

`StoreWriter` (store/writer.py) is built from one class per responsibility - raw writes,
reference data, model writes - each a subclass of `WriterCore`, so they share one connection
and one transaction rule: storage errors become the user's sentence (store/diagnosis.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from levelup_pipeline.store.arrow_pool import use_jemalloc_pool
from levelup_pipeline.store.diagnosis import environment_error, is_corruption, restore_hint
from levelup_pipeline.store.errors import CorruptDatabase
from levelup_pipeline.store.file_check import table_counts
from levelup_pipeline.store.views import put_meta, registered
from levelup_pipeline.transform.stages import rows_to_arrow

use_jemalloc_pool()  # the writer's Arrow tables: less memory kept (store/arrow_pool.py)

_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "match_stats": ("match_id",),
    "match_players": ("match_id", "xuid"),
    "medals": ("match_id", "name_id"),
    "personal_scores": ("match_id", "name_id"),
    "player_match_stats": ("match_id", "xuid"),
    "highlight_events": ("match_id", "event_index"),
    "xuid_aliases": ("xuid", "gamertag"),
    "ugc_assets": ("asset_id", "version_id"),
    "medal_metadata": ("name_id",),
}
_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
}


def now() -> datetime:
    """The time a write records (UTC)."""
    return datetime.now(UTC)


class WriterCore:
    """The connection of a writer (inside the file lock) and the plumbing of its writes."""

    def __init__(self, con: duckdb.DuckDBPyConnection, gamertag: str) -> None:
        self._con = con
        self._gamertag = gamertag
        self._schemas: dict[str, pa.Schema] = {}

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The read-write connection, for reads inside the lock (do not write through it)."""
        return self._con

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT, ROLLBACK on any error; storage errors become CorruptDatabase."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            mapped = environment_error(exc, self._gamertag)
            if mapped is not None:
                raise mapped from exc
            if is_corruption(exc) or isinstance(exc, duckdb.SerializationException):
                raise CorruptDatabase(
                    f"The database of {self._gamertag} could not be read or written ({exc}); "
                    f"{restore_hint(self._gamertag)}."
                ) from exc
            raise

    def _schema(self, table: str) -> pa.Schema:
        """Arrow schema of a table, read from DuckDB itself so the two never drift apart."""
        if table not in self._schemas:
            cols = self._con.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            self._schemas[table] = pa.schema(
                [(name, _ARROW_TYPES.get(dtype, pa.string())) for name, dtype in cols]
            )
        return self._schemas[table]

    def _arrow(self, table: str, rows: list[dict[str, Any]], columns: Sequence[str]) -> pa.Table:
        schema = self._schema(table)
        return rows_to_arrow(rows, pa.schema([schema.field(c) for c in columns]))

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        rows: list[dict[str, Any]],
        columns: Sequence[str],
        mode: str = "",
    ) -> int:
        """Bulk upsert (mode '' / 'OR REPLACE' / 'OR IGNORE') from a registered Arrow table;
        the last row per primary key wins (DuckDB refuses to upsert one key twice)."""
        key = _PRIMARY_KEYS.get(table)
        if key:
            rows = list({tuple(r.get(k) for k in key): r for r in rows}.values())
        if not rows:
            return 0
        return self._insert_arrow(con, table, self._arrow(table, rows, columns), mode)

    def _insert_arrow(
        self, con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, mode: str = ""
    ) -> int:
        """Bulk insert of an Arrow table whose columns are named like the table's."""
        if not data.num_rows:
            return 0
        view = f"_in_{table}"
        with registered(con, view, data):
            cols = ", ".join(data.column_names)
            con.execute(f"INSERT {mode} INTO {table} ({cols}) SELECT {cols} FROM {view}")
        return data.num_rows

    # ------------------------------------------------------------------ sync_meta
    def get_meta(self, key: str) -> str | None:
        """One sync_meta value (cursor, last sync, schema version...), or None."""
        # fetchall, not fetchone: duckdb 2 refuses new work while a result is unfinished
        rows = self._con.execute("SELECT value FROM sync_meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Upsert one sync_meta value (stored as text)."""
        with self._transaction() as con:
            put_meta(con, {key: value})

    def meta(self) -> dict[str, str | None]:
        """All sync_meta values."""
        return dict(self._con.execute("SELECT key, value FROM sync_meta ORDER BY key").fetchall())

    def table_counts(self) -> dict[str, int]:
        """Row count of every table in the file."""
        return table_counts(self._con)
