"""Figures B, C and D: `levelup sync` as a user runs it, a whole process with its Dagster run.

* B: `levelup sync --full` at R = 100 fixed (LEVELUP_HALO_RPS), 50 ms latency: (requests / R)
  / wall, where wall is the whole process (start-up, run creation, every step, teardown).
* C: `levelup sync --delta` with 5 new matches, default settings (adaptive limiter), 50 ms
  latency, no server limit, next to `python -c "import dagster"` measured in the same run.
* D: the same delta through `dagster job execute -m levelup_pipeline.definitions`.

For C, where the time goes is read back from the run the process recorded: before the run
started (Python, imports, pre-check, instance, run creation), each step (Dagster's step
stats), and after the run ended (teardown).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.data import history_world, indexed
from benchmarks.procs import BIN, PROJECT_ROOT, isolated_env, run_timed
from benchmarks.report import Figure, Report
from levelup_pipeline.halo.auth import (
    CLIENT_ID_ENV,
    CLIENT_SECRET_ENV,
    SIM_REFRESH_TOKEN,
    write_refresh_token,
)
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator

LATENCY_MS = 50.0


def _install(root: Path, endpoint: str, rps: float | None) -> dict:
    """A throw-away installation (data dir, DAGSTER_HOME with the shipped dagster.yaml), signed
    in as a user is after `levelup auth`: an Azure app in the environment and a refresh token
    in the user-only token file (the simulator accepts any app). So, as with a real account,
    the spartan token is obtained once and reused from the token file while it is valid."""
    env = isolated_env(root, endpoint, rps)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env.update({CLIENT_ID_ENV: "bench-app", CLIENT_SECRET_ENV: "bench-secret"})
    write_refresh_token(Path(env["LEVELUP_TOKEN_FILE"]), SIM_REFRESH_TOKEN)
    return env


def _api_requests(stats: dict) -> int:
    return sum(n for name, n in stats["requests"].items() if name != "auth")


def full_sync(report: Report, sizes: tuple[int, ...] = (1000, 300), rps: float = 100.0) -> None:
    """Figure B: `levelup sync --full` as a process at R fixed."""
    targets = {1000: 0.90, 300: 0.85}
    levelup = str(BIN / "levelup")
    for matches in sizes:
        world = indexed(history_world(matches))
        gamertag = world.players[0].gamertag
        knobs = Knobs(latency_ms=LATENCY_MS, jitter_ms=20)
        with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as t:
            env = _install(Path(t), sim.endpoint, rps)
            run_timed([levelup, "players", "add", gamertag], env)
            sim.reset_stats()
            cmd = [levelup, "sync", "--full", "--player", gamertag, "--match-type", "all"]
            started = time.time()
            wall, _ = run_timed([*cmd, "--max-matches", str(matches)], env)
            breakdown = _last_run_breakdown(Path(env["DAGSTER_HOME"]), started, time.time())
            requests = _api_requests(sim.stats())
        efficiency = (requests / rps) / wall
        target = targets.get(matches, 0.85)
        report.add(
            Figure(
                "B",
                f"levelup sync --full, {matches:,} matches: (requests/R)/wall",
                efficiency,
                "",
                f">= {target:.2f}",
                efficiency >= target,
                f"{requests} requests at R = {rps:g} in {wall:.1f} s (whole process, run "
                f"included), {LATENCY_MS:g} ms + 0-20 ms",
            ),
            *(
                Figure("B", f"  {matches:,} matches: {name}", seconds, "s")
                for name, seconds in breakdown.items()
                if seconds >= 0.05
            ),
        )


def _last_run_breakdown(home: Path, started: float, ended: float) -> dict[str, float]:
    """Seconds before the run, per step, and after it, of the newest run in `home`."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home))
    try:
        record = instance.get_run_records(limit=1)[0]
        stats = instance.get_run_step_stats(record.dagster_run.run_id)
        out = {"before the run (start-up, imports, pre-check, run creation)": 0.0}
        out[next(iter(out))] = (record.create_timestamp.timestamp()) - started
        out["run created -> run started"] = (record.start_time or 0) - (
            record.create_timestamp.timestamp()
        )
        for step in sorted(stats, key=lambda s: s.start_time or 0):
            out[f"step {step.step_key}"] = (step.end_time or 0) - (step.start_time or 0)
        out["run bookkeeping between steps"] = (
            (record.end_time or 0)
            - (record.start_time or 0)
            - sum((s.end_time or 0) - (s.start_time or 0) for s in stats)
        )
        out["after the run (teardown)"] = ended - (record.end_time or ended)
        return out
    finally:
        instance.dispose()


def _delta_installation(root: Path, sim, gamertag: str, history: int) -> dict:
    env = _install(root, sim.endpoint, None)
    fast = {**env, "LEVELUP_HALO_RPS": "1000"}
    levelup = str(BIN / "levelup")
    run_timed([levelup, "players", "add", gamertag], fast)
    run_timed(
        [levelup, "sync", "--full", "--player", gamertag, "--max-matches", str(history)], fast
    )
    return env


def delta(report: Report, history: int = 100, new: int = 5, runs: int = 3) -> None:
    """Figures C and D: a delta with `new` matches, as `levelup sync` and `dagster job execute`."""
    world = indexed(history_world(history))
    gamertag = world.players[0].gamertag
    levelup = str(BIN / "levelup")
    knobs = Knobs(latency_ms=LATENCY_MS)
    walls: list[float] = []
    dagster_walls: list[float] = []
    floors: list[float] = []
    breakdowns: list[dict[str, float]] = []
    with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as t:
        env = _delta_installation(Path(t), sim, gamertag, history)
        home = Path(env["DAGSTER_HOME"])
        floor_cmd = [sys.executable, "-c", "import dagster"]
        cli = [levelup, "sync", "--delta", "--player", gamertag]
        execute = [
            str(BIN / "dagster"),
            "job",
            "execute",
            "-m",
            "levelup_pipeline.definitions",
            "-j",
            "delta_sync",
            "--tags",
            json.dumps({"dagster/partition": gamertag}),
        ]
        for _ in range(runs):  # interleaved: floor, CLI delta, dagster job execute
            floors.append(run_timed(floor_cmd, env)[0])
            sim.add_matches(new, gamertag)
            started = time.time()
            walls.append(run_timed(cli, env)[0])
            breakdowns.append(_last_run_breakdown(home, started, time.time()))
            sim.add_matches(new, gamertag)
            dagster_walls.append(run_timed(execute, env)[0])
    floor, wall, dagster_wall = min(floors), min(walls), min(dagster_walls)
    ratio = wall / floor
    best = breakdowns[walls.index(wall)]
    report.add(
        Figure(
            "C",
            f"levelup sync --delta, {new} new matches: wall (best of {runs})",
            wall,
            "s",
            note=f"runs: {', '.join(f'{w:.2f}' for w in walls)}; default limiter, "
            f"{LATENCY_MS:g} ms, no server limit",
        ),
        Figure("C", 'floor: python -c "import dagster" (best, same run)', floor, "s"),
        Figure("C", "delta wall / import-dagster floor", ratio, "x", "<= 3.5x", ratio <= 3.5),
        *(
            Figure("C", f"  {name}", seconds, "s")
            for name, seconds in best.items()
            if seconds >= 0.005
        ),
        Figure(
            "D",
            f"dagster job execute delta_sync, {new} new matches (best of {runs})",
            dagster_wall,
            "s",
            note=f"runs: {', '.join(f'{w:.2f}' for w in dagster_walls)}",
        ),
        Figure(
            "D",
            "dagster job execute / levelup sync --delta",
            dagster_wall / wall,
            "x",
            "<= 1.5x",
            dagster_wall / wall <= 1.5,
            f"median of runs: {statistics.median(dagster_walls) / statistics.median(walls):.2f}x",
        ),
    )
