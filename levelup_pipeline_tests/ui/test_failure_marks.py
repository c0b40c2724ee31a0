"""What a failed sync marks as failed in the UI (Dagster 1.13 rules, read from the instance).

Dagster logs "planned" events for every asset and check of a run when the run is created; when
the run fails, whatever was planned and not executed is shown as failed ("Execution failed" on a
check, a red partition on an asset). So a sync whose fetch step fails paints everything
downstream of it red unless those steps are not part of the failing run: the runs the daemon
launches (schedules, sensors) and the report's "Sync now" link fetch only, the rest follows by
automation. `levelup sync` and `dagster job execute` still run the whole job (no daemon may be
there to do the rest), so their failure marks the job's planned steps, as Dagster does.
"""

from __future__ import annotations

from dagster import AssetCheckKey, AssetKey

from levelup_pipeline.halo.auth import forget_tokens

DOWNSTREAM = ("match_stats", "mv_global_stats", "player_report")


def _check_keys() -> list[AssetCheckKey]:
    from levelup_pipeline.definitions import defs

    return list(defs.resolve_asset_graph().asset_check_keys)


def painted(pipeline, run_id: str, gamertag: str) -> list[str]:
    """Checks whose latest execution is an unexecuted plan of `run_id`, and downstream assets
    whose partition's latest attempt is `run_id` without a materialization."""
    storage = pipeline.instance.event_log_storage
    s = storage
    out = []
    for key in _check_keys():
        latest = storage.get_asset_check_execution_history(key, limit=1)
        if latest and latest[0].run_id == run_id:
            out.append(f"{key.asset_key.to_user_string()}:{key.name}")
    unfinished = s.get_latest_asset_partition_materialization_attempts_without_materializations
    for name in DOWNSTREAM:
        if unfinished(AssetKey(name)).get(gamertag, (None,))[0] == run_id:
            out.append(name)
    return out


def _synced_then_signed_out(pipeline) -> str:
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    outcome = pipeline.sync(gamertag, "delta_sync", match_type="all")
    assert outcome.success, outcome.error
    pipeline.sim.knobs.update({"revoked_refresh_tokens": ["sim-refresh-token"]})
    forget_tokens()  # the next run is another process (the daemon's run worker)
    return gamertag


def test_a_failed_fetch_alone_marks_only_itself(pipeline):
    """Materializing raw_match_json (the asset page's Materialize) when sign-in fails: the run
    fails with the one sentence, and no check or downstream asset is marked failed."""
    from levelup_pipeline.cli.runner import run_job

    gamertag = _synced_then_signed_out(pipeline)
    failed = run_job(
        pipeline.instance, "delta_sync", gamertag, asset_selection=[AssetKey("raw_match_json")]
    )
    assert not failed.success
    assert failed.error.startswith("Authentication failed: run 'levelup auth'")
    assert painted(pipeline, failed.run_id, gamertag) == []


def test_a_failed_scheduled_sync_marks_no_untouched_check_or_asset(pipeline):
    """The daily schedule's run, launched as the daemon would (its job, run config and asset
    selection), when sign-in fails: only raw_match_json's attempt failed."""
    import datetime as dt

    from dagster import build_schedule_context

    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.schedules import daily_delta

    gamertag = _synced_then_signed_out(pipeline)
    tick = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
    context = build_schedule_context(instance=pipeline.instance, scheduled_execution_time=tick)
    (request,) = daily_delta(context)
    failed = run_job(
        pipeline.instance,
        "delta_sync",
        request.partition_key,
        tags=request.tags,
        run_config=request.run_config,
        asset_selection=request.asset_selection,
    )
    assert not failed.success
    assert failed.error.startswith("Authentication failed: run 'levelup auth'")
    assert painted(pipeline, failed.run_id, gamertag) == []
