"""Run config of the sync: typed fields (the launchpad renders them as a form), set by the jobs.

No asset looks at the job that runs it: `raw_match_json` does what its config says. The sync
jobs give each player partition its default config from the player's settings
(`store/settings.py`: match type; the schedules use the cadence), so a run launched from the
UI, a schedule, a sensor or the CLI syncs the same matches. The launchpad can override any
field; `dagster job execute` takes them with `--config`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from dagster import Config, PartitionedConfig
from pydantic import Field

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.ingest.options import DEFAULT_MAX_MATCHES
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.settings import PlayerSettings, has_settings, load_settings

RAW_OP = "raw_match_json"
MODEL_OP = "model_tables"


class MatchType(StrEnum):
    """Which matches of the history a sync fetches (the API's match types)."""

    all = "all"
    matchmaking = "matchmaking"
    custom = "custom"
    local = "local"


class GapPart(StrEnum):
    """A kind of gap `fill_gaps` can fill (the names `ingest.backfill.plan_backfill` takes)."""

    matches = "matches"
    skill = "skill"
    highlights = "highlights"
    aliases = "aliases"
    names = "names"
    medals = "medals"


#: Run tags that label a run with the options it ran with (labels only: nothing reads them).
LABEL_PREFIX = "levelup/"


class SyncConfig(Config):
    """What one materialization of raw_match_json fetches."""

    mode: Literal["delta", "full", "fill_gaps"] = Field(
        default="delta",
        description="delta: matches played since the last sync; full: walk the history back "
        "to max_matches; fill_gaps: fetch only what stored matches lack (the guide's "
        "--with-backfill), no new match.",
    )
    max_matches: int | None = Field(
        default=None,
        description=f"Most matches to fetch (delta, default {DEFAULT_MAX_MATCHES['delta']}) or "
        f"walk (full, default {DEFAULT_MAX_MATCHES['full']}).",
    )
    match_type: MatchType | None = Field(
        default=None,
        description="Which matches of the history to sync (default: the player's setting, "
        "else matchmaking).",
    )
    with_assets: bool = Field(default=False, description="Also fetch the medal metadata.")
    verbose: bool = Field(default=False, description="Log every API request (never tokens).")
    gap_parts: list[GapPart] = Field(
        default=[part.name for part in GapPart],
        description="fill_gaps only: which gaps to fill (skill, film highlights, aliases, "
        "map/mode/playlist names, medal names).",
    )


def sync_run_config(mode: str, **options: Any) -> dict[str, Any]:
    """Run config of a sync job: raw_match_json's fields (None values left out)."""
    fields = {"mode": mode, **{k: v for k, v in options.items() if v is not None}}
    return {"ops": {RAW_OP: {"config": fields}}}


def model_run_config(**options: Any) -> dict[str, Any]:
    """Run config of the model step (rebuild, measure_gaps)."""
    return {"ops": {MODEL_OP: {"config": options}}}


def merged(*configs: dict[str, Any]) -> dict[str, Any]:
    """One run config from several ops' configs."""
    return {"ops": {op: cfg for c in configs for op, cfg in c.get("ops", {}).items()}}


def player_settings(gamertag: str) -> PlayerSettings:
    """The settings of a player partition: the saved ones, else the roster file's entry for
    the player, else the defaults (also for a key that is no valid gamertag)."""
    root = PlayerStoreResource().root()
    try:
        if has_settings(gamertag, root):
            return load_settings(gamertag, root)
    except InvalidGamertag:
        return PlayerSettings()
    return _roster_settings(gamertag, root)


def _roster_settings(gamertag: str, root) -> PlayerSettings:
    from levelup_pipeline.defs.sensors import RosterError, read_roster, roster_path

    path = roster_path(root)
    try:
        entries = read_roster(path) if path else []
    except RosterError:
        entries = []
    wanted = gamertag.casefold()
    for entry in entries:
        if entry.gamertag.casefold() == wanted:
            defaults = PlayerSettings()
            return PlayerSettings(
                match_type=entry.match_type or defaults.match_type,
                cadence=entry.cadence or defaults.cadence,  # type: ignore[arg-type]
            )
    return PlayerSettings()


def settings_labels(settings: PlayerSettings) -> dict[str, str]:
    """Run tags showing the settings a run started with (labels, read by nothing)."""
    return {
        f"{LABEL_PREFIX}match_type": settings.match_type,
        f"{LABEL_PREFIX}cadence": settings.cadence,
    }


def sync_partitioned_config(mode: str) -> PartitionedConfig:
    """Each player's default run config for a sync job: the mode and the player's settings."""

    def run_config(partition_key: str) -> dict[str, Any]:
        return sync_run_config(mode, match_type=player_settings(partition_key).match_type)

    def tags(partition_key: str) -> dict[str, str]:
        return settings_labels(player_settings(partition_key))

    return PartitionedConfig(
        partitions_def=players_partitions,
        run_config_for_partition_key_fn=run_config,
        tags_for_partition_key_fn=tags,
    )
