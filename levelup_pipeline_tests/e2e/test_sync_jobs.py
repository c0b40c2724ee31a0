"""End to end through Dagster against the simulator over real HTTP: full, delta, reruns."""

from __future__ import annotations

import pytest

from levelup_pipeline.transform._common import parse_duration

pytestmark = pytest.mark.e2e


def _counts(pipeline, gamertag: str) -> dict[str, int]:
    """Row counts of the data tables (sync_meta gains e.g. last_delta_sync_time: not data)."""
    counts = pipeline.store(gamertag).table_counts()
    counts.pop("sync_meta")
    return counts


def test_full_then_delta_fetches_only_new_matches(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    full = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert full.success, full.error
    xuid = pipeline.sim.world.find_player(gamertag)
    expected = set(pipeline.sim.world.match_ids_of(xuid))
    with pipeline.store(gamertag).reader() as conn:
        stored = {r[0] for r in conn.execute("SELECT match_id FROM match_stats").fetchall()}
    assert stored == expected

    new_ids = pipeline.sim.add_matches(4, gamertag=gamertag)
    pipeline.sim.reset_stats()
    delta = pipeline.sync(gamertag, "delta_sync", match_type="all")
    assert delta.success, delta.error
    requests = pipeline.sim.stats()["requests"]
    assert requests["match_stats"] == 4
    assert requests["match_history"] == 1
    assert requests["match_skill"] == 4
    # The model step itself transformed the new matches: its metadata says so.
    assert delta.metadata["match_stats"]["new_rows"] == 4
    assert delta.metadata["match_stats"]["rows_written"] == 4
    assert delta.metadata["match_players"]["new_rows"] > 0
    with pipeline.store(gamertag).reader() as conn:
        stored = {r[0] for r in conn.execute("SELECT match_id FROM match_stats").fetchall()}
    assert stored == expected | set(new_ids)


def test_match_stats_values_equal_source_json(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, full sync of every match type stored
    xuid = pipeline.sim.world.find_player(gamertag)
    with pipeline.store(gamertag).reader() as conn:
        cur = conn.execute("SELECT * FROM match_stats")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    assert rows
    for row in rows:
        body = pipeline.sim.world.matches[row["match_id"]]
        me = next(p for p in body["Players"] if p["PlayerId"] == f"xuid({xuid})")
        core = me["PlayerTeamStats"][0]["Stats"]["CoreStats"]
        info = body["MatchInfo"]
        assert row["kills"] == core["Kills"]
        assert row["deaths"] == core["Deaths"]
        assert row["assists"] == core["Assists"]
        assert row["kda"] == pytest.approx(core["KDA"])
        assert row["accuracy"] == pytest.approx(core["Accuracy"])
        assert row["shots_fired"] == core["ShotsFired"]
        assert row["damage_dealt"] == core["DamageDealt"]
        assert row["max_killing_spree"] == core["MaxKillingSpree"]
        assert row["outcome"] == me["Outcome"]
        assert row["rank"] == me["Rank"]
        assert row["team_id"] == me["LastTeamId"]
        assert row["map_id"] == info["MapVariant"]["AssetId"]
        assert row["game_variant_category"] == info["GameVariantCategory"]
        assert row["duration_seconds"] == pytest.approx(parse_duration(info["Duration"]))
        assert row["start_time"].isoformat().startswith(info["StartTime"][:19])
        assert row["map_name"], "map names come from the UGC discovery endpoint"


def test_rerunning_changes_nothing(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, full sync of every match type stored
    before = _counts(pipeline, gamertag)
    pipeline.sim.reset_stats()
    assert pipeline.sync(gamertag, "full_sync", match_type="all").success
    assert pipeline.sync(gamertag, "delta_sync", match_type="all").success
    assert _counts(pipeline, gamertag) == before
    assert pipeline.sim.stats()["requests"]["match_stats"] == 0


def test_capped_deltas_lose_nothing(pipeline):
    gamertag = pipeline.gamertags()[2]
    pipeline.add(gamertag)
    xuid = pipeline.sim.world.find_player(gamertag)
    total = len(pipeline.sim.world.match_ids_of(xuid))
    first = pipeline.sync(gamertag, "delta_sync", match_type="all", max_matches=15)
    assert first.success and first.metadata["raw_match_json"]["capped_by_max_matches"]
    pipeline.sim.add_matches(3, gamertag=gamertag)
    for _ in range(10):
        out = pipeline.sync(gamertag, "delta_sync", match_type="all", max_matches=15)
        assert out.success, out.error
        if not out.metadata["raw_match_json"]["capped_by_max_matches"]:
            break
    with pipeline.store(gamertag).reader() as conn:
        stored = conn.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]
    assert stored == total + 3


def test_aggregates_equal_recounts_and_checks_pass(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    out = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert out.success
    with pipeline.store(gamertag).reader() as conn:
        n, kills = conn.execute("SELECT count(*), sum(kills) FROM match_stats").fetchone()
        g = conn.execute("SELECT matches, kills FROM mv_global_stats").fetchone()
        per_map = conn.execute("SELECT sum(matches) FROM mv_map_stats").fetchone()[0]
        per_mode = conn.execute("SELECT sum(matches) FROM mv_mode_category_stats").fetchone()[0]
    assert g == (n, kills) and per_map == n and per_mode == n
    records = pipeline.instance.get_records_for_run(out.run_id).records
    evaluations = [
        r.event_log_entry.dagster_event.event_specific_data
        for r in records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    from levelup_pipeline.definitions import defs

    expected = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {e.check_name for e in evaluations} == expected
    assert len(evaluations) == len(expected) and all(e.passed for e in evaluations)


def test_unknown_player_fails_with_one_sentence(pipeline):
    from levelup_pipeline.halo.errors import PlayerNotFound

    with pytest.raises(PlayerNotFound, match="was not found"):
        pipeline.add("NoSuchPlayer")


def test_global_stats_carry_the_last_sync_time(pipeline):
    gamertag = pipeline.gamertags()[1]
    pipeline.add(gamertag)
    assert pipeline.sync(gamertag, "delta_sync", match_type="all").success
    with pipeline.store(gamertag).reader() as conn:
        last_sync = conn.execute("SELECT last_sync FROM mv_global_stats").fetchone()[0]
        meta = conn.execute("SELECT value FROM sync_meta WHERE key = 'last_sync_time'").fetchone()[
            0
        ]
    assert last_sync is not None and last_sync.isoformat()[:19] == meta[:19]


def test_custom_games_cost_no_skill_request_and_leave_no_gap(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    world = pipeline.sim.world
    played = world.match_ids_of(world.find_player(gamertag))
    customs = [m for m in played if world.matches[m]["MatchInfo"]["LifecycleMode"] != 3]
    assert customs, "the synthetic world plays custom games too"
    out = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert out.success, out.error
    assert pipeline.sim.stats()["requests"]["match_skill"] == len(played) - len(customs)
    assert out.metadata["raw_match_json"]["skill_gaps"] == 0
