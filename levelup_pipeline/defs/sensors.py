"""Sensors: the roster file, gaps a sync reported (fetch-only runs, no API call in a tick), and
the automation that follows lineage."""

import os
from pathlib import Path

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from levelup_pipeline.defs import run_lock
from levelup_pipeline.defs.config import (
    RAW_OP,
    ROSTER_NAMES,
    RosterError,
    labels,
    read_roster,
    roster_path,
    sync_run_config,
)
from levelup_pipeline.defs.jobs import FETCH_ONLY, FILL_GAPS_CONFIG, fill_gaps, full_sync
from levelup_pipeline.defs.partitions import players_partitions, registered_players
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.store.gamertag import gamertag_key

RAW = AssetKey(RAW_OP)
RECORDS_PER_TICK = 200
INTERVAL_ENV = "LEVELUP_AUTOMATION_INTERVAL_SECONDS"


@sensor(
    name="roster_sensor",
    jobs=[full_sync],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Registers the players listed in <data>/players.yaml (or .toml) as partitions "
    "and requests their first full_sync (max_matches 1000). Never calls the API: the run "
    "resolves the XUID. Also keeps the CLI's list of the registered players current (players "
    "added in the UI included).",
)
def roster_sensor(context: SensorEvaluationContext, store: PlayerStoreResource):
    """New roster players -> partition adds + one first full sync each."""
    players = registered_players(context.instance)
    home = Path(context.instance.root_directory)
    if run_lock.registered_players(home) != players:  # e.g. a player added in the UI
        run_lock.mirror_players(players, home)
    path = roster_path(store.root())
    if path is None:
        return SkipReason(f"No roster file ({' / '.join(ROSTER_NAMES)}) in {store.root()}.")
    try:
        entries = read_roster(path)
    except RosterError as exc:
        context.log.warning(str(exc))
        return SkipReason(str(exc))
    registered = {gamertag_key(g) for g in players}
    new = [e for e in entries if gamertag_key(e.gamertag) not in registered]
    if not new:
        return SkipReason(f"Every player of {path.name} is registered.")
    context.log.info(f"Registering {', '.join(e.gamertag for e in new)} from {path}.")
    return SensorResult(
        dynamic_partitions_requests=[
            players_partitions.build_add_request([e.gamertag for e in new])
        ],
        run_requests=[
            RunRequest(
                run_key=f"first_full_sync:{e.gamertag}",
                job_name=full_sync.name,
                partition_key=e.gamertag,
                asset_selection=FETCH_ONLY,
                run_config=sync_run_config(
                    "full", max_matches=e.max_matches, match_type=e.match_type
                ),
                tags=labels(
                    max_matches=e.max_matches, match_type=e.match_type, trigger="sensor:roster"
                ),
            )
            for e in new
        ],
    )


def _gaps(metadata: dict) -> float:
    values = (getattr(metadata.get(k), "value", None) for k in ("skill_gaps", "film_gaps"))
    return sum(v for v in values if isinstance(v, int | float) and not isinstance(v, bool))


@sensor(
    name="gap_fill_sensor",
    job=fill_gaps,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs fill_gaps for a player whose sync left gaps (skill_gaps or film_gaps in "
    "raw_match_json's metadata: the API failed for a moment). Reads the event log only.",
)
def gap_fill_sensor(context: SensorEvaluationContext):
    """One fill_gaps run per player whose finished syncs reported gaps (not lineage: a sensor)."""
    instance = context.instance
    if context.cursor is None:
        latest = instance.fetch_materializations(RAW, limit=1).records
        cursor = str(latest[0].storage_id if latest else 0)
        return SensorResult(skip_reason="Watching syncs from now on.", cursor=cursor)
    cursor = int(context.cursor)
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=RAW, after_storage_id=cursor),
        limit=RECORDS_PER_TICK,
        ascending=True,
    ).records
    requests: dict[str, RunRequest] = {}
    for record in records:
        run_id = record.event_log_entry.run_id
        run = instance.get_run_by_id(run_id) if run_id else None
        if run is not None and not run.is_finished:
            break  # a running run may still add steps: look again next tick
        cursor, gamertag = record.storage_id, record.partition_key
        if _gaps(record.asset_materialization.metadata) and gamertag and gamertag not in requests:
            requests[gamertag] = RunRequest(
                run_key=f"gaps:{gamertag}:{record.storage_id}",
                partition_key=gamertag,
                asset_selection=FETCH_ONLY,
                run_config=FILL_GAPS_CONFIG,
                tags=labels(trigger="sensor:gaps"),
            )
    if not requests:
        return SensorResult(skip_reason="No finished sync left gaps.", cursor=str(cursor))
    return SensorResult(run_requests=list(requests.values()), cursor=str(cursor))


def automation_interval() -> int:
    """`LEVELUP_AUTOMATION_INTERVAL_SECONDS` if a positive integer, else 30."""
    value = os.environ.get(INTERVAL_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 30


# On by default (Dagster's own automation sensor is stopped) so `make dev` needs no click.
levelup_automation = AutomationConditionSensorDefinition(
    "levelup_automation",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=automation_interval(),
    description="Brings a player's model, aggregates and report up to date after raw_match_json "
    "changed (AutomationCondition.eager on those assets).",
)

SENSORS = [roster_sensor, gap_fill_sensor, levelup_automation]
