"""Execute the project's Dagster jobs in this process, on the shared instance.

`levelup sync` is a thin front door: it runs exactly the `delta_sync` / `full_sync` jobs that
the UI, schedules and `dagster job execute` run, with the options passed as run tags.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dagster import AssetKey, DagsterEventType, DagsterInstance

from levelup_pipeline.cli.console_log import cli_console_logger
from levelup_pipeline.cli.run_guard import PlayerBusy, player_turn, process_tags, reap_dead_runs
from levelup_pipeline.defs.partitions import register_player, registered_as


@dataclass
class RunOutcome:
    """How one job run for one player ended."""

    gamertag: str
    job: str
    run_id: str
    success: bool
    error: str | None
    metadata: dict


def _failure_message(result) -> str:
    """The one-sentence description of the first failure of a run."""
    for event in result.all_events:
        if event.event_type != DagsterEventType.STEP_FAILURE:
            continue
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description
        error = data.error
        while error is not None and error.cause is not None:
            error = error.cause  # e.g. "Exceeded max_retries" wraps the real error
        if error is not None:
            return f"{error.cls_name}: {error.message.strip().splitlines()[-1]}"
    return "the run failed; open it in the Dagster UI (make dev) for details"


def _tell(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _materialization_metadata(result) -> dict:
    out: dict = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            key = mat.asset_key.to_user_string()
            out[key] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out


def run_job(
    instance: DagsterInstance,
    job_name: str,
    gamertag: str,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping | None = None,
    log_level: str = "INFO",
    asset_selection: Sequence[AssetKey] | None = None,
) -> RunOutcome:
    """Run `job_name` for one player partition and report how it ended.

    The console shows INFO and up (progress lines, one-sentence errors, no stack traces); every
    event, DEBUG included, is still recorded in the instance and visible in the UI. Runs left
    unfinished by a killed CLI process are cleaned up first, and a second run of the same
    player waits for the first (see `run_guard`). `asset_selection` runs part of the job.
    """
    from levelup_pipeline.definitions import defs

    gamertag = registered_as(instance, gamertag) or gamertag  # one partition per player
    register_player(instance, gamertag)
    reap_dead_runs(instance)
    job = defs.resolve_job_def(job_name).with_logger_defs({"console": cli_console_logger})
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}, **(run_config or {})}
    try:
        with player_turn(instance, gamertag, on_wait=_tell):
            result = job.execute_in_process(
                instance=instance,
                partition_key=gamertag,
                tags={**(tags or {}), **process_tags()},
                run_config=config,
                raise_on_error=False,
                asset_selection=asset_selection,
            )
    except PlayerBusy as exc:
        return RunOutcome(gamertag, job_name, "", False, str(exc), {})
    return RunOutcome(
        gamertag=gamertag,
        job=job_name,
        run_id=result.run_id,
        success=result.success,
        error=None if result.success else _failure_message(result),
        metadata=_materialization_metadata(result),
    )
