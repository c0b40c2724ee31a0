"""The guide's sync cadence as schedules: active players daily, occasional players weekly.

Each player's cadence is a per-player setting (`levelup players add GT --cadence weekly`,
`store/settings.py`). Both schedules run by default: `daily_delta` asks for one `delta_sync`
run per registered player whose cadence is daily, `weekly_delta` (Mondays) for the weekly ones,
each with the player's default run config (match type). The run key `<gamertag>:<scheduled
date>` makes a tick that is evaluated twice launch nothing twice. The queue's per-player limit
(dagster.yaml) keeps a player's runs one at a time. A scheduled run fetches only
(`FETCH_ONLY`): the model, aggregates and report follow by automation, and a failed fetch
marks nothing else failed.
"""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from levelup_pipeline.defs.config import player_settings, settings_labels, sync_run_config
from levelup_pipeline.defs.jobs import FETCH_ONLY, delta_sync
from levelup_pipeline.defs.partitions import registered_players

TIMEZONE = "UTC"
DAILY_CRON = "0 6 * * *"  # every day at 06:00 UTC
WEEKLY_CRON = "0 6 * * 1"  # Mondays at 06:00 UTC


def delta_requests(
    context: ScheduleEvaluationContext, cadence: str
) -> list[RunRequest] | SkipReason:
    """One delta_sync RunRequest (the fetch step) per registered player of this cadence, keyed
    by player and scheduled date, with the player's default run config."""
    players = registered_players(context.instance)
    if not players:
        return SkipReason("No player is registered: levelup players add GAMERTAG.")
    settings = {gamertag: player_settings(gamertag) for gamertag in players}
    due = [gamertag for gamertag in players if settings[gamertag].cadence == cadence]
    if not due:
        return SkipReason(f"No registered player has the {cadence} cadence.")
    day = context.scheduled_execution_time.date().isoformat()
    return [
        RunRequest(
            run_key=f"{gamertag}:{day}",
            partition_key=gamertag,
            asset_selection=FETCH_ONLY,
            run_config=sync_run_config("delta", match_type=settings[gamertag].match_type),
            tags={**settings_labels(settings[gamertag]), "levelup/trigger": f"schedule:{cadence}"},
        )
        for gamertag in due
    ]


@schedule(
    name="daily_delta",
    job=delta_sync,
    cron_schedule=DAILY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Active players: a delta sync of every registered player whose cadence is "
    "daily (the default), every day at 06:00 UTC.",
)
def daily_delta(context: ScheduleEvaluationContext):
    """Daily delta for the players of the daily cadence."""
    return delta_requests(context, "daily")


@schedule(
    name="weekly_delta",
    job=delta_sync,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Occasional players: a delta sync of every registered player whose cadence "
    "is weekly (levelup players add GT --cadence weekly), Mondays at 06:00 UTC.",
)
def weekly_delta(context: ScheduleEvaluationContext):
    """Weekly delta for the players of the weekly cadence."""
    return delta_requests(context, "weekly")


SCHEDULES = [daily_delta, weekly_delta]
