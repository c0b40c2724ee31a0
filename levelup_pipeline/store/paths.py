"""Where a player's files live: one player, one folder, found case-insensitively."""

from __future__ import annotations

from pathlib import Path

from levelup_pipeline.store.gamertag import gamertag_key, validate_gamertag

DB_FILENAME = "stats.duckdb"


def player_dir(gamertag: str, data_dir: Path | None = None) -> Path:
    """`<data_dir>/players/<gamertag>`; one differing in case or Unicode form (macOS) is reused."""
    name = validate_gamertag(gamertag)
    if data_dir is None:
        from levelup_pipeline.config import data_dir as default_data_dir

        data_dir = default_data_dir()
    root = Path(data_dir) / "players"
    candidate = root / name
    if not candidate.exists() and root.is_dir():
        wanted = gamertag_key(name)
        for child in root.iterdir():
            if child.is_dir() and gamertag_key(child.name) == wanted:
                return child
    return candidate


def player_db_path(gamertag: str, data_dir: Path | None = None) -> Path:
    return player_dir(gamertag, data_dir) / DB_FILENAME


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def wal(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".wal")


def restore_journal(db_path: Path) -> Path:
    """`stats.duckdb.restore.json`: present only while a committed restore is unfinished."""
    return db_path.with_name(db_path.name + ".restore.json")
