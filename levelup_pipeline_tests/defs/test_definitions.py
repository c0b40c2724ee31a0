"""The code location as a whole: a snapshot of what it defines, and Dagster's own validation.

The snapshot (asset keys, groups, deps, partitions, automation, checks, jobs with their
selection and default config, schedules, sensors) is compared with the committed
`definitions_snapshot.json`; a change to the graph shows up as a diff to review. After an
intended change, regenerate it: `LEVELUP_UPDATE_SNAPSHOT=1 pytest levelup_pipeline_tests/defs`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from levelup_pipeline.cli.instance import SHIPPED_DAGSTER_YAML
from levelup_pipeline.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")
DAGSTER = Path(sys.executable).with_name("dagster")


def _label(condition) -> str | None:
    return None if condition is None else (condition.get_label() or condition.name)


def snapshot() -> dict:
    """What the code location defines, as plain sorted JSON."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": getattr(node.partitions_def, "name", None),
            "automation": _label(node.automation_condition),
            "kinds": sorted(node.kinds),
        }
    checks = {}
    for check_key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
        spec = graph.get_check_spec(check_key)
        checks[check_key.to_user_string()] = {"blocking": spec.blocking}
    jobs = {}
    for job in sorted(repo.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        config = job.partitioned_config
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys),
            "partitions": getattr(job.partitions_def, "name", None),
            "default_config": config.get_run_config_for_partition_key("Snapshot")
            if config
            else None,
        }
    schedules = {
        s.name: {"job": s.job_name, "cron": s.cron_schedule, "status": s.default_status.value}
        for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        s.name: {
            "jobs": sorted(j.name for j in s.jobs) if s.has_jobs else [],
            "status": s.default_status.value,
        }
        for s in sorted(repo.sensor_defs, key=lambda s: s.name)
    }
    return {
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": sorted(repo.get_top_level_resources()),
    }


def test_definitions_match_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))  # no player settings: defaults
    current = snapshot()
    if os.environ.get("LEVELUP_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", "utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, (
        "The definitions changed; review the diff and regenerate the snapshot with "
        "LEVELUP_UPDATE_SNAPSHOT=1 if the change is intended."
    )


@pytest.mark.e2e
def test_dagster_definitions_validate(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes(SHIPPED_DAGSTER_YAML.read_bytes())
    env = {**os.environ, "DAGSTER_HOME": str(home), "LEVELUP_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-m", "levelup_pipeline.definitions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    assert "Validation successful" in done.stdout + done.stderr
