"""`levelup archive`: old matches move to Parquet, nothing is lost, syncs never refetch them."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.store import archive as archive_mod
from levelup_pipeline.store.archive import archive_older_than, archive_root, per_match_tables
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.maintenance.helpers import seed_store


def _live(store: PlayerStore, tables: list[str]) -> dict[str, int]:
    with store.reader() as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _parquet_rows(store: PlayerStore, tables: list[str]) -> dict[str, int]:
    root = archive_root(store.path)
    out = {}
    with duckdb.connect() as con:
        for table in tables:
            files = sorted((root / table).glob("*.parquet"))
            out[table] = sum(
                con.execute("SELECT count(*) FROM read_parquet(?)", [str(f)]).fetchone()[0]
                for f in files
            )
    return out


def _days_to_archive_about_half(store: PlayerStore) -> tuple[int, dt.datetime]:
    with store.reader() as con:
        starts = sorted(r[0] for r in con.execute("SELECT start_time FROM match_stats").fetchall())
    now = dt.datetime.now(dt.UTC)
    days = (now - starts[len(starts) // 2]).days
    return days, now - dt.timedelta(days=days)


@pytest.mark.e2e
def test_archive_keeps_every_row_and_syncs_do_not_refetch(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, full sync of every match type stored
    store = pipeline.store(gamertag)
    with store.reader() as con:
        tables = per_match_tables(con)
        before_ids = dict(con.execute("SELECT match_id, start_time FROM match_stats").fetchall())
        kills_before = con.execute("SELECT sum(kills) FROM match_stats").fetchone()[0]
    before = _live(store, tables)
    days, cutoff = _days_to_archive_about_half(store)
    expected = {m for m, start in before_ids.items() if start < cutoff}
    assert 0 < len(expected) < len(before_ids)

    result = CliRunner().invoke(
        cli, ["archive", "--player", gamertag, "--older-than-days", str(days)]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(expected)} match(es)" in result.output

    live, archived = _live(store, tables), _parquet_rows(store, tables)
    for table in tables:  # counts before = live + archived, table by table
        assert live[table] + archived[table] == before[table], table
    assert archived["raw_match_json"] == len(expected)
    assert {"match_stats", "highlight_events", "player_match_stats"} <= set(tables)
    with store.reader() as con:
        assert {r[0] for r in con.execute("SELECT match_id FROM archived_matches").fetchall()} == (
            expected
        )
        live_ids = {r[0] for r in con.execute("SELECT match_id FROM match_stats").fetchall()}
        assert live_ids == set(before_ids) - expected
        for table in tables:  # the *_all views show the whole history again
            assert con.execute(f"SELECT count(*) FROM {table}_all").fetchone()[0] == before[table]
        assert con.execute("SELECT sum(kills) FROM match_stats_all").fetchone()[0] == kills_before
        # aggregates describe the live matches (the asset check's recount stays equal)
        assert con.execute("SELECT matches FROM mv_global_stats").fetchone()[0] == len(live_ids)

    again = CliRunner().invoke(
        cli, ["archive", "--player", gamertag, "--older-than-days", str(days)]
    )
    assert again.exit_code == 0 and "0 match(es)" in again.output, again.output
    assert _live(store, tables) == live and _parquet_rows(store, tables) == archived

    new_ids = pipeline.sim.add_matches(2, gamertag=gamertag)
    pipeline.sim.reset_stats()
    full = pipeline.sync(gamertag, "full_sync", match_type="all")  # walks the whole history
    assert full.success, full.error
    assert pipeline.sim.stats()["requests"]["match_stats"] == len(new_ids)  # archived: stored
    with store.reader() as con:
        total = con.execute("SELECT count(*) FROM match_stats_all").fetchone()[0]
        live_now = con.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    assert total == len(before_ids) + len(new_ids)
    assert live_now == len(live_ids) + len(new_ids)


def test_interrupted_archive_is_finished_by_the_next_run(tmp_path, monkeypatch):
    world = build_synthetic_world(seed=5, players=1, matches=30)
    gamertag = world.players[0].gamertag
    store = PlayerStore(gamertag, tmp_path)
    ids = seed_store(store, world, gamertag)
    with store.reader() as con:
        tables = per_match_tables(con)
    before = _live(store, tables)

    def crash(*_args, **_kwargs):
        raise OSError("simulated power cut after the commit")

    monkeypatch.setattr(archive_mod, "_move_batch", crash)
    with pytest.raises(OSError):
        archive_older_than(store, 1)  # every match is older than a day
    monkeypatch.undo()
    assert _live(store, tables)["raw_match_json"] == 0  # committed...
    assert sum(_parquet_rows(store, tables).values()) == 0  # ...files still staged

    report = archive_older_than(store, 1)
    assert report.matches == 0
    live, archived = _live(store, tables), _parquet_rows(store, tables)
    for table in tables:
        assert live[table] + archived[table] == before[table], table
    assert archived["raw_match_json"] == len(ids)
    assert not (archive_root(store.path) / ".pending").exists()


def test_failure_inside_the_transaction_changes_nothing(tmp_path):
    world = build_synthetic_world(seed=6, players=1, matches=12)
    gamertag = world.players[0].gamertag
    store = PlayerStore(gamertag, tmp_path)
    seed_store(store, world, gamertag)
    # A row that references a match makes its DELETE fail half-way through the transaction
    # (zz_child is archived after match_stats).
    with duckdb.connect(str(store.path)) as con:
        con.execute("CREATE TABLE zz_child (match_id VARCHAR REFERENCES match_stats (match_id))")
        con.execute("INSERT INTO zz_child SELECT match_id FROM match_stats LIMIT 1")
    with store.reader() as con:
        tables = per_match_tables(con)
    before = _live(store, tables)
    with pytest.raises(duckdb.ConstraintException):
        archive_older_than(store, 1)
    assert _live(store, tables) == before
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM archived_matches").fetchone()[0] == 0
    root = archive_root(store.path)
    assert not list(root.rglob("*.parquet"))  # staged files were removed


def test_archive_refuses_nonsense(pipeline):
    result = CliRunner().invoke(cli, ["archive", "--player", "Nobody", "--older-than-days", "30"])
    assert result.exit_code == 1 and "levelup sync --player Nobody" in result.output
    result = CliRunner().invoke(cli, ["archive", "--player", "Nobody", "--older-than-days", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output
