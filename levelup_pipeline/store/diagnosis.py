"""What a storage error means for the user: a damaged file, a full disk, a read-only folder.

One place decides, so every command words the same cause the same way: a full disk is never
called a damaged file (restoring a backup would then throw newer matches away), and a damaged
file always ends with what to do about it.
"""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb

from levelup_pipeline.store.errors import (
    CorruptDatabase,
    StoreDiskFull,
    StoreError,
    StoreNotWritable,
)

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}
_DISK_FULL_TEXT = ("no space left on device", "disk quota exceeded", "file too large")
_NOT_WRITABLE_TEXT = ("read-only file system", "permission denied")
_CORRUPTION_MARKERS = ("corrupt", "checksum", "could not read enough bytes", "io error")
_ENVIRONMENT_MARKERS = (*_DISK_FULL_TEXT, "no space left", "disk quota", "read-only", "permission")


def restore_hint(gamertag: str) -> str:
    """What to do about a damaged database: both commands work on a damaged file (a full sync
    sets the damaged file aside itself, see store/damaged_file.py)."""
    return (
        f"run `levelup restore --player {gamertag}` to restore a backup, or "
        f"`levelup sync --full --player {gamertag}` to rebuild it from the API"
    )


def one_line(exc: BaseException | None, limit: int = 160) -> str:
    """An exception's text on one line, cut to `limit` characters."""
    text = " ".join(str(exc or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def environment_error(exc: BaseException, gamertag: str) -> StoreError | None:
    """A full disk or a read-only folder (OSError or DuckDB error), worded for the user; None
    for anything else. DuckDB reports ENOSPC as IO, Transaction or Internal errors alike."""
    if isinstance(exc, StoreError):
        return None
    code = exc.errno if isinstance(exc, OSError) else None
    text = str(exc).lower()
    if code in _DISK_FULL or any(t in text for t in _DISK_FULL_TEXT):
        return StoreDiskFull(
            f"The disk is full while writing the database of {gamertag}: free some space and "
            "run the command again (the write in progress was rolled back; what was stored "
            "before is intact, no restore is needed)."
        )
    if code in _NOT_WRITABLE or any(t in text for t in _NOT_WRITABLE_TEXT):
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        return StoreNotWritable(
            f"Cannot write the database of {gamertag}{where}: its folder is read-only or not "
            "yours; fix the permissions or point LEVELUP_DATA_DIR at a writable folder."
        )
    return None


def is_corruption(exc: BaseException) -> bool:
    """True for DuckDB errors that mean damaged storage (not a bad query, a full disk or a
    read-only folder: those are the environment's, and restoring would not help)."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc).lower()
    if any(marker in text for marker in _ENVIRONMENT_MARKERS):
        return False
    return isinstance(exc, duckdb.IOException | duckdb.InternalException) or any(
        marker in text for marker in _CORRUPTION_MARKERS
    )


def storage_error(exc: BaseException, path: Path, gamertag: str) -> StoreError | None:
    """The user's error for a storage failure: full disk / read-only folder first, then a
    damaged file (with what to do); None when `exc` is neither (a bug, a bad query)."""
    mapped = environment_error(exc, gamertag)
    if mapped is not None:
        return mapped
    if is_corruption(exc):
        return CorruptDatabase(
            f"The database {path} is damaged ({one_line(exc)}); {restore_hint(gamertag)}."
        )
    return None


def missing_bytes(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bytes the file lacks to hold the blocks in use its header counts (0 when it can).

    Why: DuckDB opens a truncated file as long as the blocks it reads first are in it, and
    `levelup stats` then answered from half a database. Every block in use has its own place
    in the file, so a shorter file lost some (free blocks at the end may be cut, so the
    total count is no bound). Skipped while a WAL waits to be replayed.
    """
    if Path(f"{path}.wal").exists():
        return 0
    rows = con.execute(
        "SELECT block_size * used_blocks FROM pragma_database_size()"
        " WHERE database_name = current_database()"
    ).fetchall()
    expected = int(rows[0][0]) if rows and rows[0][0] is not None else 0
    return max(0, expected - path.stat().st_size)


def is_lock_error(exc: BaseException) -> bool:
    """DuckDB's 'another process holds this file' error."""
    text = str(exc).lower()
    return "lock" in text and ("could not set" in text or "conflicting" in text)


__all__ = [
    "environment_error",
    "is_corruption",
    "is_lock_error",
    "missing_bytes",
    "one_line",
    "restore_hint",
    "storage_error",
]
