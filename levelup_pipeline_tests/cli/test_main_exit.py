"""`levelup` leaves with os._exit (no interpreter teardown): exit codes and every printed line
must survive it, through a pipe as well as a terminal."""

from __future__ import annotations

import subprocess
import sys

from levelup_pipeline.config import PROJECT_ROOT


def _levelup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "levelup_pipeline.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )


def test_output_and_exit_codes_survive_the_fast_exit() -> None:
    ok = _levelup("sync", "--help")
    assert ok.returncode == 0
    assert "--force-run" in ok.stdout and "--rps" in ok.stdout  # the last options: all flushed
    usage = _levelup("nosuchcommand")
    assert usage.returncode == 2 and "No such command" in usage.stderr
    failed = _levelup("sync", "--player", "bad name with   spaces")
    assert failed.returncode == 1 and "Invalid gamertag" in failed.stderr
