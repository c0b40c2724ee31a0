"""Store errors, one sentence each; a full disk is never called damaged (a restore loses data)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import NoReturn

import duckdb


class StoreError(Exception):
    """Base of the store's errors: the CLI prints their sentence as-is."""


class InvalidGamertag(StoreError, ValueError):
    """The gamertag cannot name a player folder (unsafe, or not a real gamertag)."""


class StoreBusy(StoreError):
    """Another process holds the player's database."""


class StoreNotFound(StoreError):
    """The player has no database yet."""


class CorruptDatabase(StoreError):
    """The DuckDB file cannot be opened or read: restore a backup or resync."""


class MaintenanceError(StoreError):
    """A maintenance command was refused or failed; the live database is unchanged."""


class MigrationError(StoreError):
    """A schema migration failed and was rolled back: the file is unchanged."""


class StoreEnvironmentError(StoreError):
    """A full disk or a read-only folder, not damage: what was stored is intact."""


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_DISK_FULL_TEXT = ("no space left on device", "disk quota exceeded", "file too large")
_NOT_WRITABLE_TEXT = ("read-only file system", "permission denied")
_CORRUPTION_MARKERS = ("corrupt", "checksum", "could not read enough bytes", "io error")
_ENVIRONMENT_MARKERS = (*_DISK_FULL_TEXT, "no space left", "disk quota", "read-only", "permission")


def one_line(exc: BaseException | None, limit: int = 160) -> str:
    """An exception's text on one line, cut to `limit` characters."""
    text = " ".join(str(exc or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def damaged(path: Path | str, gamertag: str, why: str) -> CorruptDatabase:
    """The sentence of a damaged database; both commands it names work on a damaged file."""
    return CorruptDatabase(
        f"The database {path} is damaged ({why}); run `levelup restore --player {gamertag}` "
        f"to restore a backup, or `levelup sync --full --player {gamertag}` to rebuild it "
        "from the API."
    )


def environment_error(exc: BaseException, gamertag: str) -> StoreError | None:
    """A full disk or read-only folder worded for the user (DuckDB says ENOSPC many ways)."""
    if isinstance(exc, StoreError):
        return None
    code = exc.errno if isinstance(exc, OSError) else None
    text = str(exc).lower()
    if code in DISK_FULL_ERRNOS or any(t in text for t in _DISK_FULL_TEXT):
        return StoreEnvironmentError(
            f"The disk is full while writing the database of {gamertag}: free some space and "
            "run the command again (the write in progress was rolled back; what was stored "
            "before is intact, no restore is needed)."
        )
    if code in NOT_WRITABLE_ERRNOS or any(t in text for t in _NOT_WRITABLE_TEXT):
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        return StoreEnvironmentError(
            f"Cannot write the database of {gamertag}{where}: its folder is read-only or not "
            "yours; fix the permissions or point LEVELUP_DATA_DIR at a writable folder."
        )
    return None


def is_corruption(exc: BaseException) -> bool:
    """DuckDB errors that mean damaged storage, not a bad query nor the environment."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc).lower()
    if any(marker in text for marker in _ENVIRONMENT_MARKERS):
        return False
    return isinstance(exc, duckdb.IOException | duckdb.InternalException) or any(
        marker in text for marker in _CORRUPTION_MARKERS
    )


def raise_storage_error(
    exc: BaseException,
    path: Path | str,
    gamertag: str,
    corrupt: bool | None = None,
    why: str | None = None,
) -> NoReturn:
    """In an except block: `exc` as the user's error (environment, else damage), else re-raise."""
    mapped = environment_error(exc, gamertag)
    if mapped is None and (is_corruption(exc) if corrupt is None else corrupt):
        mapped = damaged(path, gamertag, why or one_line(exc))
    if mapped is not None:
        raise mapped from exc
    raise
