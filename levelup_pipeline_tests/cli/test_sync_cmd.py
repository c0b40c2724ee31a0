"""`levelup sync` / `levelup stats` as a user types them (click's runner, real jobs)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli

pytestmark = pytest.mark.e2e


def test_sync_by_xuid_then_stats(pipeline):
    gamertag = pipeline.gamertags()[0]
    xuid = pipeline.sim.world.find_player(gamertag)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["sync", "--full", "--player", f"xuid({xuid})", "--match-type", "all", "--stats"]
    )
    assert result.exit_code == 0, result.output
    total = len(pipeline.sim.world.match_ids_of(xuid))
    assert f"{gamertag}: {total} new match(es)" in result.output
    stats = runner.invoke(cli, ["stats", "--player", gamertag])
    assert stats.exit_code == 0, stats.output
    assert "match_stats" in stats.output and str(total) in stats.output
    again = runner.invoke(cli, ["sync", "--player", gamertag, "--match-type", "all"])
    assert again.exit_code == 0 and f"{gamertag}: up to date - no new match" in again.output
    forced = runner.invoke(
        cli, ["sync", "--player", gamertag, "--match-type", "all", "--force-run"]
    )
    assert forced.exit_code == 0 and f"{gamertag}: 0 new match(es)" in forced.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--max-matches", "-5"], "between 1 and"),
        (["--max-matches", "99999999"], "between 1 and"),
        (["--match-type", "ranked"], "'ranked' is not one of 'all', 'matchmaking', 'custom'"),
        (["--player", "../../etc"], "Invalid gamertag"),
        (["--rps", "0"], "--rps must be a positive number"),
    ],
)
def test_bad_options_are_one_clear_line(pipeline, args, message):
    result = CliRunner().invoke(cli, ["sync", *args])
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert "Traceback" not in result.output


def test_sync_with_nobody_registered_says_what_to_do(pipeline):
    result = CliRunner().invoke(cli, ["sync"])
    assert result.exit_code == 1
    assert "levelup players add GAMERTAG" in result.output
