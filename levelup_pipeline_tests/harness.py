"""An isolated LevelUp installation for end-to-end tests: temp data dir and DAGSTER_HOME,
a running simulator, and the same functions the CLI uses to register players and run jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance

from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.cli.players_cmd import add_player
from levelup_pipeline.cli.runner import RunOutcome, run_job
from levelup_pipeline.config import INSTALLATION_ENV
from levelup_pipeline.defs.config import sync_run_config
from levelup_pipeline.simulator.server import RunningSimulator, run_simulator
from levelup_pipeline.store.player_store import PlayerStore

ISOLATED_ENV = INSTALLATION_ENV


def sync_config(job: str, **options: object) -> dict:
    """Run config of a sync job (`full_sync` walks the history, any other job is a delta)."""
    return sync_run_config("full" if job == "full_sync" else "delta", **options)


@dataclass
class Pipeline:
    """Handles of one isolated installation."""

    root: Path
    sim: RunningSimulator
    instance: DagsterInstance

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def gamertags(self) -> list[str]:
        """The simulator's named players."""
        return [p.gamertag for p in self.sim.world.players]

    def add(self, gamertag: str) -> str:
        """`levelup players add`; returns the XUID."""
        return add_player(gamertag)[0]

    def sync(self, gamertag: str, job: str = "delta_sync", **options: object) -> RunOutcome:
        """Run a sync job like `levelup sync` does (options become raw_match_json's config)."""
        return run_job(self.instance, job, gamertag, run_config=sync_config(job, **options))

    def store(self, gamertag: str) -> PlayerStore:
        return PlayerStore(gamertag, data_dir=self.data_dir)


@contextmanager
def isolated_pipeline(root: Path, rps: float = 500, **sim_kwargs: object) -> Iterator[Pipeline]:
    """Start a simulator and point LevelUp's env at it and at `root`; restore env after."""
    saved = {name: os.environ.get(name) for name in ISOLATED_ENV}
    for name in ISOLATED_ENV:
        os.environ.pop(name, None)
    try:
        os.environ["LEVELUP_DATA_DIR"] = str(root / "data")
        os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
        os.environ["LEVELUP_TOKEN_FILE"] = str(root / "token" / "refresh_token.json")
        os.environ["LEVELUP_HALO_RPS"] = str(rps)
        with run_simulator(**sim_kwargs) as sim:
            os.environ["LEVELUP_HALO_ENDPOINT"] = sim.endpoint
            yield Pipeline(root=root, sim=sim, instance=get_instance())
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
