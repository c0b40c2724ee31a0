"""Undecodable stored frames isolated, not failing every transform; the next syncs refetch them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import zstandard

from levelup_pipeline.store.raw_codec import decode_bytes
from levelup_pipeline.store.views import meta_json, put_meta, registered

DAMAGED = "damaged"  # skill_status / film_status
DAMAGED_KEY = "damaged_raw_matches"  # sync_meta: {match_id: first seen} of deleted stats bodies
CURSOR_PREFIX = "resume_cursor:"  # ingest.engine's resume cursor keys
PARTS = ("stats", "skill", "film")
_IN_IDS = "WHERE match_id IN (SELECT match_id FROM _damaged_ids)"


@dataclass
class DamagedRaw:
    """Match ids whose stored frame of each part is unreadable."""

    stats: set[str] = field(default_factory=set)
    skill: set[str] = field(default_factory=set)
    film: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.stats or self.skill or self.film)

    def add(self, part: str, match_id: str) -> None:
        getattr(self, part).add(match_id)

    def update(self, other: DamagedRaw) -> None:
        for part in PARTS:
            getattr(self, part).update(getattr(other, part))

    def count(self) -> int:
        """Distinct matches with at least one damaged part."""
        return len(self.stats | self.skill | self.film)


def decode_or_none(frame: bytes | None) -> tuple[bytes | None, bool]:
    """(the frame's JSON text, whether it failed to decompress)."""
    try:
        return decode_bytes(frame), False
    except zstandard.ZstdError:
        return None, True


def is_readable_json(text: bytes | None) -> bool:
    """True when the decompressed text is UTF-8 JSON, as the API sent it."""
    if text is None:
        return True
    try:
        json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def scan(con: duckdb.DuckDBPyConnection) -> DamagedRaw:
    """The damaged frames, every one decompressed and parsed (db check)."""
    found = DamagedRaw()
    with con.cursor() as cursor:  # its own connection: streams whatever `con` has open
        reader = cursor.sql(
            "SELECT match_id, stats_json_zst, skill_json_zst, highlights_json_zst"
            " FROM raw_match_json"
        ).to_arrow_reader(512)
        for batch in reader:
            ids = batch.column(0).to_pylist()
            for index, part in enumerate(PARTS, start=1):
                for match_id, frame in zip(ids, batch.column(index).to_pylist(), strict=True):
                    text, damaged = decode_or_none(frame)
                    if damaged or not is_readable_json(text):
                        found.add(part, match_id)
    return found


def _ids(ids: set[str]) -> pa.Table:
    return pa.table({"match_id": pa.array(sorted(ids), pa.string())})


def isolate(con: duckdb.DuckDBPyConnection, damaged: DamagedRaw) -> None:
    """Isolate damaged parts, in the caller's transaction."""
    film, skill = damaged.film - damaged.stats, damaged.skill - damaged.stats
    for ids, columns in (
        (film, "highlights_json_zst = NULL, film_plain = NULL, film_status = ?"),
        (skill, "skill_json_zst = NULL, skill_status = ?"),
    ):
        if ids:
            with registered(con, "_damaged_ids", _ids(ids)):
                con.execute(f"UPDATE raw_match_json SET {columns} {_IN_IDS}", [DAMAGED])
                con.execute(f"DELETE FROM transformed_matches {_IN_IDS}")
    if damaged.stats:
        _drop_matches(con, damaged.stats)


def unmark(con: duckdb.DuckDBPyConnection, ids: set[str]) -> None:
    with registered(con, "_damaged_ids", _ids(ids)):
        con.execute(f"DELETE FROM transformed_matches {_IN_IDS}")


def _drop_matches(con: duckdb.DuckDBPyConnection, ids: set[str]) -> None:
    """Delete the matches, record them and lower the resume cursors so a delta refetches them."""
    from levelup_pipeline.store.model_writes import DERIVED_MATCH_TABLES  # imports this module

    with registered(con, "_damaged_ids", _ids(ids)):
        query = f"SELECT min(start_time), count(*) FROM match_stats {_IN_IDS}"
        start, known = con.execute(query).fetchall()[0]
        for table in (*DERIVED_MATCH_TABLES, "transformed_matches", "raw_match_json"):
            con.execute(f"DELETE FROM {table} {_IN_IDS}")
    # the oldest start bounds the walk only when every damaged match had one ("0": walk it all)
    floor = "0"
    if start is not None and known == len(ids):
        floor = start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    con.execute(
        "UPDATE sync_meta SET value = ?, updated_at = current_timestamp"
        " WHERE key LIKE ? AND (coalesce(value, '') = '' OR value > ?)",
        [floor, CURSOR_PREFIX + "%", floor],
    )
    recorded = recorded_stats(con)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    recorded.update({match_id: recorded.get(match_id, now) for match_id in ids})
    put_meta(con, {DAMAGED_KEY: json.dumps(recorded, sort_keys=True)})


def recorded_stats(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Matches deleted for a damaged stats body: {match_id: when it was found}."""
    value = meta_json(con, DAMAGED_KEY)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def awaiting_refetch(con: duckdb.DuckDBPyConnection) -> DamagedRaw:
    """Damaged parts isolated and not fetched again yet."""
    stored = con.execute(
        "SELECT match_id FROM raw_match_json UNION SELECT match_id FROM archived_matches"
        " UNION SELECT match_id FROM unavailable_matches"
    ).fetchall()
    waiting = DamagedRaw(stats=set(recorded_stats(con)) - {r[0] for r in stored})
    for part, column in (("skill", "skill_status"), ("film", "film_status")):
        query = f"SELECT match_id FROM raw_match_json WHERE {column} = ?"
        getattr(waiting, part).update(r[0] for r in con.execute(query, [DAMAGED]).fetchall())
    return waiting
