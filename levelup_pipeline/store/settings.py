"""Per-player sync settings beside the database: one default for every way of starting a sync."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.halo.spnkr_light import MATCH_TYPES
from levelup_pipeline.store.paths import player_dir

SETTINGS_FILENAME = "settings.json"
CADENCES = ("daily", "weekly")
Cadence = Literal["daily", "weekly"]


class InvalidSetting(ValueError):
    """A setting outside its valid values (the message lists them)."""


@dataclass(frozen=True)
class PlayerSettings:
    """What a player's syncs do unless a run says otherwise."""

    match_type: str = "matchmaking"
    cadence: Cadence = "daily"

    def validated(self) -> PlayerSettings:
        for name, value, valid in (
            ("match type", self.match_type, MATCH_TYPES),
            ("cadence", self.cadence, CADENCES),
        ):
            if value not in valid:
                raise InvalidSetting(f"Unknown {name} {value!r}: use one of {', '.join(valid)}.")
        return self


def settings_path(gamertag: str, data_dir: Path | None = None) -> Path:
    return player_dir(gamertag, data_dir) / SETTINGS_FILENAME


def load_settings(gamertag: str, data_dir: Path | None = None) -> PlayerSettings:
    """The player's settings; the defaults when none were saved or they are unreadable."""
    try:
        raw = json.loads(settings_path(gamertag, data_dir).read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in PlayerSettings.__dataclass_fields__}
        return PlayerSettings(**known).validated()
    except (OSError, ValueError, AttributeError, TypeError):  # InvalidSetting is a ValueError
        return PlayerSettings()


def has_settings(gamertag: str, data_dir: Path | None = None) -> bool:
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
    write_atomic(path, (json.dumps(asdict(updated), indent=2) + "\n").encode("utf-8"))
    return updated
