"""The Dagster instance the CLI shares with the UI (same DAGSTER_HOME: its runs show there)."""

from __future__ import annotations

import os
from pathlib import Path

import filelock
from dagster import DagsterInstance

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.config import PROJECT_ROOT, dagster_home
from levelup_pipeline.defs.instance_sqlite import cheaper_commits
from levelup_pipeline.defs.partitions import registered_players
from levelup_pipeline.defs.run_lock import mirror_players

SHIPPED_DAGSTER_YAML = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at the project-local folder (unless set) and create it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and SHIPPED_DAGSTER_YAML.exists() and target != SHIPPED_DAGSTER_YAML:
        write_atomic(target, SHIPPED_DAGSTER_YAML.read_bytes())  # a concurrent CLI reads it
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance() -> DagsterInstance:
    """The instance, opened under a file lock: two CLIs creating its storages corrupt them."""
    cheaper_commits()  # the run executes in this process (see defs/instance_sqlite.py)
    home = ensure_dagster_home()
    with filelock.FileLock(str(home / ".instance.lock"), timeout=120):
        return DagsterInstance.get()


def mirror_registered(instance: DagsterInstance) -> list[str]:
    """Dagster's registered players, mirrored for the CLI's reads without Dagster."""
    players = registered_players(instance)
    mirror_players(players, Path(instance.root_directory))
    return players
