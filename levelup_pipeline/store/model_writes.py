"""The tables a player queries, rebuilt from the raw layer, and the aggregates, in SQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from functools import partial

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from levelup_pipeline.store import imported as imported_rows
from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.reference_writes import merge_profile_aliases
from levelup_pipeline.store.views import merge_aliases, put_meta, registered, table_counts
from levelup_pipeline.store.views import sql_file as _sql
from levelup_pipeline.store.writer_core import WriterCore
from levelup_pipeline.transform import stages
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.modes import LIFECYCLES, mode_category

DEFAULT_SESSION_GAP_MINUTES = 45
# The working set is a few chunks of films, not the history: a fixed budget holds.
TRANSFORM_MEMORY_LIMIT = "192MB"
_TRANSFORM_THREADS = 3  # stats, film, write: DuckDB's workers get the other cores, at least one
SESSION_GAP_KEY = "session_gap_minutes"

# Rebuilt from raw_match_json by transform_pending (and xuid_aliases of source 'film').
DERIVED_MATCH_TABLES = (*stages.STATS_TABLES, "highlight_events")
AGGREGATE_TABLES = ("mv_map_stats", "mv_mode_category_stats", "mv_session_stats", "mv_global_stats")
_LIFECYCLE_CODES = {label: code for code, label in LIFECYCLES.items()}


class ModelWrites(WriterCore):
    def transform_pending(self, player_xuid: str, rebuild: bool = False) -> dict[str, int]:
        """Rows per table from pending matches (rebuild: all), a transaction a chunk."""
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
        schemas = {t: self._schema(t) for t in DERIVED_MATCH_TABLES}
        commit = partial(self._commit_chunk, rebuild=rebuild, counts=counts)
        try:
            with self._bulk_settings(TRANSFORM_MEMORY_LIMIT):
                stages.transform_chunks(self._con, xuid, names, schemas, commit)
        except duckdb.OutOfMemoryException:
            # unusually large matches: the rest is transformed with DuckDB's default limit
            stages.transform_chunks(self._con, xuid, names, schemas, commit)
        with self._transaction() as con:
            merge_profile_aliases(con, self._schema("xuid_aliases"))
            counts["xuid_aliases"] = (
                con.execute("SELECT count(*) FROM xuid_aliases").fetchall()[0][0] - aliases_before
            )
            imported_rows.fold_imported(con, xuid)
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
        """A memory limit (~500 MB RSS, not 700), spare cores, no checkpoint (OOM breaks it)."""
        con = self._con
        try:
            con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.OutOfMemoryException:  # more than `limit` pinned right now: no budget
            yield
            return
        con.execute("SET checkpoint_threshold = '1TB'")
        con.execute(f"SET threads = {max(1, (os.cpu_count() or 1) - _TRANSFORM_THREADS + 1)}")
        try:
            yield
        finally:
            con.execute("RESET memory_limit")
            con.execute("RESET checkpoint_threshold")
            con.execute("RESET threads")
        con.execute("CHECKPOINT")

    def _commit_chunk(
        self,
        ids: list[str],
        stats: stages.StatsRows,
        film: Future[stages.FilmEvents],
        rebuild: bool,
        counts: dict[str, int],
    ) -> None:
        """A chunk's rows, film events, aliases and transformed marks, in one transaction."""
        written: dict[str, int] = {"skipped_matches": stats.skipped}
        films = film.result()
        damaged = stats.damaged
        damaged.update(films.damaged)
        with self._transaction() as con:
            if damaged:  # isolated, never taking the chunk with them
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
                    written[table] = self._insert_arrow(con, table, data)
                events = films.events
                if stats.skipped:  # no row for these matches, so no events either
                    kept = stats.tables["match_stats"]["match_id"].combine_chunks()
                    events = events.filter(pc.is_in(events["match_id"], value_set=kept))
                if events.num_rows:
                    with registered(con, "_chunk_events", events):
                        con.execute("INSERT INTO highlight_events SELECT * FROM _chunk_events")
                        merge_aliases(con, _sql("film_aliases.sql"))
                written["highlight_events"] = events.num_rows
                con.execute(
                    "INSERT OR REPLACE INTO transformed_matches"
                    " SELECT match_id, current_timestamp FROM _chunk_ids"
                )
            if damaged.stats:  # deleted: no mark either
                raw_damage.unmark(con, damaged.stats)
        for key, value in written.items():  # counted once committed
            counts[key] += value

    def _fill_names(self, con: duckdb.DuckDBPyConnection) -> None:
        """Names from the reference data, then the mode categories names refine."""
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

    def refresh_aggregates(self, session_gap_minutes: int | None = None) -> dict[str, int]:
        """Sessions (with this gap, remembered) and the mv_* tables; returns their row counts."""
        if session_gap_minutes is None:
            session_gap_minutes = int(self.get_meta(SESSION_GAP_KEY) or DEFAULT_SESSION_GAP_MINUTES)
        gap = int(session_gap_minutes)
        if gap <= 0:
            raise ValueError("session_gap_minutes must be a positive number of minutes.")
        with self._transaction() as con:
            put_meta(con, {SESSION_GAP_KEY: str(gap)})
            con.execute(_sql("sessions.sql"), [gap])
            con.execute(_sql("aggregates.sql"))
        return table_counts(self._con, list(AGGREGATE_TABLES))
