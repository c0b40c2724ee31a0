"""Guards around CLI runs: one run per player at a time, and no run left behind by a crash.

One player at a time: two `levelup sync` of the same player (or a CLI sync while the UI runs
one) must not both hold a `halo_api` pool slot while one of them only waits for the player's
database lock - a sync of another player would then wait for a slot. So a CLI run first takes
a per-player lock file in DAGSTER_HOME (`locks/<gamertag>.lock`, released by the kernel even
on SIGKILL) and waits for other in-progress runs of the same partition, before creating its
run; past the timeout it fails with one sentence.

No run left behind: a CLI run executes in the CLI's own process. If that process dies without
unwinding (SIGKILL, power loss, OOM killer), Dagster never records the end of the run: it stays
STARTED forever and the `halo_api` pool slot its `raw_match_json` step claimed stays taken.
With the pool limit of 2, two such crashes would make every later sync wait for a slot that
never frees. So every CLI run is tagged with the host, pid and start time of its process, and
before a new run starts, runs of this host whose process is gone are marked failed and their
concurrency slots freed (what the Dagster daemon's run monitoring does for runs it launched).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from levelup_pipeline.store.gamertag import run_lock_name, same_player

PID_TAG = "levelup/cli_pid"
HOST_TAG = "levelup/cli_host"
STARTED_TAG = "levelup/cli_process_start"
PARTITION_TAG = "dagster/partition"
DEFAULT_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.5
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


def _start_marker(pid: int) -> str:
    """The process start time in clock ticks (tells a reused pid apart), '' if unknown."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else ""


def process_tags() -> dict[str, str]:
    """Tags identifying the process that executes a run in-process."""
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), STARTED_TAG: _start_marker(pid)}


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
    host = socket.gethostname()
    records = instance.get_run_records(
        filters=RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: host})
    )
    reaped = []
    for record in records:
        run = record.dagster_run
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


class PlayerBusy(Exception):
    """Another run of the same player did not finish within the wait."""


def _other_runs_of(instance: DagsterInstance, gamertag: str) -> list[str]:
    """Ids of in-progress runs (UI, schedules, other CLIs) of this player, under any case
    variant of its partition key (older versions registered variants as partitions)."""
    records = instance.get_run_records(
        filters=RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED])
    )
    return [
        r.dagster_run.run_id
        for r in records
        if same_player(r.dagster_run.tags.get(PARTITION_TAG) or "#", gamertag)
    ]


@contextmanager
def player_turn(
    instance: DagsterInstance,
    gamertag: str,
    timeout: float = DEFAULT_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold this player's CLI run lock and wait until no other run of the player is going.

    Raises PlayerBusy (one sentence) after `timeout` seconds of waiting.
    """
    folder = Path(instance.root_directory) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(folder / run_lock_name(gamertag)))
    deadline = time.monotonic() + timeout
    busy = (
        f"Another sync of {gamertag} is still running after {timeout:g} s; retry when it has "
        "finished (see the Dagster UI's run list)."
    )
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        if on_wait is not None:
            on_wait(f"{gamertag}: another levelup sync of this player is running; waiting for it.")
        try:
            lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        except filelock.Timeout:
            raise PlayerBusy(busy) from None
    try:
        told = False
        while others := _other_runs_of(instance, gamertag):
            reap_dead_runs(instance)
            if time.monotonic() >= deadline:
                raise PlayerBusy(busy)
            if on_wait is not None and not told:
                on_wait(f"{gamertag}: waiting for run {others[0][:8]} of this player to finish.")
                told = True
            time.sleep(POLL_SECONDS)
        yield
    finally:
        lock.release()
