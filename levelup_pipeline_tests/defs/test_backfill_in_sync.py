"""A plain sync runs no gap step at all; --with-backfill is its own run (fill_gaps)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.main import cli
from levelup_pipeline.definitions import defs
from levelup_pipeline_tests.defs.test_backfill_e2e import _query, _sync_with_gaps
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.e2e


@pytest.fixture
def pipeline(tmp_path):
    with isolated_pipeline(tmp_path, seed=11, players=2, matches=25) as handle:
        yield handle


def test_sync_jobs_have_no_gap_step_and_no_asset_is_named_backfill():
    for job in ("delta_sync", "full_sync"):
        steps = {node.name for node in defs.resolve_job_def(job).nodes_in_topological_order}
        assert {"raw_match_json", "model_tables", "aggregate_tables"} <= steps
        assert "player_report" not in steps  # the report follows by automation (#17)
        assert not [s for s in steps if "backfill" in s or "gap" in s]
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert not [k for k in keys if "backfill" in k]
    jobs = {job.name for job in defs.get_repository_def().get_all_jobs()}
    assert not [j for j in jobs if "backfill" in j]


def test_plain_sync_leaves_gaps_and_with_backfill_fills_them(pipeline):
    gamertag = pipeline.gamertags()[0]
    skill_ids, film_ids = _sync_with_gaps(pipeline, gamertag)
    pipeline.sim.reset_stats()
    plain = pipeline.sync(gamertag, "delta_sync", match_type="all")
    assert plain.success, plain.error
    assert set(plain.metadata) & {"fill_gaps", "gap_fill"} == set()
    requests = pipeline.sim.stats()["requests"]
    assert requests["match_skill"] == 0 and requests["film"] == 0  # no gap was fetched

    pipeline.sim.reset_stats()
    result = CliRunner().invoke(
        cli, ["sync", "--player", gamertag, "--match-type", "all", "--with-backfill"]
    )
    assert result.exit_code == 0, result.output
    assert f"backfill filled {len(skill_ids)} skill rows" in result.output
    assert pipeline.sim.stats()["requests"]["match_skill"] == len(skill_ids)
    in_db = _query(
        pipeline,
        gamertag,
        "SELECT count(*) FROM player_match_stats WHERE match_id IN ("
        + ",".join(f"'{m}'" for m in skill_ids)
        + ")",
    )
    assert in_db[0][0] == len(skill_ids)
