"""Run config of the sync (a launchpad form) and each player's defaults: no asset reads its job."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from dagster import Config, PartitionedConfig
from pydantic import Field

from levelup_pipeline.config import data_dir
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.ingest.backfill import PARTS
from levelup_pipeline.ingest.options import DEFAULT_MAX_MATCHES, InvalidSyncOption, options_from
from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import gamertag_key
from levelup_pipeline.store.paths import validate_gamertag
from levelup_pipeline.store.settings import (
    CADENCES,
    MATCH_TYPES,
    PlayerSettings,
    has_settings,
    load_settings,
)

RAW_OP, MODEL_OP = "raw_match_json", "model_tables"
ROSTER_NAMES = ("players.yaml", "players.yml", "players.toml")
ROSTER_KEYS = {"gamertag", "max_matches", "match_type", "cadence"}
FIRST_SYNC_MAX_MATCHES = 1000
MatchType = StrEnum("MatchType", {t: t for t in MATCH_TYPES})
GapPart = StrEnum("GapPart", {p: p for p in PARTS})


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


def labels(**values: object) -> dict[str, str]:
    """Run tags `levelup/<name>` showing what a run started with (labels, read by nothing)."""
    return {f"levelup/{name}": str(value) for name, value in values.items() if value}


class RosterError(ValueError):
    """The roster file cannot be used; the message says which file and what to fix."""


@dataclass(frozen=True)
class RosterEntry:
    """A player of the roster and the options of their first full sync."""

    gamertag: str
    max_matches: int = FIRST_SYNC_MAX_MATCHES
    match_type: str | None = None
    cadence: str | None = None


def roster_path(root: Path) -> Path | None:
    """The roster file of a data directory (players.yaml, .yml or .toml), if any."""
    return next((root / n for n in ROSTER_NAMES if (root / n).is_file()), None)


def _entry(raw: Any, path: Path) -> RosterEntry:
    raw = {"gamertag": raw} if isinstance(raw, str) else raw
    if not isinstance(raw, dict) or not isinstance(raw.get("gamertag"), str):
        raise RosterError(f"{path}: each player must be a gamertag or have a 'gamertag' key.")
    if unknown := set(raw) - ROSTER_KEYS:
        raise RosterError(f"{path}: unknown key(s) {sorted(unknown)} for {raw['gamertag']!r}.")
    match_type, cadence = raw.get("match_type"), raw.get("cadence")
    try:
        gamertag = validate_gamertag(raw["gamertag"])
        max_matches = raw.get("max_matches", FIRST_SYNC_MAX_MATCHES)
        options = options_from("full", {"max_matches": max_matches, "match_type": match_type})
    except (InvalidGamertag, InvalidSyncOption) as exc:
        raise RosterError(f"{path}: {exc}") from None
    if cadence is not None and cadence not in CADENCES:
        raise RosterError(f"{path}: cadence must be one of {', '.join(CADENCES)}, got {cadence!r}.")
    return RosterEntry(gamertag, options.max_matches, match_type or None, cadence)


def read_roster(path: Path) -> list[RosterEntry]:
    """Parse a roster file (YAML or TOML, see docs); RosterError with one sentence if bad."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RosterError(f"{path} could not be read ({first_line}); fix the file.") from None
    players = data.get("players") if isinstance(data, dict) else data
    if players is not None and not isinstance(players, list):
        raise RosterError(f"{path}: 'players' must be a list of gamertags.")
    entries: dict[str, RosterEntry] = {}
    for raw in players or []:
        entry = _entry(raw, path)
        entries.setdefault(gamertag_key(entry.gamertag), entry)  # case variants: one player
    return list(entries.values())


def player_settings(gamertag: str) -> PlayerSettings:
    """The player's saved settings, else their roster entry's, else the defaults."""
    root = data_dir()
    try:
        if has_settings(gamertag, root):
            return load_settings(gamertag, root)
    except InvalidGamertag:
        return PlayerSettings()
    try:
        path = roster_path(root)
        entries = read_roster(path) if path else []
    except RosterError:
        entries = []
    defaults = PlayerSettings()
    for entry in entries:
        if gamertag_key(entry.gamertag) == gamertag_key(gamertag):
            return PlayerSettings(
                match_type=entry.match_type or defaults.match_type,
                cadence=entry.cadence or defaults.cadence,  # type: ignore[arg-type]
            )
    return defaults


def sync_partitioned_config(mode: str) -> PartitionedConfig:
    """Each player's default run config for a sync job: the mode and the player's settings."""

    def run_config(partition_key: str) -> dict[str, Any]:
        return sync_run_config(mode, match_type=player_settings(partition_key).match_type)

    def tags(partition_key: str) -> dict[str, str]:
        settings = player_settings(partition_key)
        return labels(match_type=settings.match_type, cadence=settings.cadence)

    return PartitionedConfig(
        partitions_def=players_partitions,
        run_config_for_partition_key_fn=run_config,
        tags_for_partition_key_fn=tags,
    )
