"""The CLI prints its listening line once accepting connections, and add-matches works."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from levelup_pipeline.simulator.cli import simulator_cli

ROOT = Path(__file__).resolve().parents[2]


def test_serve_prints_listening_line_and_add_matches() -> None:
    """`cli.py serve --port 0` announces HOST:PORT, answers HTTPS, stops on SIGTERM."""
    command = [
        sys.executable,
        str(ROOT / "levelup_pipeline" / "simulator" / "cli.py"),
        "serve",
        "--port",
        "0",
        "--players",
        "2",
        "--matches",
        "5",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("LevelUp Halo simulator listening on 127.0.0.1:"), line
        endpoint = line.rsplit(" ", 1)[1]
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(
            f"https://{endpoint}/_sim/players", context=context, timeout=10
        ) as response:
            players = json.loads(response.read())
        assert len(players) == 2
        result = CliRunner().invoke(
            simulator_cli,
            [
                "add-matches",
                "--endpoint",
                endpoint,
                "--player",
                players[0]["gamertag"],
                "--count",
                "2",
            ],
        )
        assert result.exit_code == 0, result.output
        assert len(result.output.split()) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert proc.returncode == 0
