"""Read what `levelup sync`'s delta pre-check needs from the Dagster instance without importing
Dagster (importing it costs more than the whole pre-check): registered players and the runs
of a player's partition, straight from the instance's SQLite files, read-only.

Only the default layout of an instance under DAGSTER_HOME is read: `history/runs.db` (runs)
and `history/runs/index.db` (dynamic partitions). A dagster.yaml that configures storage
(e.g. PostgreSQL), a missing file or an unexpected schema answers None, and the caller goes
through the Dagster API instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import yaml

from levelup_pipeline.config import dagster_home

#: Same name as `defs.partitions.PLAYERS_PARTITION_NAME` (a test keeps them equal).
PLAYERS_PARTITION_NAME = "players"
#: dagster.yaml keys that move a storage away from the SQLite files read here.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")
#: Run statuses of a run that has not ended (queued ones included: they will run).
UNFINISHED_STATUSES = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


@dataclass(frozen=True)
class PartitionRuns:
    """The runs of one player partition: how many have not ended, how the latest one ended."""

    unfinished: int
    latest_status: str | None


def _sqlite_home(home: Path | None) -> Path | None:
    """The instance folder when its storages are the default SQLite files, else None."""
    home = home or dagster_home()
    config = home / "dagster.yaml"
    try:
        settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(settings, dict) or any(key in settings for key in STORAGE_KEYS):
        return None
    return home


def _query(db: Path, sql: str, params: tuple = ()) -> list[tuple] | None:
    """Rows of one read-only query, or None when the file or table cannot be read."""
    if not db.is_file():
        return None
    try:
        con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None


def registered_players(home: Path | None = None) -> list[str] | None:
    """Gamertags registered as partitions, in registration order (None: cannot tell)."""
    root = _sqlite_home(home)
    if root is None:
        return None
    rows = _query(
        root / "history" / "runs" / "index.db",
        "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = ? ORDER BY id",
        (PLAYERS_PARTITION_NAME,),
    )
    return None if rows is None else [str(r[0]) for r in rows]


def partition_runs(gamertag: str, home: Path | None = None) -> PartitionRuns | None:
    """Unfinished runs and the latest run's status of a player partition (None: cannot tell)."""
    root = _sqlite_home(home)
    if root is None:
        return None
    marks = ",".join("?" for _ in UNFINISHED_STATUSES)
    rows = _query(
        root / "history" / "runs.db",
        f"SELECT (SELECT count(*) FROM runs WHERE partition = ? AND status IN ({marks})),"
        " (SELECT status FROM runs WHERE partition = ? ORDER BY id DESC LIMIT 1)",
        (gamertag, *UNFINISHED_STATUSES, gamertag),
    )
    if not rows:
        return None
    unfinished, latest = rows[0]
    return PartitionRuns(int(unfinished), None if latest is None else str(latest))
