"""The sync jobs also run through Dagster's own CLI, on the same instance as `levelup sync`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from levelup_pipeline.defs.config import sync_run_config

pytestmark = pytest.mark.e2e
DAGSTER = Path(sys.executable).parent / "dagster"


def test_dagster_job_execute_with_partition_and_run_config(pipeline):
    gamertag = pipeline.gamertags()[0]
    pipeline.add(gamertag)
    config = pipeline.root / "delta.yaml"  # JSON is YAML
    config.write_text(json.dumps(sync_run_config("delta", match_type="all")), encoding="utf-8")
    result = subprocess.run(
        [str(DAGSTER), "job", "execute", "-m", "levelup_pipeline.definitions", "-j", "delta_sync"]
        + ["--tags", json.dumps({"dagster/partition": gamertag}), "--config", str(config)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    xuid = pipeline.sim.world.find_player(gamertag)
    with pipeline.store(gamertag).reader() as conn:
        stored = conn.execute("SELECT count(*) FROM match_stats").fetchone()[0]
    assert stored == len(pipeline.sim.world.match_ids_of(xuid))
    runs = pipeline.instance.get_runs()
    assert runs and runs[0].tags["dagster/partition"] == gamertag
