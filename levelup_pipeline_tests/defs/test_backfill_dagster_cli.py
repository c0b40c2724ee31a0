"""A Dagster partition backfill (`dagster job backfill -j fill_gaps --partitions ...`): one queued
run per player."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from levelup_pipeline.cli.instance import SHIPPED_DAGSTER_YAML

pytestmark = pytest.mark.e2e
DAGSTER = Path(sys.executable).with_name("dagster")


def test_partition_backfill_queues_one_run_per_player(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(SHIPPED_DAGSTER_YAML, home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LEVELUP_DATA_DIR": str(tmp_path / "data")}
    players = ["Chief117", "Cortana"]
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions("players", players)
    command = [str(DAGSTER), "job", "backfill", "-m", "levelup_pipeline.definitions"]
    command += ["-j", "fill_gaps", "--partitions", ",".join(players), "--noprompt"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        runs = instance.get_runs()
    assert sorted(r.tags["dagster/partition"] for r in runs) == players
    assert {r.job_name for r in runs} == {"fill_gaps"}
    assert {r.status for r in runs} == {DagsterRunStatus.QUEUED}  # the daemon launches them
    assert len({r.tags["dagster/backfill"] for r in runs}) == 1
