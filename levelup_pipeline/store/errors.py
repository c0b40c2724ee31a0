"""Store errors: each one carries a single sentence the CLI can print as-is."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error raised by levelup_pipeline.store."""


class InvalidGamertag(StoreError, ValueError):
    """The gamertag cannot name a player folder (it would be unsafe or is not a real gamertag)."""


class StoreBusy(StoreError):
    """Another process holds the player's database for writing."""


class StoreNotFound(StoreError):
    """The player has no database yet."""


class CorruptDatabase(StoreError):
    """The DuckDB file cannot be opened or read: restore a backup or resync."""


class MigrationError(StoreError):
    """A schema migration failed; the transaction was rolled back and the file is unchanged."""


class StoreDiskFull(StoreError):
    """The disk is full: the write in progress was rolled back, what was stored stays intact."""


class StoreNotWritable(StoreError):
    """The player's folder is read-only or not writable by this user."""
