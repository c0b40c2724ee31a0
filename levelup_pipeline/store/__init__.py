"""DuckDB storage: one file per player, file-locked writers, SQL migrations and aggregates.

The writer classes are imported on first use: they pull in pyarrow and the transformers, which
a read-only caller (`levelup sync`'s delta pre-check) does not need.
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

_LAZY = {
    "PlayerStore": "player_store",
    "RawMatch": "raw_writes",
    "RawParts": "raw_writes",
    "StoreWriter": "writer",
}

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
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
