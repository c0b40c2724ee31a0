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

WAITING = "another levelup sync of this player is running; waiting for it"


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
    runs = sorted(_windows(instance).values(), key=lambda w: w[1])
    same = [w for w in runs if w[0] == first]
    assert same[0][2] <= same[1][1], "two runs of the same player overlapped"
    raw = sorted(_windows(instance, "raw_match_json").values(), key=lambda w: w[1])
    mine = next(w for w in raw if w[0] == first)
    other = next(w for w in raw if w[0] == second)
    assert other[1] < mine[2] and mine[1] < other[2], "the two players did not sync in parallel"


def test_cli_run_waits_for_a_ui_run_of_the_same_player_then_proceeds(tmp_path: Path):
    """A run the UI launched (no CLI tags) is in progress: the CLI waits for it, and after
    the timeout says so in one sentence instead of starting a second writer."""
    from dagster import DagsterRunStatus, job, op

    from levelup_pipeline.cli.run_guard import PlayerBusy, player_turn

    @op
    def noop() -> None:
        """Nothing."""

    @job
    def ui_job() -> None:
        noop()

    instance = DagsterInstance.ephemeral(tempdir=str(tmp_path))
    ui_run = instance.create_run_for_job(
        job_def=ui_job, tags={"dagster/partition": "Level Up"}, status=DagsterRunStatus.STARTED
    )
    with pytest.raises(PlayerBusy, match=r"Another sync of Level Up is still running"):
        with player_turn(instance, "Level Up", timeout=0.6):
            pass
    with player_turn(instance, "Other Player", timeout=0.6):
        pass  # another player is not held up
    instance.report_run_failed(ui_run)
    with player_turn(instance, "level up", timeout=0.6):  # partition finished: no wait
        pass


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
    lock). Both runs now end well, the second waiting for the file whenever the first has it."""
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
    _assert_complete(PlayerStore(gamertag, data_dir=tmp_path / "data"), expected)
