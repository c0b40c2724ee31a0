"""Cadence schedules: one delta run per registered player per tick, keyed by player and date."""

from __future__ import annotations

import datetime as dt

from dagster import DefaultScheduleStatus, RunRequest, SkipReason, build_schedule_context
from dagster._core.test_utils import instance_for_test

from levelup_pipeline.definitions import defs
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.defs.schedules import daily_delta, weekly_delta

TICK = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)  # a Monday


def test_schedules_are_registered_with_their_default_status():
    daily = defs.resolve_schedule_def("daily_delta")
    weekly = defs.resolve_schedule_def("weekly_delta")
    assert daily.job_name == weekly.job_name == "delta_sync"
    assert daily.default_status == DefaultScheduleStatus.RUNNING
    assert weekly.default_status == DefaultScheduleStatus.STOPPED
    assert daily.cron_schedule == "0 6 * * *" and weekly.cron_schedule == "0 6 * * 1"


def test_one_keyed_run_per_registered_player():
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=TICK)
        assert isinstance(daily_delta(context), SkipReason)

        players = ["Chief117", "Arbiter Prime", "Cortana"]
        for gamertag in players:
            register_player(instance, gamertag)
        for schedule in (daily_delta, weekly_delta):
            requests = schedule(context)
            assert all(isinstance(r, RunRequest) for r in requests)
            assert [r.partition_key for r in requests] == players
            assert [r.run_key for r in requests] == [f"{p}:2026-03-02" for p in players]

        # The same tick evaluated twice asks for the same keys (the daemon drops repeats);
        # the next day's tick asks for new ones.
        again = daily_delta(context)
        assert [r.run_key for r in again] == [r.run_key for r in daily_delta(context)]
        tomorrow = build_schedule_context(
            instance=instance, scheduled_execution_time=TICK + dt.timedelta(days=1)
        )
        assert {r.run_key for r in daily_delta(tomorrow)}.isdisjoint(
            r.run_key for r in daily_delta(context)
        )
