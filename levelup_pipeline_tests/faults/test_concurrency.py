"""Three `levelup sync` at once, two of them for the same player: the second of that player
waits for the first (never two writers on one file), the other player's sync runs in
parallel, and every database ends complete and consistent."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance

from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.faults.helpers import cli_command, cli_env, integrity_problems

pytestmark = pytest.mark.faults

WAITING = "another run of this player is going; this one waits for it"


def _windows(instance: DagsterInstance, step: str | None = None) -> dict[str, tuple]:
    """run id -> (partition, start, end) of the whole run, or of one of its steps."""
    out = {}
    for run in instance.get_runs():
        stamps = [
            r.event_log_entry.timestamp
            for r in instance.get_records_for_run(run.run_id).records
            if r.event_log_entry.dagster_event is not None
            and r.event_log_entry.step_key == step
            and r.event_log_entry.dagster_event.event_type
            in (
                DagsterEventType.STEP_START,
                DagsterEventType.STEP_SUCCESS,
                DagsterEventType.RUN_START,
                DagsterEventType.RUN_SUCCESS,
            )
        ]
        out[run.run_id] = (run.tags["dagster/partition"], min(stamps), max(stamps))
    return out


def _step_spans(instance: DagsterInstance) -> list[tuple]:
    """(partition, first step start, last step end) of every run, by start: when it wrote."""
    spans = []
    for run in instance.get_runs():
        stamps = [
            r.event_log_entry.timestamp
            for r in instance.get_records_for_run(run.run_id).records
            if r.event_log_entry.dagster_event is not None
            and r.event_log_entry.dagster_event.event_type
            in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
        ]
        spans.append((run.tags["dagster/partition"], min(stamps), max(stamps)))
    return sorted(spans, key=lambda span: span[1])


def test_same_player_waits_other_player_runs_in_parallel(tmp_path: Path):
    with run_simulator(seed=13, players=2, matches=8) as sim:
        first, second = (p.gamertag for p in sim.world.players)
        env = cli_env(tmp_path, sim.endpoint, rps=20)  # each raw step lasts a few seconds
        procs_of = (first, first, second)
        procs = [
            subprocess.Popen(
                cli_command("sync", "--full", "--player", gamertag, "--match-type", "all"),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for gamertag in procs_of
        ]
        results = [proc.communicate(timeout=150) for proc in procs]
        for proc, (_out, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0, err[-2000:]
            assert "Traceback" not in err
        expected = {gt: set(sim.world.match_ids_of(sim.world.find_player(gt))) for gt in procs_of}
    for gamertag, ids in expected.items():
        store = PlayerStore(gamertag, data_dir=tmp_path / "data")
        assert not any(integrity_problems(store).values())
        with store.reader() as con:
            assert {r[0] for r in con.execute("SELECT match_id FROM match_stats").fetchall()} == ids

    # One sync of `first` fetched everything; the other waited, then found nothing new.
    new = sorted(int(re.search(r"(\d+) new match", out).group(1)) for out, _ in results[:2])
    assert new == [0, len(expected[first])]
    assert sum(WAITING in err for _, err in results[:2]) == 1
    instance = DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    same = [span for span in _step_spans(instance) if span[0] == first]
    assert same[0][2] <= same[1][1], "two runs of the same player overlapped"
    raw = sorted(_windows(instance, "raw_match_json").values(), key=lambda w: w[1])
    mine = next(w for w in raw if w[0] == first)
    other = next(w for w in raw if w[0] == second)
    assert other[1] < mine[2] and mine[1] < other[2], "the two players did not sync in parallel"


def test_every_launcher_waits_for_the_players_run_lock(pipeline, monkeypatch):
    """One mechanism for every launcher: while a run of the player holds its lock, a CLI run
    and an `execute_job` run of that player both give up in one sentence without writing,
    and a run of another player is not held up."""
    from dagster import execute_job
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.config import sync_run_config
    from levelup_pipeline.defs.run_lock import WAIT_ENV, player_run_lock

    first, second = pipeline.gamertags()[:2]
    for gamertag in (first, second):
        pipeline.add(gamertag)
    monkeypatch.setenv(WAIT_ENV, "0.5")
    config = sync_run_config("full")
    busy = f"Another run of {first} is still going after 0.5 s; retry when it has finished"
    repo = ReconstructableRepository.for_module("levelup_pipeline.definitions", "defs")
    with player_run_lock(first.upper()):  # a run of the player, under any spelling
        cli_run = run_job(pipeline.instance, "full_sync", first.lower(), run_config=config)
        assert not cli_run.success and cli_run.error.startswith(busy), cli_run.error
        with execute_job(
            repo.get_reconstructable_job("full_sync"),
            pipeline.instance,
            run_config=config,
            tags={"dagster/partition": first},
        ) as result:
            assert not result.success
        other = run_job(pipeline.instance, "full_sync", second, run_config=config)
        assert other.success, other.error
    with pipeline.store(first).reader() as con:
        assert con.execute("SELECT count(*) FROM raw_match_json").fetchall() == [(0,)]
    assert pipeline.sync(first, "full_sync").success  # lock released: the player syncs


def _started_cli_sync(tmp_path: Path, env: dict, gamertag: str) -> subprocess.Popen:
    """A `levelup sync --full` of `gamertag` in another process, returned once its run is
    going (after the CLI resolved, registered and guarded the player)."""
    import time

    proc = subprocess.Popen(
        cli_command("sync", "--full", "--player", gamertag, "--match-type", "all"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    home = tmp_path / "dagster_home"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        # Read-only SQL: opening a DagsterInstance here would race the CLI creating it.
        runs_db = home / "history" / "runs.db"
        try:
            con = sqlite3.connect(f"{runs_db.as_uri()}?mode=ro", uri=True, timeout=2)
            try:
                started = con.execute("SELECT count(*) FROM runs").fetchall()[0][0]
            finally:
                con.close()
        except sqlite3.Error:  # not created yet
            started = 0
        if started:
            return proc
        time.sleep(0.5)
    out, err = proc.communicate(timeout=60)
    raise AssertionError(f"the CLI sync never started a run: {out[-1000:]} {err[-2000:]}")


def _assert_complete(store: PlayerStore, expected: set[str]) -> None:
    """The database is consistent and holds exactly the `expected` matches."""
    assert not any(integrity_problems(store).values())
    with store.reader() as con:
        stored = {r[0] for r in con.execute("SELECT match_id FROM match_stats").fetchall()}
    assert stored == expected


def test_rename_during_a_cli_sync_waits_for_it(tmp_path: Path):
    """Issue 21 item 8: `players rename` during a sync moved the folder between two steps and
    the sync failed (DagsterInvalidInvocationError). The rename now waits for the sync."""
    with run_simulator(seed=17, players=1, matches=30) as sim:
        gamertag = sim.world.players[0].gamertag
        env = cli_env(tmp_path, sim.endpoint, rps=12)  # the sync lasts a few seconds
        sync = _started_cli_sync(tmp_path, env, gamertag)
        rename = subprocess.run(
            cli_command("players", "rename", gamertag, "Renamed Player"),
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        out, err = sync.communicate(timeout=240)
        assert sync.returncode == 0, (out[-1000:], err[-2000:])
        assert rename.returncode == 0, rename.stderr[-2000:]
        assert "the rename waits for it" in rename.stderr
        expected = set(sim.world.match_ids_of(sim.world.find_player(gamertag)))
    assert not (tmp_path / "data" / "players" / gamertag).exists()
    _assert_complete(PlayerStore("Renamed Player", data_dir=tmp_path / "data"), expected)


def test_dagster_job_execute_during_a_cli_sync_waits_its_turn(tmp_path: Path):
    """Issue 21 item 15: a `dagster job execute` started during a CLI sync failed "open for
    writing by another process" (the CLI held a read-only connection outside the writers'
    lock). Both runs now end well: the second run starts, then its executor waits for the
    player's run lock, so their steps never overlap."""
    dagster = Path(sys.executable).with_name("dagster")
    with run_simulator(seed=19, players=1, matches=30) as sim:
        gamertag = sim.world.players[0].gamertag
        env = cli_env(tmp_path, sim.endpoint, rps=12)
        sync = _started_cli_sync(tmp_path, env, gamertag)
        tags = json.dumps({"dagster/partition": gamertag, "levelup/match_type": "all"})
        job = subprocess.run(
            [str(dagster), "job", "execute", "-m", "levelup_pipeline.definitions"]
            + ["-j", "delta_sync", "--tags", tags],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        out, err = sync.communicate(timeout=240)
        assert sync.returncode == 0, (out[-1000:], err[-2000:])
        assert job.returncode == 0, job.stderr[-3000:]
        assert "open for writing" not in job.stderr + err
        expected = set(sim.world.match_ids_of(sim.world.find_player(gamertag)))
    instance = DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    windows = sorted(_windows(instance).values(), key=lambda w: w[1])
    assert len(windows) == 2 and windows[1][1] < windows[0][2], "the two runs did not overlap"
    spans = _step_spans(instance)
    assert spans[0][2] <= spans[1][1], "both runs wrote at the same time"
    _assert_complete(PlayerStore(gamertag, data_dir=tmp_path / "data"), expected)
