"""Cadence schedules: one delta run per registered player of the schedule's cadence per tick,
keyed by player and date, with the player's default run config."""

from __future__ import annotations

import datetime as dt

from dagster import AssetKey, DefaultScheduleStatus, RunRequest, SkipReason, build_schedule_context
from dagster._core.test_utils import instance_for_test

from levelup_pipeline.definitions import defs
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.defs.schedules import daily_delta, weekly_delta
from levelup_pipeline.store.settings import save_settings

TICK = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)  # a Monday


def test_schedules_are_registered_with_their_default_status():
    daily = defs.resolve_schedule_def("daily_delta")
    weekly = defs.resolve_schedule_def("weekly_delta")
    assert daily.job_name == weekly.job_name == "delta_sync"
    assert daily.default_status == weekly.default_status == DefaultScheduleStatus.RUNNING
    assert daily.cron_schedule == "0 6 * * *" and weekly.cron_schedule == "0 6 * * 1"


def test_one_keyed_run_per_player_of_the_cadence(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=TICK)
        assert isinstance(daily_delta(context), SkipReason)

        players = ["Chief117", "Arbiter Prime", "Cortana", "Sergeant"]
        for gamertag in players:
            register_player(instance, gamertag)
        save_settings("Arbiter Prime", tmp_path, cadence="weekly")
        save_settings("Cortana", tmp_path, match_type="all")
        save_settings("Sergeant", tmp_path, cadence="weekly", match_type="custom")

        daily = daily_delta(context)
        assert all(isinstance(r, RunRequest) for r in daily)
        assert [r.partition_key for r in daily] == ["Chief117", "Cortana"]
        assert [r.run_key for r in daily] == ["Chief117:2026-03-02", "Cortana:2026-03-02"]
        weekly = weekly_delta(context)
        assert [r.partition_key for r in weekly] == ["Arbiter Prime", "Sergeant"]
        match_types = {
            r.partition_key: r.run_config["ops"]["raw_match_json"]["config"]["match_type"]
            for r in [*daily, *weekly]
        }
        assert match_types == {
            "Chief117": "matchmaking",
            "Cortana": "all",
            "Arbiter Prime": "matchmaking",
            "Sergeant": "custom",
        }
        assert all(
            r.run_config["ops"]["raw_match_json"]["config"]["mode"] == "delta"
            for r in [*daily, *weekly]
        )
        # A scheduled run fetches; the model, aggregates and report follow by automation.
        assert all(
            list(r.asset_selection) == [AssetKey("raw_match_json")] for r in [*daily, *weekly]
        )

        # The same tick evaluated twice asks for the same keys (the daemon drops repeats);
        # the next day's tick asks for new ones.
        again = daily_delta(context)
        assert [r.run_key for r in again] == [r.run_key for r in daily]
        tomorrow = build_schedule_context(
            instance=instance, scheduled_execution_time=TICK + dt.timedelta(days=1)
        )
        assert {r.run_key for r in daily_delta(tomorrow)}.isdisjoint(r.run_key for r in daily)


def test_the_launchpad_default_config_of_a_partition_is_the_players_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    save_settings("Cortana", tmp_path, match_type="all")
    (tmp_path / "players.yaml").write_text(
        "players:\n  - gamertag: Arbiter\n    match_type: custom\n    cadence: weekly\n",
        encoding="utf-8",
    )
    for job, mode in (("delta_sync", "delta"), ("full_sync", "full")):
        config = defs.resolve_job_def(job).partitioned_config
        for gamertag, match_type in (("Cortana", "all"), ("Arbiter", "custom"), ("New", None)):
            fields = config.get_run_config_for_partition_key(gamertag)["ops"]["raw_match_json"]
            assert fields["config"]["mode"] == mode
            assert fields["config"]["match_type"] == (match_type or "matchmaking")


def test_a_run_without_match_type_uses_the_players_setting(tmp_path, monkeypatch):
    """E.g. raw_match_json materialized from its asset page, with the config's defaults."""
    from levelup_pipeline.defs.assets_ingest import sync_options
    from levelup_pipeline.defs.config import SyncConfig

    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    save_settings("Cortana", tmp_path, match_type="all")
    assert sync_options(SyncConfig(), "Cortana").match_type == "all"
    assert sync_options(SyncConfig(), "Chief117").match_type == "matchmaking"
    assert sync_options(SyncConfig(match_type="custom"), "Cortana").match_type == "custom"


def test_a_roster_entry_is_the_players_whatever_its_case_and_unicode_form(tmp_path, monkeypatch):
    """Gamertags compare case- and form-insensitively (issue 21 item 13), in the roster too:
    its settings reach the partition's run config and its run tags (labels)."""
    from levelup_pipeline.defs.config import player_settings

    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    (tmp_path / "players.yaml").write_text(
        "players:\n  - gamertag: E\u0301LODIE\n    cadence: weekly\n    match_type: all\n",
        encoding="utf-8",
    )
    settings = player_settings("\u00e9lodie")
    assert (settings.cadence, settings.match_type) == ("weekly", "all")
    config = defs.resolve_job_def("delta_sync").partitioned_config
    tags = config.get_tags_for_partition_key("\u00e9lodie")
    assert {k: v for k, v in tags.items() if k.startswith("levelup/")} == {
        "levelup/match_type": "all",
        "levelup/cadence": "weekly",
    }
