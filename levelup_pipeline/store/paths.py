"""Where a player's files live. The gamertag is checked (`store.gamertag`) before it becomes a
folder name, and a folder is found case-insensitively: one player, one folder.
"""

from __future__ import annotations

from pathlib import Path

from levelup_pipeline.store.errors import InvalidGamertag
from levelup_pipeline.store.gamertag import (
    MAX_GAMERTAG_LENGTH,
    gamertag_key,
    validate_gamertag,
)

DB_FILENAME = "stats.duckdb"
PLAYERS_SUBDIR = "players"
LOCK_SUFFIX = ".lock"

__all__ = [
    "DB_FILENAME",
    "MAX_GAMERTAG_LENGTH",
    "list_player_dirs",
    "lock_path",
    "player_db_path",
    "player_dir",
    "validate_gamertag",
]


def _root(data_dir: Path | None) -> Path:
    """`<data_dir>/players`: player folders live beside backups, archives and cached assets."""
    if data_dir is not None:
        return Path(data_dir) / PLAYERS_SUBDIR
    from levelup_pipeline.config import data_dir as default_data_dir

    return default_data_dir() / PLAYERS_SUBDIR


def player_dir(gamertag: str, data_dir: Path | None = None) -> Path:
    """The player's folder. Gamertags are case-insensitive, so an existing folder differing
    only in case (or in Unicode form: macOS stores names decomposed) is reused instead of
    creating a second database for the same player."""
    name = validate_gamertag(gamertag)
    root = _root(data_dir)
    candidate = root / name
    if not candidate.exists() and root.is_dir():
        wanted = gamertag_key(name)
        for child in root.iterdir():
            if child.is_dir() and gamertag_key(child.name) == wanted:
                return child
    return candidate


def player_db_path(gamertag: str, data_dir: Path | None = None) -> Path:
    """The player's DuckDB file: <data_dir>/players/<gamertag>/stats.duckdb."""
    return player_dir(gamertag, data_dir) / DB_FILENAME


def lock_path(db_path: Path) -> Path:
    """The file lock that serialises writers: stats.duckdb.lock next to the database."""
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def list_player_dirs(data_dir: Path | None = None) -> list[Path]:
    """Player folders under <data_dir>/players (valid gamertag names only), sorted by name."""
    root = _root(data_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if not child.is_dir():
            continue
        try:
            validate_gamertag(child.name)
        except InvalidGamertag:
            continue
        if child.name == child.name.strip():
            found.append(child)
    return sorted(found, key=lambda p: gamertag_key(p.name))
