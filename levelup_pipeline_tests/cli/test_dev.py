"""`make dev`: which Halo API it picks, the simulator it serves, and `dg` on the project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from levelup_pipeline.cli import dev
from levelup_pipeline.cli.demo import (
    DEMO_MATCHES_ENV,
    DEMO_NEW_MATCHES,
    demo_players,
    demo_simulator,
    play_demo_matches,
)
from levelup_pipeline.config import PROJECT_ROOT


@pytest.fixture
def no_account(tmp_path, monkeypatch):
    """A machine with no Halo account: no token file, no HALO_* / SPNKR_* variables."""
    for name in (*dev.CREDENTIAL_ENV, dev.ENDPOINT_ENV, "SPNKR_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    token = tmp_path / "token" / "refresh_token.json"
    monkeypatch.setenv("LEVELUP_TOKEN_FILE", str(token))
    return token


def test_no_account_means_the_simulator(no_account):
    assert dev.halo_target().kind == "simulator"


def test_a_token_file_means_the_real_api(no_account):
    no_account.parent.mkdir(parents=True)
    no_account.write_text('{"refresh_token": "x"}')
    target = dev.halo_target()
    assert target.kind == "real"
    assert str(no_account) in target.why


@pytest.mark.parametrize("name", dev.CREDENTIAL_ENV)
def test_credential_variables_mean_the_real_api(no_account, monkeypatch, name):
    monkeypatch.setenv(name, "secret-value")
    target = dev.halo_target()
    assert target.kind == "real"
    assert name in target.why and "secret-value" not in target.why


def test_an_endpoint_the_user_set_wins(no_account, monkeypatch):
    monkeypatch.setenv("HALO_SPARTAN_TOKEN", "secret-value")
    monkeypatch.setenv(dev.ENDPOINT_ENV, "127.0.0.1:9999")
    assert dev.halo_target() == dev.HaloTarget("endpoint", f"{dev.ENDPOINT_ENV}=127.0.0.1:9999")


def _history(sim, gamertag: str) -> list[str]:
    world = sim.world
    return world.match_ids_of(world.find_player(gamertag))


def test_dev_simulator_serves_the_demo_world_plus_new_matches(monkeypatch):
    """Same players and history as at the end of `make demo`, then new matches on top, and
    new ones again on the next `make dev` (a sync from the UI always finds some)."""
    monkeypatch.setenv(DEMO_MATCHES_ENV, "6")
    with demo_simulator() as sim:  # what `make demo` leaves behind
        play_demo_matches(sim)
        players = demo_players(sim)
        after_demo = {gt: _history(sim, gt) for gt in players}
    sessions = []
    for _ in range(2):
        with dev.dev_simulator(new_matches=2) as sim:
            assert demo_players(sim) == players
            histories = {gt: _history(sim, gt) for gt in players}
        for gamertag in players:
            new, old = histories[gamertag][:2], histories[gamertag][2:]
            assert old == after_demo[gamertag]
            assert not set(new) & set(old)
        sessions.append(histories)
    for gamertag in players:
        assert len(after_demo[gamertag]) >= DEMO_NEW_MATCHES
        assert not set(sessions[0][gamertag][:2]) & set(sessions[1][gamertag][:2])


def test_dg_check_defs_passes(tmp_path):
    """`dg check defs` loads the code location through the [tool.dg] settings."""
    dg = Path(sys.executable).with_name("dg")
    if not dg.exists():
        pytest.skip("dg is not installed (dagster-dg-cli)")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run(
        [str(dg), "check", "defs"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr
