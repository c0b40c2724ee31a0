"""`levelup sync --full` killed with SIGKILL at random points, four times in a row: every
rerun resumes where the last one stopped, no killed run keeps a Halo pool slot (or a later
run would wait forever), and at the end the database is exactly a fault-free sync's."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from levelup_pipeline.cli.runner import process_alive, process_tags, reap_dead_runs
from levelup_pipeline.cli.sync_cmd import PREFETCH_ENV
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.faults.helpers import (
    assert_same_as,
    cli_command,
    cli_env,
    run_cli,
    snapshot,
)
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.faults

SEED = 20260
WORLD_MATCHES = 65  # seed 7: the first batch of 50 commits in the middle of the fetch
UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def _raw_count(store: PlayerStore) -> int:
    if not store.exists():
        return 0
    with store.reader() as con:  # also proves the file opens after every crash
        return con.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]


def _kill_points(rng: random.Random) -> list[tuple[str, float]]:
    """Where the four kills land, drawn from a seeded RNG: ("fetched", k) kills once k more
    matches were fetched; ("after", s) kills s seconds after the last match was fetched, i.e.
    while profiles, names, the model, the aggregates or the report are being written."""
    return [
        ("fetched", rng.randint(56, WORLD_MATCHES - 2)),  # after the first batch of 50
        ("fetched", rng.randint(1, 40)),
        ("after", rng.uniform(0.0, 0.8)),
        ("after", rng.uniform(0.8, 2.5)),
    ]


def _kill_when(args: list[str], env: dict, point: tuple[str, float], due) -> str:
    """Start `levelup ARGS`, SIGKILL it once `due()` (polled every 5 ms) says so; where it
    landed."""
    kind, value = point
    proc = subprocess.Popen(
        cli_command(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not due():
        time.sleep(0.005)
    if proc.poll() is not None:
        return f"{kind} {value:.2f}: finished first"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return f"{kind} {value:.2f}"


def _run_and_kill(args: list[str], env: dict, sim, point: tuple[str, float], todo: int) -> str:
    """Start `levelup ARGS`, SIGKILL it at `point` (`todo` = matches it has to fetch)."""
    kind, value = point
    sim.reset_stats()
    fetched_at: float | None = None

    def due() -> bool:
        nonlocal fetched_at
        fetched = sim.stats()["requests"]["film_chunk"]  # the last request of each match
        if kind == "fetched":
            return fetched >= min(value, todo)
        if fetched >= todo:
            fetched_at = fetched_at or time.monotonic()
            return time.monotonic() - fetched_at >= value
        return False

    # The points are timed by the requests the run makes: the CLI's prefetch (which fetches
    # while Dagster loads, before the run writes anything) is off, so they land in the writes.
    return _kill_when(args, {**env, PREFETCH_ENV: "0"}, point, due)


def test_sigkill_at_random_points_then_resume(tmp_path: Path):
    with isolated_pipeline(tmp_path / "baseline", seed=7, players=1, matches=65) as pipeline:
        gamertag = pipeline.gamertags()[0]
        outcome = pipeline.sync(gamertag, "full_sync", match_type="all")
        assert outcome.success, outcome.error
        expected = snapshot(pipeline.store(gamertag))
        assert len(expected.match_ids) == WORLD_MATCHES

        root = tmp_path / "killed"
        env = cli_env(root, pipeline.sim.endpoint, rps=300)
        store = PlayerStore(gamertag, data_dir=root / "data")
        args = ["sync", "--full", "--player", gamertag, "--match-type", "all"]
        home = root / "dagster_home"
        stored_before, kills, stuck = 0, [], set()
        for point in _kill_points(random.Random(SEED)):
            kills.append(
                _run_and_kill(args, env, pipeline.sim, point, WORLD_MATCHES - stored_before)
            )
            stored = _raw_count(store)
            kills[-1] += f" -> {stored} stored"
            assert stored >= stored_before, f"a crash lost stored matches: {kills}"
            stored_before = stored
            if home.exists():  # runs the kill left STARTED (the next run cleans them up)
                instance = DagsterInstance.from_config(str(home))
                records = instance.get_run_records(RunsFilter(statuses=UNFINISHED))
                stuck.update(r.dagster_run.run_id for r in records)
        assert stuck, f"no kill landed inside a run: {kills}"
        assert 0 < stored_before, f"no kill came after a commit, nothing to resume: {kills}"

        final = run_cli(args, env, timeout=120)  # a leaked pool slot would hang here
        assert final.returncode == 0, final.stderr[-2000:]
        resumed = re.search(r"(\d+) already stored", final.stderr)
        assert resumed and int(resumed.group(1)) == stored_before, (kills, final.stderr[-2000:])

        instance = DagsterInstance.from_config(str(home))
        assert not instance.get_run_records(RunsFilter(statuses=UNFINISHED))
        for run_id in stuck:
            assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE
        for key in instance.event_log_storage.get_concurrency_keys():
            assert not instance.event_log_storage.get_concurrency_info(key).claimed_slots
        assert_same_as(store, expected)


def test_runs_of_dead_processes_are_failed_and_free_their_pool_slot(tmp_path: Path):
    with isolated_pipeline(tmp_path, seed=3, players=1, matches=0) as pipeline:
        instance = pipeline.instance
        dead = subprocess.Popen(["true"])
        dead.wait()
        tags = {**process_tags(), "levelup/cli_pid": str(dead.pid)}
        run = instance.create_run_for_job(
            job_def=_noop_job(), run_id=None, tags=tags, status=DagsterRunStatus.STARTED
        )
        storage = instance.event_log_storage
        storage.set_concurrency_slots("halo_api", 2)
        storage.claim_concurrency_slot("halo_api", run.run_id, "raw_match_json")
        alive = instance.create_run_for_job(
            job_def=_noop_job(), run_id=None, tags=process_tags(), status=DagsterRunStatus.STARTED
        )
        assert reap_dead_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED
        assert not storage.get_concurrency_info("halo_api").claimed_slots


def _noop_job():
    from dagster import job, op

    @op
    def noop() -> None:
        """Nothing."""

    @job
    def noop_job() -> None:
        noop()

    return noop_job


def test_process_alive_tells_dead_zombie_and_reused_pids_apart():
    assert process_alive(os.getpid(), process_tags()["levelup/cli_process_start"])
    assert not process_alive(os.getpid(), "1")  # same pid, other start time: reused
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{child.pid}/stat").exists():
        if Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.01)
    assert not process_alive(child.pid)  # a zombie (exited, not reaped yet)
    child.wait()
    assert not process_alive(child.pid)


def _started_runs(home: Path) -> set[str]:
    if not (home / "dagster.yaml").exists():
        return set()
    instance = DagsterInstance.from_config(str(home))
    try:
        records = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED]))
        return {r.dagster_run.run_id for r in records}
    finally:
        instance.dispose()


def _run_and_kill_prefetched(args: list[str], env: dict, sim, home: Path, point) -> str:
    """Start `levelup ARGS` with its prefetch on; SIGKILL it at `point`: ("fetched", k) once
    the prefetch fetched k matches (before the run exists), ("run", s) s seconds after its run
    started (the prefetch has fetched most of it: the run is writing)."""
    kind, value = point
    sim.reset_stats()
    before = _started_runs(home)
    started_at: float | None = None

    def due() -> bool:
        nonlocal started_at
        if kind == "fetched":
            return sim.stats()["requests"]["film_chunk"] >= value
        if started_at is None and _started_runs(home) - before:
            started_at = time.monotonic()
        return started_at is not None and time.monotonic() - started_at >= value

    return _kill_when(args, env, point, due)


def test_sigkill_with_the_prefetch_on_then_resume(tmp_path: Path):
    """The same guarantees with `levelup sync`'s prefetch on: a kill while it fetches before
    the run exists, then kills inside runs that answer from it, lose and duplicate nothing."""
    with isolated_pipeline(tmp_path / "baseline", seed=7, players=1, matches=65) as pipeline:
        gamertag = pipeline.gamertags()[0]
        outcome = pipeline.sync(gamertag, "full_sync", match_type="all")
        assert outcome.success, outcome.error
        expected = snapshot(pipeline.store(gamertag))

        root = tmp_path / "killed"
        env = cli_env(root, pipeline.sim.endpoint, rps=300)
        store = PlayerStore(gamertag, data_dir=root / "data")
        args = ["sync", "--full", "--player", gamertag, "--match-type", "all"]
        home = root / "dagster_home"
        rng = random.Random(SEED)
        points = [("fetched", rng.randint(3, 20)), ("run", rng.uniform(0.0, 0.3))]
        points += [("run", rng.uniform(0.2, 0.6))]
        stored_before, kills, stuck = 0, [], set()
        for point in points:
            kills.append(_run_and_kill_prefetched(args, env, pipeline.sim, home, point))
            stored = _raw_count(store)
            kills[-1] += f" -> {stored} stored"
            assert stored >= stored_before, f"a crash lost stored matches: {kills}"
            stored_before = stored
            stuck |= _started_runs(home)  # runs a kill left STARTED
        assert kills[0].endswith("-> 0 stored"), f"the prefetch wrote something: {kills}"
        assert stuck, f"no kill landed inside a run: {kills}"

        final = run_cli(args, env, timeout=120)
        assert final.returncode == 0, final.stderr[-2000:]
        instance = DagsterInstance.from_config(str(home))
        assert not instance.get_run_records(RunsFilter(statuses=UNFINISHED))
        for run_id in stuck:
            assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE
        assert_same_as(store, expected)
