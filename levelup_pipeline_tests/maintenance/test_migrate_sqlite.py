"""`levelup migrate --from-sqlite`: an OpenSpartan Workshop database imported through the same
raw -> transform -> aggregates path as a sync."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.transform._common import parse_duration
from levelup_pipeline_tests.maintenance.helpers import build_workshop_sqlite, skill_body

pytestmark = pytest.mark.e2e


def test_workshop_database_is_imported_then_synced_without_refetch(pipeline, tmp_path):
    world = pipeline.sim.world
    gamertag = pipeline.gamertags()[0]
    xuid = world.find_player(gamertag)
    ids = world.match_ids_of(xuid)
    others = [m for m in world.match_ids_of(world.find_player(pipeline.gamertags()[1]))]
    foreign = [m for m in others if m not in set(ids)][:2]  # matches without the player
    assert foreign
    source = build_workshop_sqlite(
        tmp_path / f"{xuid}.db", world, ids + foreign, extra_rows=['{"MatchInfo": {}}', "[]"]
    )

    pipeline.sim.reset_stats()
    result = CliRunner().invoke(
        cli, ["migrate", "--from-sqlite", str(source), "--gamertag", gamertag]
    )
    assert result.exit_code == 0, result.output
    assert f"XUID {xuid}" in result.output
    with_skill = sum(skill_body(world, m) is not None for m in ids)
    read = len(ids) + len(foreign) + 2
    assert (
        f"MatchStats (Workshop, raw API JSON): {read} read, {len(ids)} imported "
        f"({with_skill} with skill), skipped {len(foreign)} without this player, "
        "0 already archived, 2 unreadable"
    ) in result.output
    requests = pipeline.sim.stats()["requests"]
    assert requests["match_stats"] == 0 and requests["ugc"] == 0  # names came from the file
    assert gamertag in registered_players(pipeline.instance)

    with pipeline.store(gamertag).reader() as con:
        rows = con.execute(
            "SELECT match_id, kills, deaths, outcome, duration_seconds, map_name, session_id"
            " FROM match_stats"
        ).fetchall()
        skill_rows = con.execute("SELECT count(*) FROM player_match_stats").fetchone()[0]
        global_matches = con.execute("SELECT matches FROM mv_global_stats").fetchone()[0]
        meta = dict(con.execute("SELECT key, value FROM sync_meta").fetchall())
    assert {r[0] for r in rows} == set(ids)
    for match_id, kills, deaths, outcome, duration, map_name, session_id in rows:
        body = world.matches[match_id]
        me = next(p for p in body["Players"] if p["PlayerId"] == f"xuid({xuid})")
        core = me["PlayerTeamStats"][0]["Stats"]["CoreStats"]
        assert (kills, deaths, outcome) == (core["Kills"], core["Deaths"], me["Outcome"])
        assert duration == pytest.approx(parse_duration(body["MatchInfo"]["Duration"]))
        assert map_name and session_id is not None
    assert skill_rows == with_skill
    assert global_matches == len(ids)
    assert meta["player_xuid"] == str(xuid)

    again = CliRunner().invoke(cli, ["migrate", "--from-sqlite", str(source), "--player", gamertag])
    assert again.exit_code == 0, again.output
    with pipeline.store(gamertag).reader() as con:
        assert con.execute("SELECT count(*) FROM match_stats").fetchone()[0] == len(ids)

    new_ids = pipeline.sim.add_matches(2, gamertag=gamertag)
    pipeline.sim.reset_stats()
    full = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert full.success, full.error
    assert pipeline.sim.stats()["requests"]["match_stats"] == len(new_ids)


def test_migrate_refuses_what_it_cannot_import(pipeline, tmp_path):
    world = pipeline.sim.world
    gamertag = pipeline.gamertags()[0]
    runner = CliRunner()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello")
    other_layout = tmp_path / "other.db"
    with sqlite3.connect(other_layout) as con:
        con.execute("CREATE TABLE Matches (Id TEXT)")
    ids = world.match_ids_of(world.find_player(gamertag))[:3]
    workshop = build_workshop_sqlite(tmp_path / "w.db", world, ids)
    stranger = world.find_player(pipeline.gamertags()[2])
    stranger_ids = set(world.match_ids_of(stranger))
    mine = world.match_ids_of(world.find_player(gamertag))
    own_only = [m for m in mine if m not in stranger_ids][:3]
    assert own_only
    workshop_own = build_workshop_sqlite(tmp_path / "own.db", world, own_only)
    empty = build_workshop_sqlite(tmp_path / "empty.db", world, [])
    cases = [
        (["--from-sqlite", str(tmp_path / "none.db")], "Nothing at"),
        (["--from-sqlite", str(not_sqlite)], "is neither a DuckDB nor a SQLite file"),
        (["--from-sqlite", str(other_layout)], "not an OpenSpartan Workshop database"),
        (["--from-sqlite", str(workshop), "--xuid", "12"], "None of the 3 matches"),
        (["--from-sqlite", str(workshop), "--xuid", "abc"], "is not an XUID"),
        (["--from-sqlite", str(workshop_own), "--xuid", str(stranger)], "None of the"),
        (["--from-sqlite", str(empty)], "holds nothing to import"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, ["migrate", *args, "--gamertag", gamertag])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output, result.output
    assert not pipeline.store(gamertag).exists() or _matches(pipeline, gamertag) == 0


def _matches(pipeline, gamertag: str) -> int:
    with pipeline.store(gamertag).reader() as con:
        return con.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]


def test_a_foreign_match_stats_table_does_not_hide_the_legacy_tables(tmp_path):
    """A MatchStats table without Workshop's ResponseBody is not Workshop's: the original's
    MatchCache beside it is imported (the whole file was refused before)."""
    from levelup_pipeline.store.legacy_import import import_legacy
    from levelup_pipeline.store.player_store import PlayerStore

    source = tmp_path / "old.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE MatchStats (Body TEXT)")
        con.execute("CREATE TABLE MatchCache (match_id TEXT, kills INTEGER)")
        con.execute("INSERT INTO MatchCache VALUES ('0a4605d9-0a05-44ae-b8a9-4be2bbb15ffa', 3)")
    store = PlayerStore("Alpha", data_dir=tmp_path / "data")
    report = import_legacy(store, source, "2533274800000001")
    assert report.tables["MatchCache"].imported == 1 and report.workshop is None
    with store.reader() as con:
        assert con.execute("SELECT kills FROM match_stats").fetchall() == [(3,)]
