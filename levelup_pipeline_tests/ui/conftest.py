"""Fixtures of the UI tests: a system Chromium (installed if we can) and a running Dagster
webserver on a free loopback port, wired to an isolated LevelUp installation and simulator."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from levelup_pipeline.config import PROJECT_ROOT
from levelup_pipeline_tests.harness import Pipeline, isolated_pipeline
from levelup_pipeline_tests.ui.browser import find_chromium, install_chromium

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
STARTUP_TIMEOUT_SECONDS = 60

# The project's dagster.yaml queues runs for the daemon; this test instance launches them at
# once in a subprocess (DefaultRunLauncher), so no daemon is needed to see a run finish.
TEST_DAGSTER_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
run_launcher:
  module: dagster._core.launcher
  class: DefaultRunLauncher
telemetry:
  enabled: false
"""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium; installed with apt-get when missing (root), else skip."""
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (dev extras)"
    )
    path = find_chromium()
    if path is None:
        path, why = install_chromium()
        if path is None:
            pytest.skip(f"browser test skipped: {why}")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"dagster-webserver did not answer in time:\n{log.read_text()[-3000:]}")


@dataclass
class Webserver:
    """A running webserver and the installation it serves."""

    url: str
    pipeline: Pipeline
    gamertag: str
    log: Path


@pytest.fixture
def webserver(tmp_path: Path) -> Iterator[Webserver]:
    """`dagster-webserver -w workspace.yaml` on a free port, one player registered."""
    home = tmp_path / "dagster_home"
    (home / ".nux").mkdir(parents=True)
    (home / "dagster.yaml").write_text(TEST_DAGSTER_YAML)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n")  # no "join the community" pop-up
    with isolated_pipeline(tmp_path, seed=11, players=3, matches=40) as pipeline:
        gamertag = pipeline.gamertags()[0]
        pipeline.add(gamertag)
        port = free_port()
        log = tmp_path / "webserver.log"
        command = [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml"]
        command += ["-h", "127.0.0.1", "-p", str(port)]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its code server and run workers share its group
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, proc, log)
            yield Webserver(url=url, pipeline=pipeline, gamertag=gamertag, log=log)
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the webserver and the processes it started (its own process group only)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
