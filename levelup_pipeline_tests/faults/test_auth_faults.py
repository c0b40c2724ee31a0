"""Tokens expire in the middle of a sync (refresh and continue), or the refresh token is
revoked (one line telling the user to run `levelup auth`, nothing written)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.halo.auth import SIM_REFRESH_TOKEN, forget_tokens
from levelup_pipeline_tests.faults.helpers import assert_same_as, one_line_error

pytestmark = pytest.mark.faults

AUTH_CHAIN = 6  # oauth, user token, XSTS x2, spartan, clearance


def test_token_expiry_mid_sync_refreshes_and_continues(bed):
    bed.sim.knobs.strict_tokens = True  # only tokens the simulator issued are accepted
    bed.sim.knobs.token_ttl_requests = 25  # ...and each one for 25 requests only
    outcome = bed.sync()
    assert outcome.success, outcome.error
    stats = bed.sim.stats()
    assert stats["responses"]["401"] >= 1
    assert stats["requests"]["auth"] >= 3 * AUTH_CHAIN  # at least two refreshes mid-sync
    assert_same_as(bed.store(), bed.baseline())


def test_revoked_refresh_token_is_one_line_and_writes_nothing(bed):
    bed.pipeline.add(bed.gamertag)  # registered: the error is the run's, named by player
    forget_tokens()  # a new process: no spartan token in memory to reuse
    created_by_add = bed.store().exists()
    bed.sim.reset_stats()
    bed.sim.knobs.strict_tokens = True
    bed.sim.knobs.revoked_refresh_tokens = {SIM_REFRESH_TOKEN}
    result = CliRunner().invoke(
        cli, ["sync", "--full", "--player", bed.gamertag, "--match-type", "all"]
    )
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert line.startswith(f"Error: {bed.gamertag}: Authentication failed: run 'levelup auth'")
    assert SIM_REFRESH_TOKEN not in result.output
    assert bed.sim.stats()["requests"]["match_history"] == 0
    assert bed.store().exists() == created_by_add
    if created_by_add:
        with bed.store().reader() as con:
            assert con.execute("SELECT count(*) FROM raw_match_json").fetchone() == (0,)
