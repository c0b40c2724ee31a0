"""Secrets stay secret: the refresh-token file is private (0600) and refused otherwise, and no
token or client secret reaches a log line, an error message, a Dagster run config, the event
log or any other file of the installation - checked by grepping every byte of DAGSTER_HOME."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.runner import run_job
from levelup_pipeline.halo.auth import read_refresh_token, write_refresh_token
from levelup_pipeline.halo.errors import InsecureTokenFile
from levelup_pipeline_tests.faults.helpers import cli_env, halo_config, one_line_error, run_cli
from levelup_pipeline_tests.harness import isolated_pipeline, sync_config

pytestmark = pytest.mark.faults

#: Every token the simulator issues (refresh, access, user, XSTS, spartan) looks like this.
ISSUED_TOKEN = re.compile(rb"sim-(?:rt|at|ut|xsts|st)-[0-9a-f]{32}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_token_file_is_written_private_and_refused_when_readable_by_others(tmp_path: Path):
    path = tmp_path / "config" / "levelup" / "refresh_token.json"
    old_umask = os.umask(0)
    try:
        write_refresh_token(path, "rt-private")
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert read_refresh_token(path) == "rt-private"
    for loose in (0o640, 0o604, 0o660, 0o644):
        path.chmod(loose)
        with pytest.raises(InsecureTokenFile, match=r"chmod 600") as caught:
            read_refresh_token(path)
        assert "rt-private" not in str(caught.value)


def test_cli_refuses_a_group_readable_token_file_in_one_line(bed, monkeypatch, tmp_path):
    token_file = tmp_path / "refresh_token.json"
    token_file.write_text(json.dumps({"refresh_token": "rt-leaky"}))
    token_file.chmod(0o644)
    monkeypatch.setenv("LEVELUP_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("SPNKR_CLIENT_ID", "levelup-test-app")
    monkeypatch.setenv("SPNKR_CLIENT_SECRET", "client-secret-value")
    result = CliRunner().invoke(cli, ["sync", "--player", bed.gamertag, "--match-type", "all"])
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "Refusing to read the refresh-token file" in line and "chmod 600" in line, line
    assert "rt-leaky" not in result.output and "client-secret-value" not in result.output
    assert bed.sim.stats()["requests"]["match_history"] == 0


def _leaks(root: Path, secrets_: list[bytes], skip: Path) -> list[str]:
    """Files under `root` (all bytes, SQLite included) holding a secret or an issued token."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path == skip:
            continue
        data = path.read_bytes()
        hits = [s.decode() for s in secrets_ if s in data] + [
            m.decode() for m in ISSUED_TOKEN.findall(data)
        ]
        if hits:
            found.append(f"{path.relative_to(root)}: {sorted(set(hits))[:3]}")
    return found


def test_no_token_reaches_logs_run_config_events_or_files(
    tmp_path: Path, monkeypatch, capfd, caplog
):
    caplog.set_level("DEBUG")
    refresh = f"rt-{secrets.token_hex(16)}"
    client_secret = f"client-secret-{secrets.token_hex(16)}"
    spartan = f"sim-dev-{secrets.token_hex(16)}"
    clearance = f"sim-dev-clearance-{secrets.token_hex(16)}"
    with isolated_pipeline(tmp_path, seed=5, players=1, matches=4) as pipeline:
        gamertag = pipeline.gamertags()[0]
        token_file = Path(os.environ["LEVELUP_TOKEN_FILE"])
        write_refresh_token(token_file, refresh)

        # 1. The refresh-token flow (an Azure app), tokens expiring and rotating mid-sync.
        monkeypatch.setenv("SPNKR_CLIENT_ID", "levelup-test-app")
        monkeypatch.setenv("SPNKR_CLIENT_SECRET", client_secret)
        pipeline.sim.knobs.strict_tokens = True
        pipeline.sim.knobs.token_ttl_requests = 10
        outcome = run_job(
            pipeline.instance,
            "full_sync",
            gamertag,
            run_config={
                **halo_config(),
                **sync_config("full_sync", match_type="all", verbose=True),
            },
        )
        assert outcome.success, outcome.error
        assert pipeline.sim.stats()["responses"]["401"] >= 1  # tokens did rotate
        rotated = read_refresh_token(token_file)
        assert rotated != refresh and _mode(token_file) == 0o600

        # 2. A spartan token that the API rejects: the error names no token. A fresh `levelup`
        # process, as a user runs it: the definitions wire the secrets set when they load, and
        # this process loaded them with the Azure app's.
        monkeypatch.delenv("SPNKR_CLIENT_ID")
        monkeypatch.delenv("SPNKR_CLIENT_SECRET")
        env = cli_env(
            tmp_path,
            pipeline.sim.endpoint,
            rps=500,
            HALO_SPARTAN_TOKEN=spartan,
            HALO_CLEARANCE_TOKEN=clearance,
        )
        rejected = run_cli(["sync", "--player", gamertag, "--verbose"], env)
        assert rejected.returncode == 1
        assert "Authentication failed" in one_line_error(rejected.stderr)

        # 3. The same static tokens, accepted (EnvVar wiring).
        pipeline.sim.knobs.strict_tokens = False
        pipeline.sim.knobs.token_ttl_requests = None
        synced = run_cli(["sync", "--full", "--player", gamertag, "--verbose"], env)
        assert synced.returncode == 0, synced.stderr[-2000:]

    captured = capfd.readouterr()
    outputs = [captured.out, captured.err, caplog.text]
    logs = "\n".join([*outputs, rejected.stdout, rejected.stderr, synced.stdout, synced.stderr])
    assert "GET " in logs  # --verbose did log every request...
    known = [refresh, rotated, client_secret, spartan, clearance]
    for value in known:  # ...and no secret
        assert value not in logs
    assert not ISSUED_TOKEN.search(logs.encode())
    leaks = _leaks(tmp_path, [v.encode() for v in known], skip=token_file)
    assert not leaks, leaks
