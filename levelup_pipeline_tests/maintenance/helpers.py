"""Helpers of the maintenance tests: simulator bodies as stored rows, table fingerprints, a
Workshop-layout SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb

from levelup_pipeline.simulator.world import World, wrap
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch

WORKSHOP_UGC = {
    "maps": "Maps",
    "ugcGameVariants": "GameVariants",
    "playlists": "Playlists",
    "mapModePairs": "PlaylistMapModePairs",
}


def skill_body(world: World, match_id: str) -> dict[str, Any] | None:
    """The skill response the simulator serves for a match (every player's result)."""
    if match_id in world.raw_skill:
        return world.raw_skill[match_id]
    results = world.skill.get(match_id)
    if results is None:
        return None
    return {"Value": [{"Id": wrap(x), "ResultCode": 0, "Result": r} for x, r in results.items()]}


def seed_store(store: PlayerStore, world: World, gamertag: str) -> list[str]:
    """Store a player's simulated matches without HTTP (raw rows, model, aggregates)."""
    xuid = world.find_player(gamertag)
    ids = world.match_ids_of(xuid)
    with store.writer() as writer:
        writer.set_meta("player_xuid", str(xuid))
        rows = []
        for match_id in ids:
            skill = skill_body(world, match_id)
            status = "ok" if skill is not None else "missing"
            rows.append(RawMatch(match_id, world.matches[match_id], skill, None, status))
        writer.write_raw_matches(rows)
        writer.transform_pending(str(xuid))
        writer.refresh_aggregates()
    return ids


def fingerprints(path: Path) -> dict[str, tuple]:
    """(rows, order-independent hash of all rows) of every base table of a DuckDB file."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            ).fetchall()
        ]
        return {
            t: tuple(con.execute(f'SELECT count(*), bit_xor(hash("{t}")) FROM "{t}"').fetchall()[0])
            for t in tables
        }


def build_workshop_sqlite(
    path: Path, world: World, match_ids: list[str], extra_rows: list[str] = ()
) -> Path:
    """An OpenSpartan Workshop-style database: the API bodies in ResponseBody columns, with
    Workshop's generated columns, duplicate skill rows and the four UGC tables."""
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE MatchStats (
            ResponseBody TEXT,
            MatchId TEXT GENERATED ALWAYS AS (json_extract(ResponseBody, '$.MatchId')) VIRTUAL,
            MatchInfo TEXT GENERATED ALWAYS AS (json_extract(ResponseBody, '$.MatchInfo')) VIRTUAL,
            Players TEXT GENERATED ALWAYS AS (json_extract(ResponseBody, '$.Players')) VIRTUAL
        );
        CREATE TABLE PlayerMatchStats (
            ResponseBody TEXT,
            MatchId TEXT,
            PlayerStats TEXT GENERATED ALWAYS AS (json_extract(ResponseBody, '$.Value')) VIRTUAL
        );
        CREATE TABLE ServiceRecordSnapshots (ResponseBody TEXT, SnapshotTimestamp DATETIME);
        """
    )
    for match_id in match_ids:
        con.execute(
            "INSERT INTO MatchStats (ResponseBody) VALUES (?)",
            [json.dumps(world.matches[match_id])],
        )
        skill = skill_body(world, match_id)
        if skill is not None:
            stale = {"Value": []}  # Workshop keeps re-fetches: the last row wins
            for body in (stale, skill):
                con.execute(
                    "INSERT INTO PlayerMatchStats (MatchId, ResponseBody) VALUES (?, ?)",
                    [match_id, json.dumps(body)],
                )
    for text in extra_rows:
        con.execute("INSERT INTO MatchStats (ResponseBody) VALUES (?)", [text])
    for (kind, _aid, _vid), body in world.ugc.items():
        table = WORKSHOP_UGC[kind]
        con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (ResponseBody TEXT)')
        con.execute(f'INSERT INTO "{table}" (ResponseBody) VALUES (?)', [json.dumps(body)])
    con.commit()
    con.close()
    return path
