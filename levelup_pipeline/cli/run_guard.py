"""No CLI run left behind by a crash (one run per player at a time: `defs/run_lock.py`).

A CLI run executes in the CLI's process. If it dies without unwinding (SIGKILL, OOM killer),
Dagster never records the run's end: it stays STARTED and keeps the `halo_api` pool slot its
step claimed, so two such crashes would block every later sync. So CLI runs are tagged with
their process (host, pid, start time), and before a new run starts, runs of this host whose
process is gone are marked failed and their slots freed (the daemon's run monitoring does
this for the runs it launched)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

PID_TAG = "levelup/cli_pid"
HOST_TAG = "levelup/cli_host"
STARTED_TAG = "levelup/cli_process_start"
UNFINISHED = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (state first), or None where /proc is unavailable."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[-1].split()


def process_tags() -> dict[str, str]:
    """Tags identifying the process that executes a run in-process (its start time in clock
    ticks tells a reused pid apart)."""
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
    """Mark unfinished CLI runs of this host whose process is gone as failed and free their
    concurrency slots; returns their run ids."""
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
