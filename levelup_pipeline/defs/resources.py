"""The player store resource (the Halo API's is `halo/resource.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource, Failure, InitResourceContext
from dagster_duckdb import DuckDBResource

from levelup_pipeline.config import data_dir as default_data_dir
from levelup_pipeline.defs import instance_sqlite
from levelup_pipeline.store.paths import player_db_path, validate_gamertag
from levelup_pipeline.store.player_store import PlayerStore, connection_config


class PlayerStoreResource(ConfigurableResource):
    """A player's DuckDB file through dagster-duckdb's `DuckDBResource`, inside the store's
    guard (writers: file lock, checks, migrations; readers: read-only, shared lock)."""

    data_dir: str | None = None
    session_gap_minutes: int = 45
    lock_timeout_seconds: float = 600.0

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Cheap event commits (`instance_sqlite`); not a teardown: direct invocation needs none."""
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


@contextmanager
def failing_on(*errors: type[Exception]) -> Iterator[None]:
    """These errors fail the step with their one-sentence message: a retry would not fix them."""
    try:
        yield
    except errors as exc:
        raise Failure(description=str(exc), allow_retries=False) from None


def never_synced(gamertag: str) -> Failure:
    """The Failure of a step that needs the player's first sync."""
    return Failure(
        description=f"Player {gamertag} has never been synced: run delta_sync or full_sync first.",
        allow_retries=False,
    )
