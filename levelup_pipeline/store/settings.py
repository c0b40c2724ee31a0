"""Per-player sync settings: which matches to sync and how often, remembered per player.

`levelup players add GT --cadence weekly --match-type all` (or an explicit `levelup sync
--match-type ...`) stores them in `<data>/players/<gamertag>/settings.json`, beside the
player's database, so a rename or an archive takes them along. The Dagster jobs read them as
the default run config of the player's partition (launchpad, schedules, sensors) and the CLI as
the default of its options: one setting, every way of starting a sync.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from levelup_pipeline.store.paths import player_dir

SETTINGS_FILENAME = "settings.json"
CADENCES = ("daily", "weekly")
MATCH_TYPES = ("all", "matchmaking", "custom", "local")
Cadence = Literal["daily", "weekly"]


class InvalidSetting(ValueError):
    """A setting outside its valid values; the message lists the valid ones."""


@dataclass(frozen=True)
class PlayerSettings:
    """What a player's syncs do unless a run says otherwise."""

    match_type: str = "matchmaking"
    cadence: Cadence = "daily"

    def validated(self) -> PlayerSettings:
        """Return self, or raise InvalidSetting with one sentence."""
        if self.match_type not in MATCH_TYPES:
            raise InvalidSetting(
                f"Unknown match type {self.match_type!r}: use one of {', '.join(MATCH_TYPES)}."
            )
        if self.cadence not in CADENCES:
            raise InvalidSetting(
                f"Unknown cadence {self.cadence!r}: use one of {', '.join(CADENCES)}."
            )
        return self


def settings_path(gamertag: str, data_dir: Path | None = None) -> Path:
    """`<data>/players/<gamertag>/settings.json`."""
    return player_dir(gamertag, data_dir) / SETTINGS_FILENAME


def load_settings(gamertag: str, data_dir: Path | None = None) -> PlayerSettings:
    """The player's settings; defaults when none were saved or the file is unreadable
    (a sync must never fail because of a settings file: it falls back to the defaults)."""
    try:
        raw = json.loads(settings_path(gamertag, data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return PlayerSettings()
    if not isinstance(raw, dict):
        return PlayerSettings()
    known = {k: v for k, v in raw.items() if k in PlayerSettings.__dataclass_fields__}
    try:
        return PlayerSettings(**known).validated()
    except (InvalidSetting, TypeError):
        return PlayerSettings()


def has_settings(gamertag: str, data_dir: Path | None = None) -> bool:
    """True when settings were saved for the player."""
    return settings_path(gamertag, data_dir).is_file()


def save_settings(
    gamertag: str,
    data_dir: Path | None = None,
    *,
    match_type: str | None = None,
    cadence: str | None = None,
) -> PlayerSettings:
    """Change the given settings (None keeps the current value); written atomically."""
    current = load_settings(gamertag, data_dir)
    changes = {"match_type": match_type, "cadence": cadence}
    updated = replace(current, **{k: v for k, v in changes.items() if v is not None}).validated()
    path = settings_path(gamertag, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{SETTINGS_FILENAME}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(asdict(updated), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return updated
