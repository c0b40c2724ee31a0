"""`levelup report`: the report is not part of a sync's cost; this command (or automation
under the daemon) draws it from the stored aggregates, with no API call."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli

pytestmark = pytest.mark.e2e


def test_sync_leaves_the_report_and_levelup_report_draws_it(pipeline):
    gamertag = pipeline.gamertags()[0]
    runner = CliRunner()
    assert runner.invoke(cli, ["players", "add", gamertag]).exit_code == 0
    synced = runner.invoke(cli, ["sync", "--full", "--player", gamertag, "--match-type", "all"])
    assert synced.exit_code == 0, synced.output
    folder = pipeline.store(gamertag).path.parent / "report"
    assert not (folder / "report.md").exists()  # the sync job did not draw it

    pipeline.sim.reset_stats()
    drawn = runner.invoke(cli, ["report", "--player", gamertag.upper()])
    assert drawn.exit_code == 0, drawn.output
    assert str(folder / "report.md") in drawn.output
    assert (folder / "report.md").read_text(encoding="utf-8").count("![") == 4
    assert sum(pipeline.sim.stats()["requests"].values()) == 0  # no API call
    runs = pipeline.instance.get_runs(limit=1)
    assert runs[0].job_name == "refresh_report" and runs[0].tags["dagster/partition"] == gamertag


def test_report_of_an_unregistered_player_is_one_sentence(pipeline):
    result = CliRunner().invoke(cli, ["report", "--player", "Nobody Here"])
    assert result.exit_code == 1
    assert "Nobody Here is not a registered player" in result.output
    assert "Traceback" not in result.output
