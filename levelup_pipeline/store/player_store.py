"""PlayerStore: one DuckDB file per player, the only code that writes it.

Writers are serialised by a file lock beside the database (stats.duckdb.lock), so a Dagster
run, the CLI and a backup never write the same file at once. Every write method is one bulk
statement set in one transaction (Arrow tables registered in DuckDB, never row by row) and is
idempotent: replaying a sync never duplicates a row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import filelock
import pyarrow as pa
import pyarrow.compute as pc

from levelup_pipeline.store import imported as imported_rows
from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.arrow_pool import use_jemalloc_pool
from levelup_pipeline.store.diagnosis import (
    environment_error,
    is_corruption,
    restore_hint,
    storage_error,
)
from levelup_pipeline.store.diagnosis import is_lock_error as _is_lock_error
from levelup_pipeline.store.diagnosis import missing_bytes as _missing_bytes
from levelup_pipeline.store.errors import (
    CorruptDatabase,
    MigrationError,
    StoreBusy,
    StoreError,
    StoreNotFound,
)
from levelup_pipeline.store.file_check import (
    base_tables,
    check_unless_known,
    file_state,
    forget_state,
    remember_state,
)
from levelup_pipeline.store.migrate import apply_migrations
from levelup_pipeline.store.paths import lock_path, player_db_path, validate_gamertag
from levelup_pipeline.store.raw_codec import dump_json as _dump
from levelup_pipeline.store.raw_codec import encode_column, film_columns
from levelup_pipeline.store.restore_journal import restore_journal
from levelup_pipeline.store.shared_lock import READ, WRITE, held_here, mark_held, shared_lock
from levelup_pipeline.store.sql_files import sql_file as _sql
from levelup_pipeline.store.views import registered
from levelup_pipeline.transform import aliases as t_aliases
from levelup_pipeline.transform import match_stats as t_match
from levelup_pipeline.transform import metadata as t_meta
from levelup_pipeline.transform import stages
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.modes import LIFECYCLES, mode_category

DEFAULT_SESSION_GAP_MINUTES = 45
# DuckDB's memory limit while matches are transformed (see StoreWriter._bulk_settings): the
# working set is a few chunks of films (FILM_BATCH_BYTES of text parsed at a time), not the
# history, so a fixed budget holds whatever the history length.
TRANSFORM_MEMORY_LIMIT = "192MB"
_NO_AUTO_CHECKPOINT = "1TB"
# Cores the transform's own three threads (stats, film, write) keep busy: DuckDB's worker
# threads get the rest, at least one (see StoreWriter._bulk_settings).
_TRANSFORM_THREADS = 3
SESSION_GAP_KEY = "session_gap_minutes"

use_jemalloc_pool()  # the writer's Arrow tables: less memory kept (store/arrow_pool.py)

# Tables rebuilt from raw_match_json by transform_pending (aliases only for source 'film').
DERIVED_MATCH_TABLES = (
    "match_stats",
    "match_players",
    "medals",
    "personal_scores",
    "player_match_stats",
    "highlight_events",
    "suspect_matches",
)
AGGREGATE_TABLES = ("mv_map_stats", "mv_mode_category_stats", "mv_session_stats", "mv_global_stats")
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
_LIFECYCLE_CODES = {label: code for code, label in LIFECYCLES.items()}
# Drops the transformed marks (migration 005) of the matches in {source}: written raw
# matches are transformed again, archived ones take their mark along (store/archive.py).
UNMARK_TRANSFORMED = (
    "DELETE FROM transformed_matches WHERE match_id IN (SELECT match_id FROM {source})"
)


_restore_hint = restore_hint  # the name other modules import


def _merge_aliases(con: duckdb.DuckDBPyConnection, sightings: str) -> None:
    """Merge alias sightings (a SELECT of xuid, gamertag, first_seen, last_seen, source)."""
    con.execute(_sql("merge_aliases.sql").format(sightings=sightings))


def _close(con: duckdb.DuckDBPyConnection, gamertag: str, failing: bool) -> None:
    """Close a writer's connection (this checkpoints the WAL: the disk may be full by now).
    While an error is already on its way out, a failing close must not replace it."""
    try:
        con.close()
    except duckdb.Error as exc:
        if failing:
            return
        mapped = environment_error(exc, gamertag)
        if mapped is None:
            raise
        raise mapped from exc


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class RawMatch:
    """One match as fetched from the API, stored verbatim (the source of truth)."""

    match_id: str
    stats: dict[str, Any]
    skill: dict[str, Any] | None = None
    highlights: list[dict[str, Any]] | None = None
    skill_status: str | None = None
    film_status: str | None = None
    fetched_at: datetime = field(default_factory=_now)


@dataclass
class RawParts:
    """A backfill of a stored match: only the non-None fields are changed."""

    match_id: str
    skill: dict[str, Any] | None = None
    highlights: list[dict[str, Any]] | None = None
    skill_status: str | None = None
    film_status: str | None = None


class StoreWriter:
    """Write access to one player's database; obtained from `PlayerStore.writer()` only."""

    def __init__(self, con: duckdb.DuckDBPyConnection, gamertag: str) -> None:
        self._con = con
        self._gamertag = gamertag
        self._schemas: dict[str, pa.Schema] = {}

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The read-write connection, for reads inside the lock (do not write through it)."""
        return self._con

    # ------------------------------------------------------------------ plumbing
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
                    f"{_restore_hint(self._gamertag)}."
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
        return stages.rows_to_arrow(rows, pa.schema([schema.field(c) for c in columns]))

    def _dedupe(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the last row per primary key: DuckDB refuses to upsert one key twice per insert."""
        key = _PRIMARY_KEYS.get(table)
        if not key:
            return rows
        unique = {tuple(r.get(k) for k in key): r for r in rows}
        return list(unique.values())

    def _insert(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        rows: list[dict[str, Any]],
        columns: Sequence[str],
        mode: str = "",
        dedupe: bool = True,
    ) -> int:
        """Bulk insert (mode '' / 'OR REPLACE' / 'OR IGNORE') from a registered Arrow table."""
        if dedupe:
            rows = self._dedupe(table, rows)
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
            con.execute(
                "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
                " VALUES (?, ?, current_timestamp)",
                [key, None if value is None else str(value)],
            )

    def meta(self) -> dict[str, str | None]:
        """All sync_meta values."""
        return dict(self._con.execute("SELECT key, value FROM sync_meta ORDER BY key").fetchall())

    # ------------------------------------------------------------------ raw layer
    def stored_match_ids(self, match_ids: Iterable[str] | None = None) -> set[str]:
        """Ids present in raw_match_json or archived to Parquet (restricted to `match_ids` when
        given): an archived match counts as stored, so no sync refetches it."""
        if match_ids is None:
            rows = self._con.execute(
                "SELECT match_id FROM raw_match_json UNION SELECT match_id FROM archived_matches"
            ).fetchall()
            return {r[0] for r in rows}
        wanted = pa.table({"match_id": pa.array(list(match_ids), pa.string())})
        if wanted.num_rows == 0:
            return set()
        with registered(self._con, "_wanted_ids", wanted):
            rows = self._con.execute(
                "SELECT r.match_id FROM raw_match_json r SEMI JOIN _wanted_ids w USING (match_id)"
                " UNION SELECT a.match_id FROM archived_matches a"
                " SEMI JOIN _wanted_ids w USING (match_id)"
            ).fetchall()
        return {r[0] for r in rows}

    def write_raw_matches(self, rows: Sequence[RawMatch]) -> int:
        """Upsert raw matches in one transaction; returns rows written.

        A re-fetch replaces the stats but never loses stored skill/film data: a NULL skill or
        highlights in the new row keeps the stored one (and its status). Written rows are
        marked for (re)transformation.
        """
        unique = {r.match_id: r for r in rows if r.match_id}
        if not unique:
            return 0
        rows = list(unique.values())
        films = [_dump(r.highlights) for r in rows]
        table = pa.table(
            {
                "match_id": pa.array([r.match_id for r in rows], pa.string()),
                "stats_json_zst": encode_column(r.stats for r in rows),
                "skill_json_zst": encode_column(r.skill for r in rows),
                **film_columns(self._con, list(unique), films),
                "skill_status": pa.array([r.skill_status for r in rows], pa.string()),
                "film_status": pa.array([r.film_status for r in rows], pa.string()),
                "fetched_at": pa.array([r.fetched_at for r in rows], pa.timestamp("us", tz="UTC")),
            }
        )
        with self._transaction() as con:
            with registered(con, "_raw_in", table):
                con.execute(
                    """
                    INSERT INTO raw_match_json AS r
                        (match_id, stats_json_zst, skill_json_zst, highlights_json_zst,
                         film_plain, skill_status, film_status, fetched_at)
                    SELECT match_id, stats_json_zst, skill_json_zst, highlights_json_zst,
                           film_plain, skill_status, film_status, fetched_at
                    FROM _raw_in
                    ON CONFLICT (match_id) DO UPDATE SET
                        stats_json_zst = excluded.stats_json_zst,
                        skill_json_zst = coalesce(excluded.skill_json_zst, r.skill_json_zst),
                        highlights_json_zst = coalesce(excluded.highlights_json_zst,
                                                       r.highlights_json_zst),
                        film_plain = CASE WHEN excluded.highlights_json_zst IS NULL
                                          THEN r.film_plain ELSE excluded.film_plain END,
                        skill_status = CASE WHEN excluded.skill_json_zst IS NULL
                                             AND r.skill_json_zst IS NOT NULL
                                            THEN r.skill_status ELSE excluded.skill_status END,
                        film_status = CASE WHEN excluded.highlights_json_zst IS NULL
                                            AND r.highlights_json_zst IS NOT NULL
                                           THEN r.film_status ELSE excluded.film_status END,
                        fetched_at = excluded.fetched_at
                    """
                )
                con.execute(UNMARK_TRANSFORMED.format(source="_raw_in"))
        return table.num_rows

    def update_raw_parts(self, parts: Sequence[RawParts]) -> int:
        """Backfill skill/highlights/statuses of stored matches; returns matches updated.

        Only non-None fields change; unknown match ids are ignored. Updated matches are
        re-transformed by the next transform_pending().
        """
        unique = {p.match_id: p for p in parts if p.match_id}
        if not unique:
            return 0
        films = [_dump(p.highlights) for p in unique.values()]
        table = pa.table(
            {
                "match_id": pa.array(list(unique), pa.string()),
                "skill_json_zst": encode_column(p.skill for p in unique.values()),
                **film_columns(self._con, list(unique), films),
                "skill_status": pa.array([p.skill_status for p in unique.values()], pa.string()),
                "film_status": pa.array([p.film_status for p in unique.values()], pa.string()),
            }
        )
        with self._transaction() as con:
            with registered(con, "_parts_in", table):
                rows = con.execute(
                    """
                    UPDATE raw_match_json SET
                        skill_json_zst = coalesce(p.skill_json_zst, raw_match_json.skill_json_zst),
                        highlights_json_zst = coalesce(p.highlights_json_zst,
                                                       raw_match_json.highlights_json_zst),
                        film_plain = CASE WHEN p.highlights_json_zst IS NULL
                                          THEN raw_match_json.film_plain ELSE p.film_plain END,
                        skill_status = coalesce(p.skill_status, raw_match_json.skill_status),
                        film_status = coalesce(p.film_status, raw_match_json.film_status)
                    FROM _parts_in p
                    WHERE p.match_id = raw_match_json.match_id
                    """
                ).fetchall()
                con.execute(UNMARK_TRANSFORMED.format(source="_parts_in"))
        return int(rows[0][0]) if rows else 0

    def record_unavailable(self, match_id: str, reason: str) -> None:
        """Remember a match the API refuses (404, purged...) so syncs stop retrying it."""
        with self._transaction() as con:
            con.execute(
                """
                INSERT INTO unavailable_matches AS u (match_id, reason, first_seen, last_seen)
                VALUES (?, ?, current_timestamp, current_timestamp)
                ON CONFLICT (match_id) DO UPDATE SET
                    reason = excluded.reason, last_seen = excluded.last_seen
                """,
                [match_id, reason],
            )

    def imported_only_match_ids(self) -> set[str]:
        """Matches known only from an import of the original LevelUp's files (no raw body):
        a sync counts them as stored, the gap filling fetches them (store/imported.py)."""
        return set(imported_rows.imported_only_match_ids(self._con))

    def unavailable_match_ids(self) -> set[str]:
        """Ids recorded by record_unavailable()."""
        rows = self._con.execute("SELECT match_id FROM unavailable_matches").fetchall()
        return {r[0] for r in rows}

    def pending_stats(self) -> Iterator[dict[str, Any]]:
        """Stats bodies of raw matches not transformed yet: what an interrupted sync stored
        without fetching the names and profiles that go with it."""
        rows = self._con.execute(
            "SELECT stats_json_zst FROM raw_match_json"
            " WHERE match_id IN (SELECT match_id FROM pending_matches)"
        ).fetchall()
        for (frame,) in rows:
            text, _damaged = raw_damage.decode_or_none(frame)  # isolated by the transform
            stats = t_match.parse_json(text)
            if isinstance(stats, dict):
                yield stats

    # ------------------------------------------------------------------ reference data
    def known_ugc_refs(self) -> set[tuple[str, str]]:
        """(asset id, version id) of every UGC asset already stored: names are fetched once."""
        rows = self._con.execute("SELECT asset_id, version_id FROM ugc_assets").fetchall()
        return {(str(a), str(v)) for a, v in rows}

    def has_medal_metadata(self) -> bool:
        """True once the medal metadata document has been stored."""
        return bool(self._con.execute("SELECT count(*) FROM medal_metadata").fetchone()[0])

    def write_ugc_assets(
        self,
        assets: Sequence[dict[str, Any]],
        asset_kind: str | None = None,
        fetched_at: datetime | None = None,
    ) -> int:
        """Upsert UGC assets (raw API bodies with 'AssetId', or ugc_asset_row() dicts) and
        put their names on stored matches right away; returns assets written."""
        fetched_at = fetched_at or _now()
        rows, raws = [], []
        for asset in assets:
            if not isinstance(asset, dict):
                continue
            if "AssetId" in asset:
                row = t_meta.ugc_asset_row(asset, asset_kind)
                if row is None:
                    continue
                raws.append(
                    {
                        "asset_id": row["asset_id"],
                        "version_id": row["version_id"],
                        "asset_kind": row["asset_kind"],
                        "body_json": _dump(asset),
                        "fetched_at": fetched_at,
                    }
                )
            elif asset.get("asset_id"):
                row = {c: asset.get(c) for c in t_meta.UGC_ASSET_COLUMNS}
                row["version_id"] = row["version_id"] or ""
            else:
                continue
            rows.append({**row, "fetched_at": fetched_at})
        if not rows:
            return 0
        with self._transaction() as con:
            if raws:
                self._insert(
                    con,
                    "raw_ugc_json",
                    raws,
                    ("asset_id", "version_id", "asset_kind", "body_json", "fetched_at"),
                    "OR REPLACE",
                )
            written = self._insert(
                con, "ugc_assets", rows, (*t_meta.UGC_ASSET_COLUMNS, "fetched_at"), "OR REPLACE"
            )
            self._fill_names(con)
        return written

    def write_medal_metadata(self, metadata: dict[str, Any] | Sequence[dict[str, Any]]) -> int:
        """Upsert medal metadata (the API document or medal_metadata_rows() output)."""
        if isinstance(metadata, dict):
            rows = t_meta.medal_metadata_rows(metadata)
        else:
            rows = [r for r in metadata if isinstance(r, dict) and r.get("name_id") is not None]
        if not rows:
            return 0
        with self._transaction() as con:
            written = self._insert(
                con, "medal_metadata", rows, t_meta.MEDAL_METADATA_COLUMNS, "OR REPLACE"
            )
            self._fill_names(con)
        return written

    def write_profiles(self, users: list[dict[str, Any]], seen_at: datetime | None = None) -> int:
        """Store profile lookups (raw) and their gamertags as aliases (source 'profile')."""
        seen_at = seen_at or _now()
        raws = []
        for user in users or []:
            xuid = normalize_xuid(user.get("xuid")) if isinstance(user, dict) else None
            if xuid:
                raws.append({"xuid": xuid, "body_json": _dump(user), "fetched_at": seen_at})
        aliases = t_aliases.aliases_from_profiles(users, seen_at)
        with self._transaction() as con:
            self._insert(
                con, "raw_profile_json", raws, ("xuid", "body_json", "fetched_at"), "OR REPLACE"
            )
            self._upsert_aliases(con, aliases)
        return len(raws)

    def _upsert_aliases(self, con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
        """Merge alias sightings: widen [first_seen, last_seen], keep the first source."""
        if not rows:
            return
        with registered(
            con, "_alias_in", self._arrow("xuid_aliases", rows, t_aliases.ALIAS_COLUMNS)
        ):
            _merge_aliases(con, "SELECT * FROM _alias_in")

    # ------------------------------------------------------------------ transform
    def transform_pending(self, player_xuid: str, rebuild: bool = False) -> dict[str, int]:
        """Turn raw matches into the derived tables, one transaction per chunk.

        Pending = raw rows never transformed or changed since (write/backfill); rebuild=True
        first deletes every derived row and marks every raw row pending (one transaction),
        then recomputes all of them. Matches are read in chunks (stages.TRANSFORM_CHUNK), each
        chunk's derived rows replaced and its raw rows marked transformed in one transaction,
        so memory stays flat whatever the history length and an interruption leaves the
        unfinished matches pending (the next call completes them). Then rows imported from
        the original LevelUp are folded in where raw JSON has none, and names, mode
        categories, session ids and performance scores are refreshed in SQL. Returns rows
        written per table (plus 'skipped_matches': raw rows without the player or with
        unreadable JSON, and 'damaged_matches': stored frames that no longer decode, isolated
        for a refetch by store/raw_damage.py).
        """
        xuid = normalize_xuid(player_xuid)
        if xuid is None:
            raise ValueError(f"Not a player xuid: {player_xuid!r}.")
        counts = {t: 0 for t in (*DERIVED_MATCH_TABLES, "xuid_aliases")}
        counts["skipped_matches"] = counts["damaged_matches"] = 0
        with self._transaction() as con:
            if rebuild:
                for table in DERIVED_MATCH_TABLES:
                    con.execute(f"DELETE FROM {table}")
                con.execute("DELETE FROM xuid_aliases WHERE source = 'film'")
                con.execute("DELETE FROM transformed_matches")
            aliases_before = con.execute("SELECT count(*) FROM xuid_aliases").fetchall()[0][0]
            names = dict(
                con.execute(
                    "SELECT asset_id, arg_max(public_name, fetched_at) FROM ugc_assets"
                    " WHERE public_name IS NOT NULL GROUP BY asset_id"
                ).fetchall()
            )
        try:
            with self._bulk_settings(TRANSFORM_MEMORY_LIMIT):
                self._transform_chunks(xuid, names, rebuild, counts)
        except duckdb.OutOfMemoryException:
            # Unusually large matches: the committed chunks stay done, the rest is still
            # pending and is transformed again with DuckDB's default memory limit.
            self._transform_chunks(xuid, names, rebuild, counts)
        with self._transaction() as con:
            counts["xuid_aliases"] = (
                con.execute("SELECT count(*) FROM xuid_aliases").fetchall()[0][0] - aliases_before
            )
            imported_rows.fold_imported(con, xuid)  # imported rows where raw JSON has none
            self._fill_names(con)
            gap = self.get_meta(SESSION_GAP_KEY)
            con.execute(_sql("sessions.sql"), [int(gap) if gap else DEFAULT_SESSION_GAP_MINUTES])
            con.execute(_sql("performance.sql"))
            con.execute(
                "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
                " VALUES ('player_xuid', ?, current_timestamp),"
                " ('last_transform', strftime(current_timestamp, '%Y-%m-%dT%H:%M:%S%z'),"
                " current_timestamp)",
                [xuid],
            )
        return counts

    @contextmanager
    def _bulk_settings(self, limit: str) -> Iterator[None]:
        """DuckDB set for a bulk job: memory limit lowered to `limit`, worker threads limited
        to the cores the job leaves free, and no automatic checkpoint meanwhile (a checkpoint
        that runs out of memory would invalidate the database): the checkpoint runs once the
        settings are reset.

        Why: left to its default (80% of RAM), DuckDB keeps every block it reads or writes
        cached, and a 10,000-match transform then ended at ~700 MB RSS instead of ~500 MB.
        And on two cores, DuckDB's workers only competed with the transform's own threads:
        one thread (the caller's) took ~9% less CPU per 10,000 matches, and less wall time
        (README, Performance)."""
        con = self._con
        try:
            con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.OutOfMemoryException:  # more than `limit` pinned right now: no budget
            yield
            return
        con.execute(f"SET checkpoint_threshold = '{_NO_AUTO_CHECKPOINT}'")
        con.execute(f"SET threads = {max(1, (os.cpu_count() or 1) - _TRANSFORM_THREADS + 1)}")
        try:
            yield
        finally:
            con.execute("RESET memory_limit")
            con.execute("RESET checkpoint_threshold")
            con.execute("RESET threads")
        con.execute("CHECKPOINT")

    def _transform_chunks(
        self, xuid: str, names: dict[str, str], rebuild: bool, counts: dict[str, int]
    ) -> None:
        """Transform every pending raw match, chunk by chunk (transform/stages.py), each
        chunk stored by _commit_chunk (see transform_pending)."""
        schemas = {t: self._schema(t) for t in (*stages.STATS_TABLES, "highlight_events")}
        commit = partial(self._commit_chunk, rebuild=rebuild, counts=counts)
        stages.transform_chunks(self._con, xuid, names, schemas, commit)

    def _commit_chunk(
        self,
        ids: list[str],
        stats: stages.StatsRows,
        film: Future[stages.FilmEvents],
        rebuild: bool,
        counts: dict[str, int],
    ) -> None:
        """The DuckDB half of a chunk, in one transaction: stats-derived rows, film events and
        aliases, raw rows marked transformed (an interruption leaves the chunk pending)."""
        written: dict[str, int] = {"skipped_matches": stats.skipped}
        films = film.result()
        damaged = stats.damaged
        damaged.update(films.damaged)
        with self._transaction() as con:
            if damaged:  # isolated, never taking the chunk with them (store/raw_damage.py)
                raw_damage.isolate(con, damaged)
                written["damaged_matches"] = damaged.count()
            with registered(con, "_chunk_ids", pa.table({"match_id": pa.array(ids, pa.string())})):
                if not rebuild:  # re-transformed matches replace their previous rows
                    seen = con.execute(
                        "SELECT count(*) FROM match_stats"
                        " WHERE match_id IN (SELECT match_id FROM _chunk_ids)"
                    ).fetchall()[0][0]
                    for table in DERIVED_MATCH_TABLES if seen else ():
                        con.execute(
                            f"DELETE FROM {table}"
                            " WHERE match_id IN (SELECT match_id FROM _chunk_ids)"
                        )
                for table, data in stats.tables.items():
                    # keys are unique by construction (one chunk = distinct matches)
                    written[table] = self._insert_arrow(con, table, data)
                events = films.events
                if stats.skipped:  # no row for these matches, so no events either
                    kept = stats.tables["match_stats"]["match_id"].combine_chunks()
                    events = events.filter(pc.is_in(events["match_id"], value_set=kept))
                written["highlight_events"] = self._stage_events(con, events)
                con.execute(
                    "INSERT OR REPLACE INTO transformed_matches"
                    " SELECT match_id, current_timestamp FROM _chunk_ids"
                )
            if damaged.stats:  # deleted: no mark either
                raw_damage.unmark(con, damaged.stats)
        for key, value in written.items():  # counted once committed
            counts[key] += value

    def _stage_events(self, con: duckdb.DuckDBPyConnection, events: pa.Table) -> int:
        """Write a chunk's highlight events and their film aliases; returns events written.
        The alias query reads the chunk's events (_chunk_events), never the whole table."""
        if not events.num_rows:
            return 0
        with registered(con, "_chunk_events", events):
            con.execute("INSERT INTO highlight_events SELECT * FROM _chunk_events")
            _merge_aliases(con, _sql("film_aliases.sql"))
        return events.num_rows

    def _fill_names(self, con: duckdb.DuckDBPyConnection) -> None:
        """Names from ugc_assets/medal_metadata (SQL), then mode categories that names refine."""
        con.execute(_sql("fill_names.sql"))
        rows = con.execute(
            "SELECT match_id, game_variant_category, lifecycle, teams_enabled,"
            " game_variant_name, playlist_name, gameplay_interaction, mode_category"
            " FROM match_stats"
        ).fetchall()
        changed = []
        for match_id, gvc, lifecycle, teams, variant, playlist, interaction, current in rows:
            label = mode_category(
                gvc, _LIFECYCLE_CODES.get(lifecycle), teams, variant, playlist, interaction
            )
            if label != current:
                changed.append({"match_id": match_id, "mode_category": label})
        if changed:
            modes = self._arrow("match_stats", changed, ("match_id", "mode_category"))
            with registered(con, "_modes_in", modes):
                con.execute(
                    "UPDATE match_stats SET mode_category = m.mode_category FROM _modes_in m"
                    " WHERE m.match_id = match_stats.match_id"
                )

    # ------------------------------------------------------------------ aggregates
    def refresh_aggregates(
        self, session_gap_minutes: int = DEFAULT_SESSION_GAP_MINUTES
    ) -> dict[str, int]:
        """Recompute session ids (with this gap, remembered in sync_meta) and the four mv_*
        tables in one transaction; returns their row counts."""
        gap = int(session_gap_minutes)
        if gap <= 0:
            raise ValueError("session_gap_minutes must be a positive number of minutes.")
        with self._transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
                " VALUES (?, ?, current_timestamp)",
                [SESSION_GAP_KEY, str(gap)],
            )
            con.execute(_sql("sessions.sql"), [gap])
            con.execute(_sql("aggregates.sql"))
        return {
            t: self._con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in AGGREGATE_TABLES
        }

    def table_counts(self) -> dict[str, int]:
        """Row count of every table in the file."""
        return _table_counts(self._con)


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    count = 'SELECT count(*) FROM "{}"'
    return {t: con.execute(count.format(t)).fetchall()[0][0] for t in base_tables(con)}


class _Reader:
    """A read-only connection that keeps its shared lock until closed (`with` closes it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, turn: ExitStack) -> None:
        self._con, self._turn = con, turn

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._con, name)

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, then release the lock."""
        try:
            self._con.close()
        finally:
            self._turn.close()

    def __del__(self) -> None:
        if "_turn" in self.__dict__:
            self.close()


class PlayerStore:
    """A player's database: <data_dir>/<gamertag>/stats.duckdb (+ .lock for writers)."""

    def __init__(
        self, gamertag: str, data_dir: Path | None = None, lock_timeout: float = 30.0
    ) -> None:
        self.gamertag = validate_gamertag(gamertag)
        self.path: Path = player_db_path(self.gamertag, data_dir)
        self.lock_path: Path = lock_path(self.path)
        self.lock_timeout = lock_timeout

    def exists(self) -> bool:
        """True once a writer has created the database file."""
        return self.path.is_file()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
            try:
                missing = _missing_bytes(con, self.path)
            except BaseException:
                con.close()  # not left to the garbage collector: it holds the file
                raise
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                raise StoreBusy(
                    f"The database of {self.gamertag} is open for writing by another process; "
                    "retry when it has finished."
                ) from exc
            if isinstance(exc, duckdb.ConnectionException):
                raise StoreBusy(
                    f"The database of {self.gamertag} is already open in this process with "
                    "another mode; close the writer before opening a reader."
                ) from exc
            mapped = environment_error(exc, self.gamertag)
            if mapped is not None:
                raise mapped from exc
            raise CorruptDatabase(
                f"The database {self.path} is damaged and cannot be opened; "
                f"{_restore_hint(self.gamertag)}."
            ) from exc
        if missing:
            con.close()
            raise CorruptDatabase(
                f"The database {self.path} is damaged: it is {missing:,} bytes shorter than its "
                f"header says (a truncated copy?); {_restore_hint(self.gamertag)}."
            )
        return con

    @contextmanager
    def writer(self) -> Iterator[StoreWriter]:
        """Exclusive write access: file lock, read-write connection, migrations applied."""
        lock = filelock.FileLock(str(self.lock_path), timeout=self.lock_timeout)
        if held_here(self.lock_path, READ):  # waiting would wait for ourselves
            raise StoreBusy(
                f"The database of {self.gamertag} is open for reading in this process; close "
                "the reader before opening a writer."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except filelock.Timeout as exc:  # a TimeoutError, so an OSError: caught first
            raise StoreBusy(self._busy()) from exc
        except OSError as exc:  # read-only folder, full disk
            mapped = environment_error(exc, self.gamertag)
            if mapped is None:
                raise
            raise mapped from exc
        mark_held(self.lock_path, WRITE)
        try:
            if restore_journal(self.path).exists():  # a restore was killed half-way
                from levelup_pipeline.store.restore import finish_interrupted_restore

                finish_interrupted_restore(self)
            state = file_state(self.path)
            con = self._connect(read_only=False)
            try:
                check_unless_known(con, self.path, state, self.gamertag)
                self._migrate(con)
                try:
                    yield StoreWriter(con, self.gamertag)
                except duckdb.Error as exc:  # reads outside a transaction hit damage too
                    mapped = storage_error(exc, self.path, self.gamertag)
                    if mapped is None:
                        raise
                    raise mapped from exc
            except BaseException:
                _close(con, self.gamertag, failing=True)
                forget_state(self.path)
                raise
            _close(con, self.gamertag, failing=False)
            remember_state(self.path)
        finally:
            mark_held(self.lock_path, WRITE, held=False)
            lock.release()

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        """Apply pending migrations; storage failures become the user's error."""
        try:
            apply_migrations(con)
        except MigrationError as exc:
            mapped = environment_error(exc.__cause__ or exc, self.gamertag)
            if mapped is not None:
                raise mapped from exc
            if isinstance(exc.__cause__, duckdb.IOException | duckdb.InternalException):
                raise CorruptDatabase(
                    f"The database {self.path} is damaged ({exc.__cause__}); "
                    f"{_restore_hint(self.gamertag)}."
                ) from exc
            raise
        except duckdb.Error as exc:
            raise CorruptDatabase(
                f"The database {self.path} cannot be read ({exc}); {_restore_hint(self.gamertag)}."
            ) from exc

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection, used as a context manager (`with store.reader() as con`);
        StoreNotFound if no file yet. It holds the shared side of the writers' lock until it
        is closed (`store.shared_lock`): a writer of another process waits for it instead of
        failing, and it waits for a writer up to `lock_timeout` seconds."""
        if restore_journal(self.path).exists():
            raise StoreError(
                f"A restore of {self.gamertag}'s database was interrupted; run "
                f"`levelup db check --player {self.gamertag}` to finish it."
            )
        if not self.exists():
            raise StoreNotFound(
                f"No database for {self.gamertag} at {self.path}; run "
                f"`levelup sync --player {self.gamertag}` first."
            )
        turn = ExitStack()
        turn.enter_context(shared_lock(self.lock_path, self.lock_timeout, self._busy()))
        try:
            con = self._connect(read_only=True)
        except BaseException:
            turn.close()
            raise
        try:
            con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        except duckdb.Error as exc:
            con.close()
            turn.close()
            raise CorruptDatabase(
                f"The database {self.path} cannot be read ({exc}); {_restore_hint(self.gamertag)}."
            ) from exc
        return _Reader(con, turn)  # type: ignore[return-value] - behaves as the connection

    def _busy(self) -> str:
        """The sentence of a lock wait that ran out (writer or reader)."""
        return (
            f"Another LevelUp process is writing the database of {self.gamertag} "
            f"(lock {self.lock_path} held for more than {self.lock_timeout:g} s); "
            "retry when it has finished."
        )

    def table_counts(self) -> dict[str, int]:
        """Row counts through a short-lived reader."""
        with self.reader() as con:
            return _table_counts(con)


__all__ = [
    "CorruptDatabase",
    "PlayerStore",
    "RawMatch",
    "RawParts",
    "StoreBusy",
    "StoreError",
    "StoreNotFound",
    "StoreWriter",
]
