"""Damaged stored frames (store/raw_damage.py): a rebuild isolates each damaged part and keeps
every other row; `scan` finds what the transform has not read yet."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from levelup_pipeline.simulator import film
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_codec import encode_text
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline_tests.maintenance.helpers import skill_body

DERIVED = ("match_stats", "match_players", "medals", "personal_scores", "player_match_stats")


def _seeded(data_dir: Path) -> tuple[PlayerStore, str, list[str]]:
    """A player's matches with skill and films, transformed, and a delta resume cursor."""
    world = build_synthetic_world(seed=8, players=1, matches=12)
    player = world.players[0]
    ids = world.match_ids_of(player.xuid)
    names = {player.xuid: player.gamertag}
    store = PlayerStore(player.gamertag, data_dir)
    with store.writer() as writer:
        writer.set_meta("player_xuid", str(player.xuid))
        writer.set_meta("resume_cursor:all", "")
        writer.write_raw_matches(
            [
                RawMatch(
                    m,
                    world.matches[m],
                    skill_body(world, m),
                    film.events_for_match(world.matches[m], names),
                    "ok",
                    "ok",
                )
                for m in ids
            ]
        )
        writer.transform_pending(str(player.xuid))
    return store, str(player.xuid), ids


# match_stats columns of the match itself (session ids and performance scores depend on the
# player's other matches, and skill columns on the skill body)
_OWN = "match_id, start_time, kills, deaths, assists, outcome, map_id, game_variant_id"


def _rows(con: duckdb.DuckDBPyConnection, table: str, skip: set[str]) -> list[tuple]:
    columns = _OWN if table == "match_stats" else "*"
    rows = con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
    return [r for r in rows if r[0] not in skip]


def _damage(path: Path, column: str, match_id: str, frame: bytes) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(f"UPDATE raw_match_json SET {column} = ? WHERE match_id = ?", [frame, match_id])


@pytest.mark.parametrize("rebuild", [True, False])
def test_each_damaged_part_is_isolated_and_the_rest_kept(tmp_path: Path, rebuild: bool):
    store, xuid, ids = _seeded(tmp_path)
    with store.reader() as con:
        clean = {t: _rows(con, t, set()) for t in (*DERIVED, "highlight_events")}
        frames = dict(
            con.execute("SELECT match_id, highlights_json_zst FROM raw_match_json").fetchall()
        )
        start = dict(con.execute("SELECT match_id, start_time FROM match_stats").fetchall())
    truncated_film, not_json_film, bad_skill, bad_stats, bad_utf8 = ids[1:6]
    _damage(store.path, "highlights_json_zst", truncated_film, frames[truncated_film][:40])
    _damage(store.path, "highlights_json_zst", not_json_film, encode_text('[{"xuid": 1, "ga'))
    _damage(store.path, "skill_json_zst", bad_skill, b"\x28\xb5\x2f\xfd garbage")
    _damage(store.path, "stats_json_zst", bad_stats, frames[truncated_film][:20])
    _damage(store.path, "stats_json_zst", bad_utf8, encode_text(b'{"MatchId": "\xff\xfe"}'))
    with store.reader() as con:
        found = raw_damage.scan(con)
    assert found.film == {truncated_film, not_json_film} and found.skill == {bad_skill}
    assert found.stats == {bad_stats, bad_utf8}
    if not rebuild:  # as a refetch or a backfill leaves them: pending
        with duckdb.connect(str(store.path)) as con:
            con.execute("DELETE FROM transformed_matches")

    with store.writer() as writer:
        counts = writer.transform_pending(xuid, rebuild=rebuild)
    assert counts["damaged_matches"] == 5

    gone = {bad_stats, bad_utf8}
    with store.reader() as con:
        for table in DERIVED:  # every other match keeps every row
            expected = [r for r in clean[table] if r[0] not in gone]
            if table == "player_match_stats":
                expected = [r for r in expected if r[0] != bad_skill]
            assert _rows(con, table, set()) == expected, table
        films_gone = gone | {truncated_film, not_json_film}
        assert _rows(con, "highlight_events", set()) == [
            r for r in clean["highlight_events"] if r[0] not in films_gone
        ]
        statuses = dict(
            con.execute(
                "SELECT match_id, film_status || '/' || skill_status FROM raw_match_json"
            ).fetchall()
        )
        assert statuses[truncated_film] == statuses[not_json_film] == "damaged/ok"
        assert statuses[bad_skill] == "ok/damaged"
        assert gone.isdisjoint(statuses)
        assert (
            set(
                json.loads(
                    con.execute(
                        "SELECT value FROM sync_meta WHERE key = 'damaged_raw_matches'"
                    ).fetchall()[0][0]
                )
            )
            == gone
        )
        cursor = con.execute(
            "SELECT value FROM sync_meta WHERE key = 'resume_cursor:all'"
        ).fetchall()[0][0]
        if rebuild:  # their start times were deleted with the rebuild: walk everything
            assert cursor == "0"
        else:
            assert cursor == min(start[m] for m in gone).strftime("%Y-%m-%dT%H:%M:%S")
        assert not raw_damage.scan(con)
        waiting = raw_damage.awaiting_refetch(con)
    assert waiting.stats == gone and waiting.film == {truncated_film, not_json_film}
    assert waiting.skill == {bad_skill}
