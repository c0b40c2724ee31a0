"""Figure 5: `levelup sync --delta` with nothing new, end to end as a process.

Against a prepared installation (player registered, history synced), the command must make
exactly one history request, and its wall time is compared with `python -c "import dagster"`
measured in the same run (the floor of any Dagster-based command) and, for context, with the
smallest possible Dagster job run on the same kind of instance. `levelup sync` decides with
one history request that nothing is new and starts no run (cli/delta_check.py); the Dagster
runs recorded in the instance are counted to show it, and a delta with one new match (which
does run the job) is timed for context.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchmarks.data import history_world, indexed
from benchmarks.procs import BIN, PROJECT_ROOT, isolated_env, run_timed
from benchmarks.report import Figure, Report
from levelup_pipeline.simulator.server import run_simulator


def _best(cmd: list[str], env: dict, runs: int) -> float:
    return min(run_timed(cmd, env)[0] for _ in range(runs))


def _runs_recorded(home: Path) -> int:
    """Runs in the instance's SQLite run storage (what a started Dagster run leaves behind)."""
    con = sqlite3.connect(home / "history" / "runs.db")
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


def delta(report: Report, history: int = 300, runs: int = 3) -> None:
    """Prepare an installation, then time the no-op delta and the floors."""
    world = indexed(history_world(history))
    gamertag = world.players[0].gamertag
    levelup = str(BIN / "levelup")
    with run_simulator(world=world) as sim, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = isolated_env(root, sim.endpoint, 1000)
        home = root / "dagster_home"
        home.mkdir(parents=True)
        shutil.copyfile(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
        run_timed([levelup, "players", "add", gamertag], env)
        run_timed([levelup, "sync", "--full", "--player", gamertag], env)
        delta_cmd = [levelup, "sync", "--delta", "--player", gamertag]
        walls, histories = [], []
        runs_before = _runs_recorded(home)
        for _ in range(runs):
            sim.reset_stats()
            wall, _out = run_timed(delta_cmd, env)
            walls.append(wall)
            histories.append(sim.stats()["requests"]["match_history"])
        runs_started = _runs_recorded(home) - runs_before
        floor = _best([sys.executable, "-c", "import dagster"], env, 5)
        job_floor = _best([sys.executable, "-m", "benchmarks.dagster_floor"], env, runs)
        sim.add_matches(1, gamertag)
        sim.reset_stats()
        new_wall, _out = run_timed(delta_cmd, env)
        new_histories = sim.stats()["requests"]["match_history"]
    wall = min(walls)
    one = all(h == 1 for h in histories)
    report.add(
        Figure(
            "5",
            "delta, nothing new: history requests per run",
            max(histories),
            "",
            "exactly 1",
            one,
            f"runs: {histories}; Dagster runs started: {runs_started}",
        ),
        Figure(
            "5",
            "delta, nothing new: wall time (best of runs)",
            wall,
            "s",
            note=f"runs: {', '.join(f'{w:.2f}' for w in walls)}",
        ),
        Figure("5", 'floor: python -c "import dagster" (best of 5)', floor, "s"),
        Figure(
            "5", "delta wall / import-dagster floor", wall / floor, "x", "<= 2x", wall / floor <= 2
        ),
        Figure(
            "5",
            "context: smallest Dagster job run, same instance (best)",
            job_floor,
            "s",
            note="2 no-op assets, execute_in_process on the SQLite instance",
        ),
        Figure(
            "5",
            "context: delta with 1 new match (pre-check, then the job)",
            new_wall,
            "s",
            note=f"history requests: {new_histories}",
        ),
    )
