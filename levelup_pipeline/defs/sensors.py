"""Sensors: a roster file that registers players, and gap filling after gappy syncs.

Their runs fetch only (`FETCH_ONLY`, raw_match_json): the model, aggregates and report follow
by declarative automation (`AutomationCondition` on the assets), so a failed fetch marks
nothing else failed. Every tick stays light: it reads one small file or the
instance's event log, never the Halo API and never a player's database. Runs they request are
keyed so a tick evaluated twice launches nothing twice, and the run queue's per-player limit
(dagster.yaml) orders them behind a sync of the same player that is still running.
"""

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from levelup_pipeline.defs.config import LABEL_PREFIX, sync_run_config
from levelup_pipeline.defs.jobs import FETCH_ONLY, FILL_GAPS_CONFIG, fill_gaps, full_sync
from levelup_pipeline.defs.partitions import players_partitions, registered_players
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.ingest.options import InvalidSyncOption, options_from
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import gamertag_key
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.settings import CADENCES

ROSTER_NAMES = ("players.yaml", "players.yml", "players.toml")
FIRST_SYNC_MAX_MATCHES = 1000
RECORDS_PER_TICK = 200
RAW = AssetKey("raw_match_json")
ROSTER_KEYS = {"gamertag", "max_matches", "match_type", "cadence"}


# ---------------------------------------------------------------------------- roster file
class RosterError(ValueError):
    """The roster file cannot be used; the message says which file and what to fix."""


@dataclass(frozen=True)
class RosterEntry:
    """A player of the roster and the options of their first full sync."""

    gamertag: str
    max_matches: int = FIRST_SYNC_MAX_MATCHES
    match_type: str | None = None
    cadence: str | None = None

    def run_config(self) -> dict:
        """Run config of the first full sync."""
        return sync_run_config("full", max_matches=self.max_matches, match_type=self.match_type)

    def tags(self) -> dict[str, str]:
        """Run tags of the first full sync (labels: the run config says what it does)."""
        tags = {f"{LABEL_PREFIX}max_matches": str(self.max_matches)}
        if self.match_type:
            tags[f"{LABEL_PREFIX}match_type"] = self.match_type
        return tags


def roster_path(data_dir: Path) -> Path | None:
    """The roster file of a data directory (players.yaml, .yml or .toml), if any."""
    return next((data_dir / n for n in ROSTER_NAMES if (data_dir / n).is_file()), None)


def _entry(raw: Any, path: Path) -> RosterEntry:
    if isinstance(raw, str):
        raw = {"gamertag": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("gamertag"), str):
        raise RosterError(f"{path}: each player must be a gamertag or have a 'gamertag' key.")
    unknown = set(raw) - ROSTER_KEYS
    if unknown:
        raise RosterError(f"{path}: unknown key(s) {sorted(unknown)} for {raw['gamertag']!r}.")
    try:
        gamertag = validate_gamertag(raw["gamertag"])
        options = options_from(
            "full",
            {
                "max_matches": raw.get("max_matches", FIRST_SYNC_MAX_MATCHES),
                "match_type": raw.get("match_type"),
            },
        )
    except (InvalidGamertag, InvalidSyncOption) as exc:
        raise RosterError(f"{path}: {exc}") from None
    cadence = raw.get("cadence")
    if cadence is not None and cadence not in CADENCES:
        raise RosterError(f"{path}: cadence must be one of {', '.join(CADENCES)}, got {cadence!r}.")
    match_type = raw.get("match_type")
    return RosterEntry(gamertag, options.max_matches, match_type if match_type else None, cadence)


def read_roster(path: Path) -> list[RosterEntry]:
    """Parse a roster file (YAML or TOML, see docs); RosterError with one sentence if bad."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RosterError(f"{path} could not be read ({first_line}); fix the file.") from None
    players = data.get("players") if isinstance(data, dict) else data
    if players is None:
        return []
    if not isinstance(players, list):
        raise RosterError(f"{path}: 'players' must be a list of gamertags.")
    entries: dict[str, RosterEntry] = {}
    for raw in players:
        entry = _entry(raw, path)
        entries.setdefault(gamertag_key(entry.gamertag), entry)  # case variants: one player
    return list(entries.values())


@sensor(
    name="roster_sensor",
    jobs=[full_sync],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Registers the players listed in <data>/players.yaml (or .toml) as partitions "
    "and requests their first full_sync (max_matches 1000). Never calls the API: the run "
    "resolves the XUID.",
)
def roster_sensor(context: SensorEvaluationContext, store: PlayerStoreResource):
    """New roster players -> partition adds + one first full sync each."""
    path = roster_path(store.root())
    if path is None:
        return SkipReason(f"No roster file ({' / '.join(ROSTER_NAMES)}) in {store.root()}.")
    try:
        entries = read_roster(path)
    except RosterError as exc:
        context.log.warning(str(exc))
        return SkipReason(str(exc))
    registered = {gamertag_key(g) for g in registered_players(context.instance)}
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
                run_config=e.run_config(),
                tags={**e.tags(), "levelup/trigger": "sensor:roster"},
            )
            for e in new
        ],
    )


# ---------------------------------------------------------------------------- event log
def _number(metadata: dict, key: str) -> float:
    value = metadata.get(key)
    value = getattr(value, "value", value)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _finished(instance: DagsterInstance, run_id: str | None) -> bool:
    """Runless events and runs that ended are final; a running run may still add steps."""
    if not run_id:
        return True
    run = instance.get_run_by_id(run_id)
    return run is None or run.is_finished


def _latest_storage_id(instance: DagsterInstance, key: AssetKey) -> int:
    records = instance.fetch_materializations(key, limit=1).records
    return records[0].storage_id if records else 0


def _new_records(instance: DagsterInstance, key: AssetKey, after: int) -> Iterable:
    """Materializations of `key` after a storage id, oldest first, of finished runs only."""
    result = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, after_storage_id=after),
        limit=RECORDS_PER_TICK,
        ascending=True,
    )
    for record in result.records:
        if not _finished(instance, record.event_log_entry.run_id):
            return  # this run is still going: look again next tick
        yield record


@sensor(
    name="gap_fill_sensor",
    job=fill_gaps,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs fill_gaps for a player whose sync left gaps (skill_gaps or film_gaps in "
    "raw_match_json's metadata: the API failed for a moment). Reads the event log only.",
)
def gap_fill_sensor(context: SensorEvaluationContext):
    """One fill_gaps run per player whose last finished syncs reported gaps. (A sensor, not an
    automation condition: what triggers it is a number in the metadata, not lineage.)"""
    instance = context.instance
    if context.cursor is None:
        latest = _latest_storage_id(instance, RAW)
        return SensorResult(skip_reason="Watching syncs from now on.", cursor=str(latest))
    cursor = int(context.cursor)
    requests: dict[str, RunRequest] = {}
    for record in _new_records(instance, RAW, cursor):
        cursor = record.storage_id
        meta = record.asset_materialization.metadata
        gamertag = record.partition_key
        gaps = _number(meta, "skill_gaps") + _number(meta, "film_gaps")
        if gaps > 0 and gamertag and gamertag not in requests:
            requests[gamertag] = RunRequest(
                run_key=f"gaps:{gamertag}:{record.storage_id}",
                partition_key=gamertag,
                asset_selection=FETCH_ONLY,
                run_config=FILL_GAPS_CONFIG,
                tags={"levelup/trigger": "sensor:gaps"},
            )
    if not requests:
        return SensorResult(skip_reason="No finished sync left gaps.", cursor=str(cursor))
    return SensorResult(run_requests=list(requests.values()), cursor=str(cursor))


SENSORS = [roster_sensor, gap_fill_sensor]
