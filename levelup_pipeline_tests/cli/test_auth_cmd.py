"""`levelup auth` runs spnkr's real sign-in flow (against the simulator) and stores a 0600 file."""

from __future__ import annotations

import stat

from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.simulator.server import run_simulator

SECRET = "azure-client-secret-do-not-leak"


def test_auth_stores_refresh_token_user_only(tmp_path, monkeypatch):
    token_file = tmp_path / "cfg" / "refresh_token.json"
    with run_simulator(seed=3, players=2, matches=5) as sim:
        monkeypatch.setenv("LEVELUP_HALO_ENDPOINT", sim.endpoint)
        monkeypatch.setenv("SPNKR_CLIENT_SECRET", SECRET)
        result = CliRunner().invoke(
            cli,
            ["auth", "--client-id", "my-app", "--token-file", str(token_file)],
            input="the-code-from-the-redirect\n",
        )
        assert sim.stats()["requests"]["auth"] >= 1
    assert result.exit_code == 0, result.output
    assert "login.live.com/oauth20_authorize.srf" in result.output
    assert token_file.exists()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert SECRET not in token_file.read_text() and SECRET not in result.output


def test_auth_without_client_id_is_one_sentence(monkeypatch):
    monkeypatch.delenv("SPNKR_CLIENT_ID", raising=False)
    result = CliRunner().invoke(cli, ["auth"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: No Azure app client id")
    assert "Traceback" not in result.output
