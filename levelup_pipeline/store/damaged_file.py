"""`levelup sync --full` on a damaged database: the damaged file is set aside, then rebuilt.

The message of a damaged database recommends `levelup sync --full`; the sync refused the same
file, so the advice could not be followed. Before a full sync, the CLI now reads every block
of the file (under the writer lock); when it is damaged, the database, its write-ahead log and
its archive move to `backups/<gamertag>/replaced-<stamp>/` (kept, like the files a restore
replaces) and the sync starts from an empty database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from levelup_pipeline.store.archive import archive_root
from levelup_pipeline.store.diagnosis import is_corruption
from levelup_pipeline.store.errors import CorruptDatabase
from levelup_pipeline.store.file_check import forget_state, read_every_block
from levelup_pipeline.store.maintenance import (
    REPLACED_PREFIX,
    WAL_SUFFIX,
    _stamp,
    exclusive,
    store_backups,
)
from levelup_pipeline.store.player_store import PlayerStore


def _damaged(store: PlayerStore) -> bool:
    """True when the file cannot be opened or one of its blocks cannot be read."""
    try:
        with store._connect(read_only=True) as con:
            read_every_block(con)
    except CorruptDatabase:
        return True
    except duckdb.Error as exc:
        return is_corruption(exc)
    return False


def set_aside_if_damaged(store: PlayerStore) -> Path | None:
    """Move a damaged database (and its WAL and archive) aside; the folder it went to, or
    None when the file is sound or absent (nothing moved)."""
    if not store.exists():
        return None
    with exclusive(store):
        if not store.exists() or not _damaged(store):
            return None
        aside = store_backups(store) / f"{REPLACED_PREFIX}{_stamp()}"
        aside.mkdir(parents=True)
        wal = store.path.with_name(store.path.name + WAL_SUFFIX)
        forget_state(store.path)
        for path in (store.path, wal, archive_root(store.path)):
            if path.exists():
                shutil.move(str(path), aside / path.name)
        return aside


__all__ = ["set_aside_if_damaged"]
