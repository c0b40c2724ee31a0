"""The guide's sync cadence as schedules: daily delta (on by default), weekly delta (off).

Each tick asks for one `delta_sync` run per registered player partition; the run key
`<gamertag>:<scheduled date>` makes a tick that is evaluated twice launch nothing twice. The
queue's per-player limit (dagster.yaml) keeps a player's runs one at a time.
"""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from levelup_pipeline.defs.jobs import delta_sync
from levelup_pipeline.defs.partitions import registered_players

TIMEZONE = "UTC"
DAILY_CRON = "0 6 * * *"  # every day at 06:00 UTC
WEEKLY_CRON = "0 6 * * 1"  # Mondays at 06:00 UTC


def delta_requests(
    context: ScheduleEvaluationContext, cadence: str
) -> list[RunRequest] | SkipReason:
    """One delta_sync RunRequest per registered player, keyed by player and scheduled date."""
    players = registered_players(context.instance)
    if not players:
        return SkipReason("No player is registered: levelup players add GAMERTAG.")
    day = context.scheduled_execution_time.date().isoformat()
    return [
        RunRequest(
            run_key=f"{gamertag}:{day}",
            partition_key=gamertag,
            tags={"levelup/trigger": f"schedule:{cadence}"},
        )
        for gamertag in players
    ]


@schedule(
    name="daily_delta",
    job=delta_sync,
    cron_schedule=DAILY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Active players: a delta sync of every registered player, every day.",
)
def daily_delta(context: ScheduleEvaluationContext):
    """Daily delta for every registered player."""
    return delta_requests(context, "daily")


@schedule(
    name="weekly_delta",
    job=delta_sync,
    cron_schedule=WEEKLY_CRON,
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Occasional players: a delta sync of every registered player, every Monday "
    "(turn daily_delta off when you turn this on).",
)
def weekly_delta(context: ScheduleEvaluationContext):
    """Weekly delta for every registered player."""
    return delta_requests(context, "weekly")


SCHEDULES = [daily_delta, weekly_delta]
