"""Where a restore records its intent (see store/restore.py); kept apart so that opening a
store only checks that this file is absent, without importing the restore code."""

from __future__ import annotations

from pathlib import Path

JOURNAL_SUFFIX = ".restore.json"
STAGING_PREFIX = ".restore-"


def restore_journal(db_path: Path) -> Path:
    """`stats.duckdb.restore.json`: present only while a committed restore is unfinished."""
    return db_path.with_name(db_path.name + JOURNAL_SUFFIX)


__all__ = ["JOURNAL_SUFFIX", "STAGING_PREFIX", "restore_journal"]
