"""DuckDB storage: one file per player, file-locked writers, SQL migrations and aggregates.

The writer classes are imported on first use: `player_store` pulls in pyarrow and the
transformers, which a read-only caller (`levelup sync`'s delta pre-check) does not need.
"""

from typing import Any

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

_FROM_PLAYER_STORE = ("PlayerStore", "RawMatch", "RawParts", "StoreWriter")

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


def __getattr__(name: str) -> Any:
    if name in _FROM_PLAYER_STORE:
        from levelup_pipeline.store import player_store

        return getattr(player_store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
