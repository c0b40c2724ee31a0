"""Where a player's files live; a folder is found case-insensitively: one player, one folder."""

from __future__ import annotations

from pathlib import Path

from levelup_pipeline.store.gamertag import gamertag_key, validate_gamertag

DB_FILENAME = "stats.duckdb"


def _root(data_dir: Path | None) -> Path:
    """`<data_dir>/players`: player folders live beside backups, archives and cached assets."""
    if data_dir is None:
        from levelup_pipeline.config import data_dir as default_data_dir

        data_dir = default_data_dir()
    return Path(data_dir) / "players"


def player_dir(gamertag: str, data_dir: Path | None = None) -> Path:
    """The player's folder; an existing one differing only in case or Unicode form (macOS
    stores names decomposed) is reused rather than a second database made for the player."""
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
    return db_path.with_name(db_path.name + ".lock")


def restore_journal(db_path: Path) -> Path:
    """`stats.duckdb.restore.json`: present only while a committed restore is unfinished."""
    return db_path.with_name(db_path.name + ".restore.json")
