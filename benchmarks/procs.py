"""Child processes of the benchmark: sync workers and `levelup` commands, isolated by env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from levelup_pipeline.config import INSTALLATION_ENV

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Variables of a real installation that must not leak into a benchmark run.
ISOLATED_ENV = INSTALLATION_ENV


def isolated_env(root: Path, endpoint: str | None = None, rps: float | None = None) -> dict:
    """Environment of a throw-away installation under `root`, pointed at the simulator."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(
        {
            "LEVELUP_DATA_DIR": str(root / "data"),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "LEVELUP_TOKEN_FILE": str(root / "token" / "refresh_token.json"),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONWARNINGS": "ignore",
        }
    )
    if endpoint:
        env["LEVELUP_HALO_ENDPOINT"] = endpoint
    if rps:
        env["LEVELUP_HALO_RPS"] = str(rps)
    return env


def run_timed(cmd: list[str], env: dict, timeout: float = 900) -> tuple[float, str]:
    """Run a command to completion; returns (wall seconds, stdout). Raises on failure."""
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd[:4])}... failed ({proc.returncode}): {tail}")
    return seconds, proc.stdout


def sync_worker(
    root: Path,
    endpoint: str,
    gamertag: str,
    *,
    max_matches: int,
    rps: float | None,
    style: str = "concurrent",
    mode: str = "full",
    transform: bool = False,
) -> dict[str, Any]:
    """Run `benchmarks.sync_worker` in a child process; returns its measurements."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.sync_worker",
        "--gamertag",
        gamertag,
        "--data-dir",
        str(root / "data"),
        "--mode",
        mode,
        "--max-matches",
        str(max_matches),
        "--style",
        style,
    ]
    if rps is not None:  # None: the default, adaptive per-service budgets
        cmd += ["--rps", str(rps)]
    if transform:
        cmd.append("--transform")
    _, out = run_timed(cmd, isolated_env(root, endpoint, rps))
    return json.loads(out.strip().splitlines()[-1])
