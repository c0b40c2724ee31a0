"""Execute the project's Dagster jobs in this process, as the UI's runs (docs/orchestration.md);
runs a killed CLI left STARTED are failed first, or they would keep their pool slots."""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterInvalidConfigError,
    DagsterRunStatus,
    Field,
    InitLoggerContext,
    RunsFilter,
    logger,
)
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import create_execution_plan, execute_run
from dagster._core.execution.execute_in_process import merge_run_tags
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from levelup_pipeline.config import PROJECT_ROOT
from levelup_pipeline.defs.partitions import register_player, registered_as

#: The code location as workspace.yaml and `dg dev` name it (pyproject's [tool.dagster]).
MODULE = "levelup_pipeline.definitions"


PID_TAG = "levelup/cli_pid"
HOST_TAG = "levelup/cli_host"
STARTED_TAG = "levelup/cli_process_start"
UNFINISHED = [DagsterRunStatus.NOT_STARTED, *ACTIVE_RUN_STATUSES]


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), or None where /proc is unavailable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run (its start time tells a reused pid apart)."""
    fields = _proc_stat(os.getpid()) or []
    started = fields[19] if len(fields) > 19 else ""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), STARTED_TAG: started}


def process_alive(pid: int, start_marker: str = "") -> bool:
    """Whether `pid` still runs and is the same process (not a zombie, not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _proc_stat(pid)
    if fields is None:
        return True
    if fields[0] == "Z":
        return False
    return not start_marker or len(fields) <= 19 or fields[19] == start_marker


def reap_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail the unfinished CLI runs of this host whose process is gone, freeing their slots."""
    filters = RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()})
    reaped = []
    for run in instance.get_runs(filters=filters):
        try:
            pid = int(run.tags.get(PID_TAG, ""))
        except ValueError:
            continue
        if pid == os.getpid() or process_alive(pid, run.tags.get(STARTED_TAG, "")):
            continue
        instance.report_run_failed(
            run,
            message=(
                f"The levelup process {pid} running this sync ended without finishing it "
                "(killed or crashed); marked failed so its pool slot is freed. The next sync "
                "resumes where it stopped."
            ),
        )
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped


_FAILURE_EVENTS = {"STEP_FAILURE", "PIPELINE_FAILURE", "RUN_FAILURE"}
_FORMAT = "%(asctime)s - dagster - %(levelname)s - %(message)s"
_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class NoTracebacks(logging.Filter):
    """Drop failure events and downstream 'Not executing' lines; cut stack traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        event = getattr(record, "dagster_event", None)
        if getattr(event, "event_type_value", None) in _FAILURE_EVENTS:
            return False
        message = record.getMessage()
        if "Not executing." in message and "Dependencies for step" in message:
            return False
        if "Stack Trace:" in message or "Traceback (most recent call last)" in message:
            record.msg = message.split("\n\n", 1)[0]
            record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


@logger(
    {"log_level": Field(str, is_required=False, default_value="INFO")},
    description="Console lines of CLI runs: progress and warnings, no stack traces.",
)
def cli_console_logger(init_context: InitLoggerContext) -> logging.Logger:
    """A stderr logger at the configured level, filtered by NoTracebacks."""
    level = logging.getLevelName(str(init_context.logger_config["log_level"]).upper())
    log = logging.Logger("dagster", level=level if isinstance(level, int) else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE_FORMAT))
    log.addHandler(handler)
    log.addFilter(NoTracebacks())
    return log


@dataclass
class RunOutcome:
    """How one job run for one player ended."""

    gamertag: str
    job: str
    run_id: str
    success: bool
    error: str | None
    metadata: dict
    check_failures: list[str] = field(default_factory=list)
    check_warnings: list[str] = field(default_factory=list)


def _events(result, event_type: DagsterEventType) -> list:
    return [e for e in result.all_events if e.event_type == event_type]


def _failure_message(result) -> str:
    """The one-sentence description of the first failure of a run."""
    for event in _events(result, DagsterEventType.STEP_FAILURE):
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description
        error = data.error
        while error is not None and error.cause is not None:
            error = error.cause  # e.g. "Exceeded max_retries" wraps the real error
        if error is not None:
            return f"{error.cls_name}: {error.message.strip().splitlines()[-1]}"
    for event in _events(result, DagsterEventType.RUN_FAILURE):  # outside steps: PlayerBusy
        if error := event.job_failure_data.error:
            return error.message.strip().splitlines()[-1].split(f"{error.cls_name}: ", 1)[-1]
    return "the run failed; open it in the Dagster UI (make dev) for details"


def _check_sentences(result, gamertag: str) -> tuple[list[str], list[str]]:
    """(errors, warnings): one sentence per failed check; `levelup sync` prefixes an error's."""
    errors: list[str] = []
    warnings: list[str] = []
    for event in _events(result, DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.event_specific_data
        if evaluation.passed:
            continue
        values = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        found = ", ".join(
            f"{k.replace('_', ' ')}: {v}"
            for k, v in values.items()
            if isinstance(v, int) and not isinstance(v, bool) and v
        )
        looks_for = (evaluation.description or "").rstrip(".")
        what = f"the data check {evaluation.check_name} failed" + (f" ({found})" if found else "")
        if looks_for:
            what += f": {looks_for[:1].lower()}{looks_for[1:]}"
        run = f"run {result.run_id[:8]} in the Dagster UI (make dev)"
        if evaluation.severity == AssetCheckSeverity.WARN:
            warnings.append(f"{gamertag}: warning: {what}; the {run} lists them.")
        else:
            errors.append(f"{what}; the synced data is stored, the {run} has the details.")
    return errors, warnings


def _config_error(job_name: str, exc: DagsterInvalidConfigError) -> str:
    """One sentence for run config Dagster refused, with the valid values of an enum field."""
    if not exc.errors:
        return f"Invalid run config for {job_name}: {str(exc).splitlines()[0]}"
    error = exc.errors[0]
    text = " ".join(error.message.split("Stack Trace:")[0].split())  # Dagster appends its own
    unset = re.search(r'environment variable "([^"]+)" which is not set', text)
    if unset:
        text = f"it reads the environment variable {unset[1]}, which is not set; set it and retry"
    message = f"Invalid run config for {job_name}: {text}"
    snap = getattr(error.error_data, "config_type_snap", None)
    values = [v.value for v in (getattr(snap, "enum_values", None) or [])]
    return message + (f"; use one of {', '.join(values)}" if values else "") + "."


def run_job(
    instance: DagsterInstance,
    job_name: str,
    gamertag: str,
    tags: Mapping[str, str] | None = None,
    run_config: Mapping | None = None,
    asset_selection: Sequence[AssetKey] | None = None,
) -> RunOutcome:
    """Run `job_name` (or `asset_selection` of it) for one player partition; how it ended."""
    from levelup_pipeline.definitions import defs

    gamertag = registered_as(instance, gamertag) or gamertag  # one partition per player
    register_player(instance, gamertag)
    reap_dead_runs(instance)
    job = defs.resolve_job_def(job_name).with_logger_defs({"console": cli_console_logger})
    config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}, **(run_config or {})}
    tags = {**(tags or {}), **process_tags()}
    # The run gets the code location's origins: the UI lists it, re-execution loads it.
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=MODULE, working_directory=str(PROJECT_ROOT)
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, location_name="levelup")
    pointer = ModuleCodePointer(MODULE, "defs", str(PROJECT_ROOT))
    try:
        if asset_selection:
            job = job.get_subset(asset_selection=set(asset_selection))
        if "ops" not in config and job.partitioned_config is not None:  # the partition's default
            config.update(job.partitioned_config.get_run_config_for_partition_key(gamertag))
        in_memory = InMemoryJob(job)
        ref = instance.get_ref() if instance.is_persistent else None
        plan = create_execution_plan(in_memory, run_config=config, instance_ref=ref)
        run = instance.create_run_for_job(
            job_def=job,
            execution_plan=plan,
            run_config=config,
            tags=merge_run_tags(job, gamertag, tags, asset_selection, instance, config),
            asset_selection=set(asset_selection) if asset_selection else None,
            remote_job_origin=RemoteRepositoryOrigin(location, "__repository__").get_job_origin(
                job_name
            ),
            job_code_origin=JobPythonOrigin(
                job_name, RepositoryPythonOrigin(sys.executable, pointer)
            ),
        )
        result = execute_run(in_memory, run, instance)
    except DagsterInvalidConfigError as exc:
        return RunOutcome(gamertag, job_name, "", False, _config_error(job_name, exc), {})
    failed_checks, warnings = _check_sentences(result, gamertag)
    error = None
    if failed_checks:  # a failed blocking check also fails its step: say what it found
        error = failed_checks[0]
    elif not result.success:
        error = _failure_message(result)
    metadata = {
        mat.asset_key.to_user_string(): {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        for mat in (
            e.event_specific_data.materialization
            for e in _events(result, DagsterEventType.ASSET_MATERIALIZATION)
        )
    }
    return RunOutcome(
        gamertag, job_name, result.run_id, error is None, error, metadata, failed_checks, warnings
    )
