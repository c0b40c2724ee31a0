"""The read-and-parse stages of `transform_pending`, one chunk of raw matches at a time."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from levelup_pipeline.store.raw_codec import decode_column
from levelup_pipeline.store.raw_damage import DamagedRaw, decode_or_none, is_readable_json
from levelup_pipeline.store.views import registered
from levelup_pipeline.store.views import sql_file as _sql
from levelup_pipeline.transform import highlights as t_highlights
from levelup_pipeline.transform import match_stats as t_match
from levelup_pipeline.transform import plausibility as t_plausible
from levelup_pipeline.transform import skill as t_skill
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.stats_schema import decode_stats, lenient_body

# Raw matches per transaction: its film events fill row groups DuckDB writes past the WAL.
TRANSFORM_CHUNK = 1024
# Film text parsed per query: DuckDB holds ~8x the text parsed at once, so cut by size.
FILM_BATCH_BYTES = 8 * 2**20
# Matches whose stats rows are turned into Arrow at once (few dicts alive at a time).
STATS_BATCH = 256
STATS_TABLES = (
    "match_stats",
    "match_players",
    "medals",
    "personal_scores",
    "player_match_stats",
    "suspect_matches",
)
# By rowid: a plain `match_id IN (...)` makes DuckDB scan every raw row (~65 KB) per chunk.
_CHUNK_ROWS = (
    "rowid IN (SELECT rowid FROM raw_match_json WHERE match_id IN (SELECT unnest($ids::VARCHAR[])))"
)


def transform_chunks(
    con: duckdb.DuckDBPyConnection,
    xuid: str,
    names: dict[str, str],
    schemas: dict[str, pa.Schema],
    commit: Callable[[list[str], StatsRows, Future[FilmEvents]], None],
) -> None:
    """Transform every pending raw match by chunks: Python parses chunk n's stats while DuckDB
    (GIL released) parses its films and `commit` writes chunk n-1."""
    stats_reader = con.cursor()  # own connections: read while chunks are written
    film_reader = con.cursor()
    try:
        # in storage order: a chunk then reads few vectors
        query = "SELECT match_id FROM pending_matches ORDER BY raw_rowid"
        pending = [row[0] for row in stats_reader.execute(query).fetchall()]
        with (
            ThreadPoolExecutor(1, thread_name_prefix="levelup-film") as film_pool,
            ThreadPoolExecutor(1, thread_name_prefix="levelup-write") as write_pool,
        ):
            writing: Future[None] | None = None
            for start in range(0, len(pending), TRANSFORM_CHUNK):
                ids = pending[start : start + TRANSFORM_CHUNK]
                films = read_films(stats_reader, ids)
                film = film_pool.submit(film_stage, film_reader, films, schemas)
                stats = stats_stage(stats_reader, ids, xuid, names, schemas)
                if writing is not None:
                    writing.result()
                writing = write_pool.submit(commit, ids, stats, film)
            if writing is not None:
                writing.result()
    finally:
        stats_reader.close()
        film_reader.close()


def rows_to_arrow(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) -> an Arrow table of `schema`; ~40% faster than pa.Table.from_pylist."""
    columns = [[row.get(name) for row in rows] for name in schema.names]
    kinds = [field.type for field in schema]
    try:
        arrays = [pa.array(c, kind) for c, kind in zip(columns, kinds, strict=True)]
    except (OverflowError, pa.ArrowInvalid):
        # A number too big for its column (1e300 kills): NULL, not a failed sync.
        arrays = [pa.array(_fit_ints(c, k), k) for c, k in zip(columns, kinds, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def _fit_ints(values: list[Any], kind: pa.DataType) -> list[Any]:
    if not pa.types.is_integer(kind):
        return values
    bits = kind.bit_width - 1
    low, high = -(2**bits), 2**bits - 1
    return [v if not isinstance(v, int) or low <= v <= high else None for v in values]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic GC while JSON is parsed: its many dicts are trees freed by refcounting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class FilmTexts:
    """A chunk's films, decompressed: tables of FILM_BATCH_BYTES of text each."""

    batches: list[pa.Table]
    damaged: DamagedRaw = field(default_factory=DamagedRaw)


@dataclass
class FilmEvents:
    """A chunk's highlight events, and the films found damaged."""

    events: pa.Table
    damaged: DamagedRaw = field(default_factory=DamagedRaw)


def read_films(cursor: duckdb.DuckDBPyConnection, match_ids: list[str]) -> FilmTexts:
    """The films of some raw matches, decompressed (on the stats thread: elsewhere it waited
    for the GIL) and cut into batches of FILM_BATCH_BYTES."""
    frames = cursor.sql(
        "SELECT match_id, highlights_json_zst, film_plain FROM raw_match_json"
        f" WHERE {_CHUNK_ROWS} AND highlights_json_zst IS NOT NULL",
        params={"ids": match_ids},
    ).to_arrow_table()
    damaged = DamagedRaw()
    try:
        texts = decode_column(frames["highlights_json_zst"])
    except (zstandard.ZstdError, pa.ArrowInvalid):  # a damaged frame: decode one by one
        frames, texts = _without_damaged_films(frames, damaged)
    batches: list[pa.Table] = []
    start = size = 0
    sizes = pc.binary_length(texts).to_pylist()
    for end, length in enumerate(sizes, start=1):
        size += length
        if size >= FILM_BATCH_BYTES or end == len(sizes):
            count = end - start
            batch = frames.slice(start, count)
            batches.append(
                pa.table(
                    {
                        "match_id": batch["match_id"],
                        "highlights_json": texts.slice(start, count),
                        "film_plain": batch["film_plain"],
                    }
                )
            )
            start, size = end, 0
    return FilmTexts(batches, damaged)


def _without_damaged_films(frames: pa.Table, damaged: DamagedRaw) -> tuple[pa.Table, pa.Array]:
    keep, texts = [], []
    ids = frames["match_id"].to_pylist()
    for index, frame in enumerate(frames["highlights_json_zst"].to_pylist()):
        data, bad = decode_or_none(frame)
        try:
            text = None if data is None else data.decode()
        except UnicodeDecodeError:
            bad = True
        if bad:
            damaged.add("film", ids[index])
            continue
        keep.append(index)
        texts.append(text)
    return frames.take(keep), pa.array(texts, pa.string())


def film_stage(
    cursor: duckdb.DuckDBPyConnection, films: FilmTexts, schemas: dict[str, pa.Schema]
) -> FilmEvents:
    """Highlight events of some films (`schemas['highlight_events']`), a batch per query."""
    schema = schemas["highlight_events"]
    parts = [schema.empty_table()]
    while films.batches:  # the batches share the chunk's text buffer: freed after the last
        batch = films.batches.pop(0)
        try:
            parsed = _parse_films(cursor, batch)
        except duckdb.InvalidInputException:  # a damaged film that is not JSON any more
            batch = _without_unparsable_films(cursor, batch, films.damaged)
            parsed = _parse_films(cursor, batch)
        parts.append(_event_rows(batch["match_id"], parsed, schema))
    return FilmEvents(pa.concat_tables(parts), films.damaged)


def _parse_films(cursor: duckdb.DuckDBPyConnection, batch: pa.Table) -> pa.Table:
    """The events of one batch of films; the ~10% slower odd-shape query only when needed."""
    numbered = batch.append_column("film", pa.array(range(batch.num_rows), pa.int32()))
    odd = not pc.all(pc.fill_null(batch["film_plain"], False)).as_py()
    with registered(cursor, "_films", numbered):
        parsed = cursor.sql(_sql("highlight_events.sql")).to_arrow_table()
        if odd:
            more = cursor.sql(_sql("highlight_events_odd.sql")).to_arrow_table()
            parsed = pa.concat_tables([parsed, more.cast(parsed.schema)])
    return parsed


def _without_unparsable_films(
    cursor: duckdb.DuckDBPyConnection, batch: pa.Table, damaged: DamagedRaw
) -> pa.Table:
    with registered(cursor, "_films", batch):
        valid = cursor.sql("SELECT coalesce(json_valid(highlights_json), true) FROM _films")
        flags = valid.to_arrow_table().column(0)
    for match_id, ok in zip(batch["match_id"].to_pylist(), flags.to_pylist(), strict=True):
        if not ok:
            damaged.add("film", match_id)
    return batch.filter(flags)


_VALUE_RULES: dict[str, Callable[[Any], str | None]] = {
    "event_type": t_highlights.known_event_type,
    "xuid": normalize_xuid,
    "gamertag": t_highlights.clean_gamertag,
    "medal_name": t_highlights.medal_name_of,
}


def _event_rows(match_ids: pa.ChunkedArray, parsed: pa.Table, schema: pa.Schema) -> pa.Table:
    """Parsed events as `schema` rows, _VALUE_RULES applied once per distinct value (cheaper
    than in SQL)."""
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in schema.names:
        if name == "match_id":
            columns[name] = match_ids.take(parsed["film"])
            continue
        column = parsed[name]
        rule = _VALUE_RULES.get(name)
        if rule is not None:
            encoded = pc.dictionary_encode(column.combine_chunks())
            values = [rule(value) for value in encoded.dictionary.to_pylist()]
            column = pa.array(values, pa.string()).take(encoded.indices)
        columns[name] = column
    return pa.table(columns).cast(schema)


@dataclass
class StatsRows:
    """A chunk's stats-derived rows, one Arrow table per table, and the matches skipped."""

    tables: dict[str, pa.Table]
    skipped: int
    damaged: DamagedRaw = field(default_factory=DamagedRaw)


def add_stats_rows(
    out: dict[str, list[dict[str, Any]]],
    match_id: str,
    stats_json: bytes | str | dict[str, Any] | None,
    skill: Any,
    xuid: str,
    names: dict[str, str],
    fractions: dict[str, list[dict[str, Any]]],
) -> bool:
    """Append one match's rows to `out`; False when the body is unreadable or lacks the player."""
    body = decode_stats(stats_json)
    cores = None
    if body is None:
        stats = t_match.parse_json(stats_json)
        body = lenient_body(stats)
        if body is None:
            return False
        player = t_match.find_player(stats, xuid)
        cores = t_match.core_stats_of(player) if player is not None else None
    rows = t_match.stats_rows(match_id, body, t_skill.skill_result_for(skill, xuid), xuid, names)
    if not rows["match_stats"]:
        return False
    if cores and t_plausible.fractions(cores):
        fractions[match_id] = cores
    for table, table_rows in rows.items():
        out[table].extend(table_rows)
    skill_row = t_skill.player_match_stats_row(match_id, skill, xuid)
    if skill_row is not None:
        out["player_match_stats"].append(skill_row)
    return True


def stats_stage(
    cursor: duckdb.DuckDBPyConnection,
    match_ids: list[str],
    xuid: str,
    names: dict[str, str],
    schemas: dict[str, pa.Schema],
) -> StatsRows:
    """Rows of the stats-derived tables for some raw matches, screened for implausible values."""
    frames = cursor.execute(
        f"SELECT match_id, stats_json_zst, skill_json_zst FROM raw_match_json WHERE {_CHUNK_ROWS}",
        {"ids": match_ids},
    ).fetchall()
    parts: dict[str, list[pa.Table]] = {t: [] for t in STATS_TABLES}
    skipped = 0
    damaged = DamagedRaw()
    wide = {t: t_plausible.screened_schema(schemas[t]) for t in parts}
    with gc_paused():
        for start in range(0, len(frames), STATS_BATCH):
            out: dict[str, list[dict[str, Any]]] = {t: [] for t in STATS_TABLES}
            fractions: dict[str, list[dict[str, Any]]] = {}
            for match_id, stats_frame, skill_frame in frames[start : start + STATS_BATCH]:
                # UTF-8 bytes, not str: what the JSON decoders read, without a conversion
                stats_json, bad_stats = decode_or_none(stats_frame)
                skill_json, bad_skill = decode_or_none(skill_frame)
                skill = t_match.parse_json(skill_json)
                if bad_skill or (skill is None and not is_readable_json(skill_json)):
                    damaged.add("skill", match_id)
                if bad_stats or not add_stats_rows(
                    out, match_id, stats_json, skill, xuid, names, fractions
                ):
                    skipped += 1
                    if bad_stats or not is_readable_json(stats_json):
                        damaged.add("stats", match_id)
            batch = {t: rows_to_arrow(rows, wide[t]) for t, rows in out.items()}
            for t, table in t_plausible.screen(batch, fractions, normalize_xuid(xuid)).items():
                parts[t].append(table.cast(schemas[t]))
    tables = {t: pa.concat_tables(chunks) for t, chunks in parts.items()}
    return StatsRows(tables, skipped, damaged)
