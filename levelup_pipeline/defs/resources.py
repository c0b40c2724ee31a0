"""Dagster resources: the player store (DuckDB, one guarded writer per file).

The Halo API resource lives with the API code in `levelup_pipeline.halo.resource`.
"""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_duckdb import DuckDBResource

from levelup_pipeline.config import data_dir as default_data_dir
from levelup_pipeline.defs import instance_sqlite
from levelup_pipeline.store.paths import player_db_path, validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore, connection_config


class PlayerStoreResource(ConfigurableResource):
    """Opens a player's DuckDB file through dagster-duckdb's `DuckDBResource` (one per player
    file), inside the store's guard: writers take the file lock, check the file and apply the
    migrations; readers are read-only and hold the lock's shared side."""

    data_dir: str | None = None
    session_gap_minutes: int = 45
    lock_timeout_seconds: float = 600.0

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Every run that touches a player's file (CLI, `dagster job execute`, UI run workers)
        commits its run events cheaply while it executes (see `defs/instance_sqlite.py`); the
        files of the previous run of this process are let go (no teardown hook: it would make
        this a context-manager resource, which direct asset invocation cannot use)."""
        instance_sqlite.release()
        instance_sqlite.cheaper_commits()

    def root(self) -> Path:
        """The data directory (config, else `LEVELUP_DATA_DIR`, else the repo's `data/`)."""
        return Path(self.data_dir).resolve() if self.data_dir else default_data_dir()

    def duckdb(self, gamertag: str, read_only: bool = False) -> DuckDBResource:
        """The `DuckDBResource` of one player's file (read-only: access_mode READ_ONLY)."""
        path = player_db_path(validate_gamertag(gamertag), self.root())
        return DuckDBResource(database=str(path), connection_config=connection_config(read_only))

    def for_player(self, gamertag: str) -> PlayerStore:
        """The store of one player (the gamertag is validated before it touches a path)."""
        return PlayerStore(
            gamertag,
            data_dir=self.root(),
            lock_timeout=self.lock_timeout_seconds,
            duckdb=lambda read_only: self.duckdb(gamertag, read_only),
        )
