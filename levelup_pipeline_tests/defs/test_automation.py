"""Declarative automation: materializing raw_match_json alone (e.g. from its asset page)
brings the model, the aggregates and the report of that player up to date."""

from __future__ import annotations

import functools
from unittest import mock

import pytest
from dagster import AssetKey, AssetMaterialization, evaluate_automation_conditions
from dagster._core.test_utils import instance_for_test

from levelup_pipeline.definitions import defs
from levelup_pipeline.defs.assets_aggregates import AGGREGATES
from levelup_pipeline.defs.assets_model import MODEL_TABLES

DERIVED = {*MODEL_TABLES, *AGGREGATES, "player_report"}


def _evaluate(instance, cursor=None):
    """`evaluate_automation_conditions` with the instance's player list read once: Dagster
    re-reads it from SQLite for every subset it serializes (thousands of queries, ~90% of the
    evaluation), and no partition is added while one evaluation runs."""
    cached = functools.cache(instance.get_dynamic_partitions)
    with mock.patch.object(instance, "get_dynamic_partitions", cached):
        return evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)


def _requested(result) -> dict[str, set[str]]:
    """Asset name -> partition keys the evaluation asked to materialize."""
    out: dict[str, set[str]] = {}
    for res in result.results:
        if res.true_subset.size:
            keys = res.true_subset.expensively_compute_asset_partitions()
            for asset_partition in keys:
                name = asset_partition.asset_key.to_user_string()
                out.setdefault(name, set()).add(asset_partition.partition_key)
    return out


def test_materializing_raw_requests_everything_downstream_for_that_player():
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("players", ["Chief117", "Cortana"])
        first = _evaluate(instance)
        assert first.total_requested == 0  # nothing stored yet: nothing to model

        instance.report_runless_asset_event(
            AssetMaterialization(asset_key="raw_match_json", partition="Chief117")
        )
        result = _evaluate(instance, first.cursor)
        requested = _requested(result)
        assert set(requested) == DERIVED
        assert all(partitions == {"Chief117"} for partitions in requested.values())

        # Once the run that was asked for has materialized them, nothing more is asked.
        for name in DERIVED:
            instance.report_runless_asset_event(
                AssetMaterialization(asset_key=AssetKey(name), partition="Chief117")
            )
        again = _evaluate(instance, result.cursor)
        assert again.total_requested == 0


def _scheduled_request(instance, gamertag: str):
    """The daily schedule's RunRequest for `gamertag` (its only daily player)."""
    import datetime as dt

    from dagster import build_schedule_context

    from levelup_pipeline.defs.schedules import daily_delta

    tick = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    (request,) = daily_delta(
        build_schedule_context(instance=instance, scheduled_execution_time=tick)
    )
    assert request.partition_key == gamertag
    return request


@pytest.mark.e2e
def test_a_scheduled_sync_fetches_and_automation_brings_the_rest(pipeline):
    """The schedule's run (raw_match_json alone, the job's run config) succeeds, leaves the model
    as it was, and the next automation evaluation asks for the player's model, aggregates and
    report, which then hold the new matches. The gap sensor's fill_gaps config (model options
    included) is accepted by a fetch-only run too."""
    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.jobs import FETCH_ONLY, FILL_GAPS_CONFIG

    instance = pipeline.instance
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    assert pipeline.sync(gamertag, "full_sync", max_matches=10).success
    baseline = _evaluate(instance)
    with pipeline.store(gamertag).reader() as conn:
        before = conn.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    pipeline.sim.add_matches(2, gamertag=gamertag)

    request = _scheduled_request(instance, gamertag)
    fetched = run_job(
        instance,
        "delta_sync",
        gamertag,
        tags=request.tags,
        run_config=request.run_config,
        asset_selection=request.asset_selection,
    )
    assert fetched.success, fetched.error
    assert set(fetched.metadata) == {"raw_match_json"}
    with pipeline.store(gamertag).reader() as conn:
        assert conn.execute("SELECT count(*) FROM match_stats").fetchone()[0] == before

    result = _evaluate(instance, baseline.cursor)
    requested = _requested(result)
    assert set(requested) == DERIVED
    assert all(partitions == {gamertag} for partitions in requested.values())
    keys = [AssetKey(name) for name in requested]
    derived = run_job(instance, "delta_sync", gamertag, asset_selection=keys)
    assert derived.success, derived.error
    with pipeline.store(gamertag).reader() as conn:
        assert conn.execute("SELECT count(*) FROM match_stats").fetchone()[0] == before + 2

    gaps = run_job(
        instance, "fill_gaps", gamertag, run_config=FILL_GAPS_CONFIG, asset_selection=FETCH_ONLY
    )
    assert gaps.success, gaps.error


def test_the_automation_interval_comes_from_the_environment(monkeypatch):
    from levelup_pipeline.defs.sensors import INTERVAL_ENV, automation_interval

    monkeypatch.delenv(INTERVAL_ENV, raising=False)
    assert automation_interval() == 30
    monkeypatch.setenv(INTERVAL_ENV, "5")
    assert automation_interval() == 5
    for bad in ("0", "-3", "soon"):
        monkeypatch.setenv(INTERVAL_ENV, bad)
        assert automation_interval() == 30
