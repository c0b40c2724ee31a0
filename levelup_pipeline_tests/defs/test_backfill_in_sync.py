"""Inside a sync the backfill assets only take stock of gaps, unless asked to fill them."""

from __future__ import annotations

import pytest

from levelup_pipeline.defs.assets_backfill import fills_gaps
from levelup_pipeline_tests.defs.test_backfill_e2e import _query, _sync_with_gaps
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.e2e


@pytest.fixture
def pipeline(tmp_path):
    with isolated_pipeline(tmp_path, seed=11, players=2, matches=25) as handle:
        yield handle


@pytest.mark.parametrize(
    "job,tags,expected",
    [
        ("delta_sync", {}, False),
        ("full_sync", {"levelup/with_backfill": "true"}, True),
        ("backfill", {}, True),
        ("__ASSET_JOB", {}, True),
    ],
)
def test_who_fills_gaps(job, tags, expected):
    assert fills_gaps(job, tags) is expected


def test_plain_sync_counts_gaps_and_tagged_sync_fills_them(pipeline):
    gamertag = pipeline.gamertags()[0]
    skill_ids, film_ids = _sync_with_gaps(pipeline, gamertag)
    pipeline.sim.reset_stats()
    plain = pipeline.sync(gamertag, "delta_sync", match_type="all")
    assert plain.success, plain.error
    assert plain.metadata["backfill_skill"]["missing"] == len(skill_ids)
    assert plain.metadata["backfill_highlight_events"]["missing"] == len(film_ids)
    requests = pipeline.sim.stats()["requests"]
    assert requests["match_skill"] == 0 and requests["film"] == 0  # took stock only

    filled = pipeline.sync(gamertag, "delta_sync", match_type="all", with_backfill="true")
    assert filled.success, filled.error
    assert filled.metadata["backfill_skill"]["filled"] == len(skill_ids)
    assert pipeline.sim.stats()["requests"]["match_skill"] == len(skill_ids)
    in_db = _query(
        pipeline,
        gamertag,
        "SELECT count(*) FROM player_match_stats WHERE match_id IN ("
        + ",".join(f"'{m}'" for m in skill_ids)
        + ")",
    )
    assert in_db[0][0] == len(skill_ids)
