"""The guide's cadence: daily deltas for active players, weekly (Mondays) for occasional ones;
run keys `<gamertag>:<date>` launch nothing twice."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from levelup_pipeline.defs.config import labels, player_settings, sync_run_config
from levelup_pipeline.defs.jobs import FETCH_ONLY, delta_sync
from levelup_pipeline.defs.partitions import registered_players


def delta_requests(
    context: ScheduleEvaluationContext, cadence: str
) -> list[RunRequest] | SkipReason:
    """One delta_sync fetch per registered player of this cadence, with their run config."""
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
            tags=labels(
                match_type=settings[gamertag].match_type,
                cadence=cadence,
                trigger=f"schedule:{cadence}",
            ),
        )
        for gamertag in due
    ]


def _cadence_schedule(cadence: str, cron: str, description: str) -> ScheduleDefinition:
    @schedule(
        name=f"{cadence}_delta",
        job=delta_sync,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=description,
    )
    def _delta(context: ScheduleEvaluationContext):
        return delta_requests(context, cadence)

    return _delta


daily_delta = _cadence_schedule(
    "daily",
    "0 6 * * *",
    "Active players: a delta sync of every registered player whose cadence is daily (the "
    "default), every day at 06:00 UTC.",
)
weekly_delta = _cadence_schedule(
    "weekly",
    "0 6 * * 1",
    "Occasional players: a delta sync of every registered player whose cadence is weekly "
    "(levelup players add GT --cadence weekly), Mondays at 06:00 UTC.",
)
SCHEDULES = [daily_delta, weekly_delta]
