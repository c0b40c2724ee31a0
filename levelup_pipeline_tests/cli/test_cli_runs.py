"""CLI runs are runs of the code location's jobs: listed under the job like UI runs, with the
player's remembered settings as their run config."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import RunsFilter

from levelup_pipeline.cli.main import cli
from levelup_pipeline.store.settings import load_settings

pytestmark = pytest.mark.e2e
#: What the UI's Runs tab of a job filters on (dagster-graphql's GrapheneJob.resolve_runs).
UI_REPOSITORY_TAG = {".dagster/repository": "__repository__@levelup"}


def _run_config(pipeline, run_id_prefix: str) -> dict:
    (run,) = [r for r in pipeline.instance.get_runs() if r.run_id.startswith(run_id_prefix)]
    return run.run_config["ops"]["raw_match_json"]["config"]


def test_cli_runs_carry_the_origin_and_the_players_settings(pipeline):
    gamertag = pipeline.gamertags()[0]
    runner = CliRunner()
    added = runner.invoke(cli, ["players", "add", gamertag, "--cadence", "weekly"])
    assert added.exit_code == 0, added.output
    assert "syncs weekly, matchmaking matches" in added.output

    full = runner.invoke(cli, ["sync", "--full", "--player", gamertag, "--match-type", "all"])
    assert full.exit_code == 0, full.output
    assert load_settings(gamertag).match_type == "all"  # remembered, cadence kept
    assert load_settings(gamertag).cadence == "weekly"

    delta = runner.invoke(cli, ["sync", "--player", gamertag, "--force-run"])
    assert delta.exit_code == 0, delta.output
    run_id = delta.output.rsplit("[run ", 1)[1][:8]
    assert _run_config(pipeline, run_id)["match_type"] == "all"  # the imported type, kept

    listed = pipeline.instance.get_runs(RunsFilter(job_name="delta_sync", tags=UI_REPOSITORY_TAG))
    assert [r.run_id[:8] for r in listed] == [run_id]
    (run,) = listed
    assert run.remote_job_origin.location_name == "levelup"
    assert run.job_code_origin.job_name == "delta_sync"
    assert run.tags["dagster/partition"] == gamertag
