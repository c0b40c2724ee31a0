"""Every job's executor: in process, holding the player's run lock (`run_lock`) for the whole
run, whoever launched it (docs/orchestration.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

from dagster import DagsterEvent, executor, in_process_executor
from dagster._core.executor.in_process import InProcessExecutor

from levelup_pipeline.defs import run_lock

PARTITION_TAG = "dagster/partition"
_start_up_frozen = False


def freeze_start_up() -> None:
    """Once per process: what start-up loaded lives on, so it leaves the cyclic GC, whose full
    passes over it stalled the sync 100-200 ms each (benchmarks/README.md, figure B)."""
    global _start_up_frozen
    if not _start_up_frozen:
        gc.freeze()
        _start_up_frozen = True
    gc.enable()


class PlayerRunExecutor(InProcessExecutor):
    """Steps in this process, one after the other, while the player's run lock is held."""

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        freeze_start_up()
        gamertag = plan_context.dagster_run.tags.get(PARTITION_TAG)
        if not gamertag:
            yield from super().execute(plan_context, execution_plan)
            return
        home = Path(plan_context.instance.root_directory)
        with run_lock.player_run_lock(gamertag, home, on_wait=plan_context.log.info):
            run_lock.mirror_add(gamertag, home)  # a partition the UI or a sensor added
            run_lock.record_run(gamertag, plan_context.run_id, "STARTED", home)
            status = "FAILURE"
            try:
                failed = False
                for event in super().execute(plan_context, execution_plan):
                    failed = failed or event.is_step_failure
                    yield event
                status = "FAILURE" if failed else "SUCCESS"
            finally:
                run_lock.record_run(gamertag, plan_context.run_id, status, home)


@executor(name="in_process", config_schema=in_process_executor.config_schema)
def player_run_executor(init_context) -> PlayerRunExecutor:
    """`in_process_executor` with the player's run lock (same config)."""
    inner = in_process_executor.executor_creation_fn(init_context)
    return PlayerRunExecutor(inner.retries, inner.step_dependency_config, inner.marker_to_close)
