"""The shipped dagster.yaml: one run per player at a time, a pool for the Halo API.

Two runs for the same player are submitted at once through the QueuedRunCoordinator; the
daemon's own dequeue logic launches the first (and another player's run) and keeps the second
waiting until the first has finished. Nothing is launched for real: this is the queue's
decision, which is what guarantees a player's DuckDB file a single writer.
"""

from __future__ import annotations

import sys

import yaml
from dagster import DagsterRunStatus
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.test_utils import create_run_for_test, instance_for_test
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from levelup_pipeline.cli.instance import SHIPPED_DAGSTER_YAML

MODULE = "levelup_pipeline.definitions"
ORIGIN = RemoteRepositoryOrigin(
    code_location_origin=InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(module_name=MODULE)
    ),
    repository_name="__repository__",
)


def _submit(instance, job: str, gamertag: str):
    """Create a run as the UI/CLI would, then hand it to the instance's run coordinator."""
    run = create_run_for_test(
        instance,
        job_name=job,
        status=DagsterRunStatus.NOT_STARTED,
        tags={"dagster/partition": gamertag},
        remote_job_origin=RemoteJobOrigin(repository_origin=ORIGIN, job_name=job),
        job_code_origin=JobPythonOrigin(
            job, RepositoryPythonOrigin(sys.executable, ModuleCodePointer(MODULE, "defs", None))
        ),
    )
    return instance.submit_run(run.run_id, workspace=None)


def _dequeued(instance) -> list[str]:
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    config = instance.get_concurrency_config()
    runs = daemon._get_runs_to_dequeue(instance, config, fixed_iteration_time=None)  # noqa: SLF001
    return [run.run_id for run in runs]


def test_same_player_runs_wait_for_each_other():
    overrides = yaml.safe_load(SHIPPED_DAGSTER_YAML.read_text(encoding="utf-8"))
    with instance_for_test(overrides=overrides) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 2
        limits = config.run_queue_config.tag_concurrency_limits
        assert {"key": "dagster/partition", "limit": 1} in [
            {"key": lim["key"], "limit": lim["limit"]} for lim in limits
        ]

        sync = _submit(instance, "delta_sync", "Chief117")
        backfill = _submit(instance, "fill_gaps", "Chief117")
        other = _submit(instance, "delta_sync", "Cortana")
        assert {r.status for r in (sync, backfill, other)} == {DagsterRunStatus.QUEUED}
        # Both queued, only the first of Chief117's runs may start (Cortana's runs alongside).
        assert _dequeued(instance) == [sync.run_id, other.run_id]

        # The first is running: the second keeps waiting, other players are not held up.
        instance.run_storage.handle_run_event(sync.run_id, _event(instance, sync, "PIPELINE_START"))
        assert _dequeued(instance) == [other.run_id]

        # The first has finished: now the second may start.
        instance.run_storage.handle_run_event(
            sync.run_id, _event(instance, sync, "PIPELINE_SUCCESS")
        )
        assert _dequeued(instance) == [backfill.run_id, other.run_id]


def _event(instance, run, kind: str):
    from dagster._core.events import DagsterEvent, DagsterEventType

    return DagsterEvent(event_type_value=DagsterEventType(kind).value, job_name=run.job_name)
