"""The fault bed: one simulator + one Dagster instance per test module, a fresh data directory
per test, and (once per module) the database of a fault-free sync to compare against."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from levelup_pipeline.cli.runner import RunOutcome, run_job
from levelup_pipeline.defs.partitions import register_player
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.faults.helpers import (
    CORE_ASSETS,
    Snapshot,
    halo_config,
    reset_knobs,
    snapshot,
)
from levelup_pipeline_tests.harness import Pipeline, isolated_pipeline, sync_config

BED_WORLD = {"seed": 21, "players": 2, "matches": 16}
#: The synthetic world is deterministic, so one fault-free sync serves every module's bed:
#: its snapshot, and its data directory (copied by `FaultBed.synced`).
_BASELINES: dict[tuple, Snapshot] = {}
_BASELINE_DIRS: dict[tuple, Path] = {}
_WORLD_KEY = tuple(sorted(BED_WORLD.items()))


@dataclass
class FaultBed:
    """An isolated installation whose data directory can be swapped between tests."""

    pipeline: Pipeline
    gamertag: str
    _baseline: Snapshot | None = field(default=None, repr=False)

    @property
    def sim(self):
        return self.pipeline.sim

    @property
    def instance(self):
        return self.pipeline.instance

    def use_data_dir(self, path: Path) -> None:
        """Point LEVELUP_DATA_DIR (read at run time by the store resource) at `path`."""
        os.environ["LEVELUP_DATA_DIR"] = str(path)

    def store(self, gamertag: str | None = None) -> PlayerStore:
        return PlayerStore(gamertag or self.gamertag)

    def match_ids(self, gamertag: str | None = None) -> list[str]:
        """The player's matches in the simulated world, newest first."""
        world = self.sim.world
        return world.match_ids_of(world.find_player(gamertag or self.gamertag))

    def sync(
        self, job: str = "full_sync", halo: dict | None = None, **options: object
    ) -> RunOutcome:
        """Run a sync job in-process (what `levelup sync` runs), with fast retries."""
        options = {"match_type": "all", **options}
        config = {**halo_config(**(halo or {})), **sync_config(job, **options)}
        return run_job(
            self.instance, job, self.gamertag, run_config=config, asset_selection=CORE_ASSETS
        )

    def baseline(self) -> Snapshot:
        """The database a fault-free full sync of the same world produces (computed once)."""
        if self._baseline is None:
            self._baseline = _BASELINES.get(_WORLD_KEY)
        if self._baseline is None:
            previous = os.environ["LEVELUP_DATA_DIR"]
            baseline_dir = self.pipeline.root / "baseline"
            self.use_data_dir(baseline_dir)
            reset_knobs(self.sim.knobs)
            try:
                outcome = self.sync()
                assert outcome.success, outcome.error
                self._baseline = snapshot(self.store())
                _BASELINES[_WORLD_KEY] = self._baseline
                _BASELINE_DIRS[_WORLD_KEY] = baseline_dir
            finally:
                self.use_data_dir(Path(previous))
        return self._baseline

    def synced(self) -> Path:
        """Give the test's data dir the fault-free full sync's files (a copy of the baseline's,
        instead of syncing again) with the player registered; returns the database path."""
        self.baseline()
        shutil.copytree(
            _BASELINE_DIRS[_WORLD_KEY], os.environ["LEVELUP_DATA_DIR"], dirs_exist_ok=True
        )
        register_player(self.instance, self.gamertag)
        return self.store().path


@pytest.fixture(scope="module")
def fault_bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultBed]:
    root = tmp_path_factory.mktemp("faultbed")
    with isolated_pipeline(root, **BED_WORLD) as pipeline:
        yield FaultBed(pipeline, pipeline.gamertags()[0])


@pytest.fixture
def bed(fault_bed: FaultBed, tmp_path: Path) -> Iterator[FaultBed]:
    """The module's fault bed with default knobs, zeroed counters and an empty data dir.

    `bed.baseline()` is computed on first use: call it after the test's faulty sync, never
    between setting knobs and syncing (it resets the knobs)."""
    reset_knobs(fault_bed.sim.knobs)
    fault_bed.use_data_dir(tmp_path / "data")
    fault_bed.sim.reset_stats()
    yield fault_bed
    reset_knobs(fault_bed.sim.knobs)
