"""Migration 003: highlight_events without a primary-key index, kept unique by its writes."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from levelup_pipeline.store.invariants import duplicate_highlight_events
from levelup_pipeline.store.migrate import apply_migrations, available_migrations, current_version
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch, RawParts
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, T0, synthetic_match


def _events(n: int, shift: int = 0) -> list[dict]:
    return [
        {
            "xuid": int(PLAYER_XUID),
            "gamertag": "Test Player",
            "event_type": "kill",
            "time_ms": 1000 * i + shift,
            "type_hint": 2,
            "is_medal": False,
            "medal_value": None,
            "medal_name": None,
        }
        for i in range(n)
    ]


def _migrate_to(con: duckdb.DuckDBPyConnection, version: int) -> None:
    for migration in available_migrations():
        if migration.version > version:
            break
        con.execute(migration.sql)
        con.execute(
            "INSERT OR REPLACE INTO sync_meta (key, value, updated_at)"
            " VALUES ('schema_version', ?, current_timestamp)",
            [str(migration.version)],
        )


def test_upgrade_from_version_2_keeps_rows_and_views() -> None:
    con = duckdb.connect(":memory:")
    _migrate_to(con, 2)
    con.execute(
        "INSERT INTO highlight_events (match_id, event_index, event_type, time_ms)"
        " VALUES ('m2', 1, 'kill', 20), ('m1', 0, 'death', 10), ('m2', 0, 'medal', 15)"
    )
    con.execute("CREATE VIEW highlight_events_all AS SELECT * FROM highlight_events")
    before = sorted(con.execute("SELECT * FROM highlight_events").fetchall())

    assert 3 in apply_migrations(con)

    assert current_version(con) >= 3
    assert sorted(con.execute("SELECT * FROM highlight_events_all").fetchall()) == before
    kinds = con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'highlight_events'"
    ).fetchall()
    assert ("PRIMARY KEY",) not in kinds and kinds.count(("NOT NULL",)) == 2


def test_transforming_again_never_duplicates_events(store: PlayerStore) -> None:
    raws = [
        RawMatch(f"m{i}", synthetic_match(f"m{i}", T0 + timedelta(hours=i)), highlights=_events(5))
        for i in range(3)
    ]
    with store.writer() as w:
        w.set_meta("player_xuid", PLAYER_XUID)
        w.write_raw_matches(raws)
        w.transform_pending(PLAYER_XUID)
        w.transform_pending(PLAYER_XUID, rebuild=True)
        # a backfilled film replaces the match's events instead of adding to them
        w.update_raw_parts([RawParts("m1", highlights=_events(7, shift=3))])
        w.transform_pending(PLAYER_XUID)
        con = w.connection
        per_match = dict(
            con.execute("SELECT match_id, count(*) FROM highlight_events GROUP BY 1").fetchall()
        )
        assert per_match == {"m0": 5, "m1": 7, "m2": 5}
        assert duplicate_highlight_events(con) == (0, {})


def test_the_check_sees_a_duplicate(store: PlayerStore) -> None:
    with store.writer() as w:
        w.set_meta("player_xuid", PLAYER_XUID)
        w.write_raw_matches([RawMatch("m0", synthetic_match("m0", T0), highlights=_events(2))])
        w.transform_pending(PLAYER_XUID)
        con = w.connection
        con.execute("INSERT INTO highlight_events SELECT * FROM highlight_events LIMIT 1")
        assert duplicate_highlight_events(con)[0] == 1
