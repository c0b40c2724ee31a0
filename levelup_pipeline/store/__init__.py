"""DuckDB storage: one file per player, file-locked writers, SQL migrations and aggregates."""

from levelup_pipeline.store.errors import (
    CorruptDatabase,
    InvalidGamertag,
    MigrationError,
    StoreBusy,
    StoreError,
    StoreNotFound,
)
from levelup_pipeline.store.paths import (
    list_player_dirs,
    player_db_path,
    player_dir,
    validate_gamertag,
)
from levelup_pipeline.store.player_store import PlayerStore, RawMatch, RawParts, StoreWriter

__all__ = [
    "CorruptDatabase",
    "InvalidGamertag",
    "MigrationError",
    "PlayerStore",
    "RawMatch",
    "RawParts",
    "StoreBusy",
    "StoreError",
    "StoreNotFound",
    "StoreWriter",
    "list_player_dirs",
    "player_db_path",
    "player_dir",
    "validate_gamertag",
]
