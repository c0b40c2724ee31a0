"""Gap filling (--with-backfill), rebuild and --with-assets end to end: Dagster jobs against
the simulator.

Gaps are made the way they happen for real (the API answers 404 / no highlight chunk during
the sync) or, for data older syncs never had, by removing rows the way an old database lacks
them. Request counts prove that only what is missing is fetched.
"""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from levelup_pipeline.cli.backfill_steps import gaps_filled, maintenance_jobs
from levelup_pipeline.cli.main import cli
from levelup_pipeline.cli.runner import run_job
from levelup_pipeline_tests.harness import isolated_pipeline

pytestmark = pytest.mark.e2e
ONE_ATTEMPT = {"resources": {"halo": {"config": {"max_attempts": 1}}}}


@pytest.fixture
def pipeline(tmp_path):
    """A smaller world than the shared fixture: 2 players, about 25 matches each."""
    with isolated_pipeline(tmp_path, seed=11, players=2, matches=25) as handle:
        yield handle


def _data_requests(pipeline) -> dict[str, int]:
    """Simulator request counts, every endpoint (auth included), zeros dropped."""
    return {k: v for k, v in pipeline.sim.stats()["requests"].items() if v}


def _counts(pipeline, gamertag: str) -> dict[str, int]:
    counts = pipeline.store(gamertag).table_counts()
    counts.pop("sync_meta")
    return counts


def _query(pipeline, gamertag: str, sql: str) -> list[tuple]:
    with pipeline.store(gamertag).reader() as conn:
        return conn.execute(sql).fetchall()


def _execute(pipeline, gamertag: str, *statements: str) -> None:
    """Make the database look like an older one (test-only direct writes)."""
    con = duckdb.connect(str(pipeline.store(gamertag).path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def _sync_with_gaps(pipeline, gamertag: str, skill: int = 2, films: int = 2) -> tuple[list, list]:
    """Full sync while the API has no skill for `skill` matches and no highlights for `films`."""
    pipeline.add(gamertag)
    world = pipeline.sim.world
    played = world.match_ids_of(world.find_player(gamertag))
    ids = [m for m in played if m in world.skill]  # custom games have no skill: never asked
    skill_ids, film_ids = ids[:skill], ids[skill : skill + films]
    saved = {m: world.skill.pop(m) for m in skill_ids}
    pipeline.sim.knobs.films_without_highlights = set(film_ids)
    out = pipeline.sync(gamertag, "full_sync", match_type="all")
    assert out.success, out.error
    raw = out.metadata["raw_match_json"]
    assert (raw["skill_gaps"], raw["film_gaps"]) == (skill, films)
    world.skill.update(saved)
    pipeline.sim.knobs.films_without_highlights = set()
    return skill_ids, film_ids


def test_backfill_fetches_only_what_is_missing_and_is_idempotent(pipeline):
    gamertag = pipeline.gamertags()[0]
    skill_ids, film_ids = _sync_with_gaps(pipeline, gamertag)
    met = [
        r[0]
        for r in _query(
            pipeline,
            gamertag,
            "SELECT DISTINCT xuid FROM match_players WHERE is_human"
            " AND xuid IN (SELECT xuid FROM xuid_aliases) ORDER BY xuid LIMIT 3",
        )
    ]
    map_id, map_matches, map_versions = _query(
        pipeline,
        gamertag,
        "SELECT map_id, count(*), count(DISTINCT map_version_id) FROM match_stats"
        " GROUP BY map_id ORDER BY 2 DESC LIMIT 1",
    )[0]
    scores = dict(_query(pipeline, gamertag, "SELECT match_id, performance_score FROM match_stats"))
    nulled = [m for m, s in scores.items() if s is not None][:4]
    ids = ", ".join(f"'{m}'" for m in nulled)
    _execute(
        pipeline,
        gamertag,
        f"DELETE FROM xuid_aliases WHERE xuid IN ({', '.join(repr(x) for x in met)})",
        f"DELETE FROM ugc_assets WHERE asset_id = '{map_id}'",
        f"UPDATE match_stats SET map_name = NULL WHERE map_id = '{map_id}'",
        f"UPDATE match_stats SET performance_score = NULL WHERE match_id IN ({ids})",
    )
    before = _counts(pipeline, gamertag)

    # 1st gap fill: one skill fetch fails (500, one attempt): kept for the next one.
    pipeline.sim.knobs.skill_failures = {skill_ids[0]}
    pipeline.sim.reset_stats()
    out = run_job(pipeline.instance, "fill_gaps", gamertag, run_config=ONE_ATTEMPT)
    assert out.success, out.error
    requests = _data_requests(pipeline)
    assert requests.get("match_skill") == len(skill_ids)
    assert requests.get("film") == requests.get("film_chunk") == len(film_ids)
    assert requests.get("users") == 1 and requests.get("ugc") == map_versions
    for untouched in ("match_history", "match_stats", "medals"):
        assert untouched not in requests
    assert out.metadata["raw_match_json"]["gap_fill"]["skill"]["failed"] == 1
    filled = gaps_filled(out.metadata)
    after = _counts(pipeline, gamertag)
    assert filled["skill"] == after["player_match_stats"] - before["player_match_stats"]
    assert filled["skill"] == 1
    assert filled["highlights"] == after["highlight_events"] - before["highlight_events"]
    assert filled["aliases"] == len(met)
    assert filled["names"] == map_matches
    assert filled["performance_scores"] == len(nulled)
    films = _query(
        pipeline,
        gamertag,
        "SELECT count(DISTINCT match_id) FROM highlight_events WHERE match_id IN "
        f"({', '.join(repr(m) for m in film_ids)})",
    )[0][0]
    assert films == len(film_ids)
    restored = dict(
        _query(pipeline, gamertag, "SELECT match_id, performance_score FROM match_stats")
    )
    assert restored == scores
    assert (
        _query(
            pipeline,
            gamertag,
            f"SELECT count(*) FROM match_stats WHERE map_id = '{map_id}' AND map_name IS NULL",
        )[0][0]
        == 0
    )

    # 2nd gap fill: only the failed skill is asked again.
    pipeline.sim.knobs.skill_failures = set()
    pipeline.sim.reset_stats()
    out = run_job(pipeline.instance, "fill_gaps", gamertag)
    assert out.success, out.error
    assert {k: v for k, v in _data_requests(pipeline).items() if k != "auth"} == {"match_skill": 1}
    assert gaps_filled(out.metadata)["skill"] == 1
    complete = _counts(pipeline, gamertag)
    with_skill = _query(
        pipeline,
        gamertag,
        "SELECT count(*) FROM player_match_stats WHERE match_id IN "
        f"({', '.join(repr(m) for m in skill_ids)})",
    )[0][0]
    assert with_skill == len(skill_ids)

    # 3rd gap fill: nothing is missing -> no API session at all, nothing changes.
    pipeline.sim.reset_stats()
    out = run_job(pipeline.instance, "fill_gaps", gamertag)
    assert out.success, out.error
    assert _data_requests(pipeline) == {}
    filled = gaps_filled(out.metadata)
    assert set(filled) >= {"skill", "highlights", "aliases", "names", "medals"}
    assert all(count == 0 for count in filled.values())
    assert _counts(pipeline, gamertag) == complete


def test_cli_with_backfill_then_rebuild_cache(pipeline):
    gamertag = pipeline.gamertags()[1]
    skill_ids, film_ids = _sync_with_gaps(pipeline, gamertag, skill=1, films=1)
    new_ids = pipeline.sim.add_matches(2, gamertag=gamertag)
    runner = CliRunner()

    pipeline.sim.reset_stats()
    result = runner.invoke(
        cli, ["sync", "--delta", "--match-type", "all", "--player", gamertag, "--with-backfill"]
    )
    assert result.exit_code == 0, result.output
    assert "backfill filled 1 skill rows" in result.output
    requests = _data_requests(pipeline)
    assert requests["match_stats"] == len(new_ids)
    assert requests["match_skill"] == len(new_ids) + len(skill_ids)
    assert requests["film"] == len(new_ids) + len(film_ids)
    filled = _query(
        pipeline,
        gamertag,
        "SELECT count(skill_json_zst), count(highlights_json_zst) FROM raw_match_json"
        " WHERE match_id IN "
        f"({', '.join(repr(m) for m in skill_ids + film_ids)})",
    )[0]
    assert filled == (2, 2)
    before = _counts(pipeline, gamertag)

    # --rebuild-cache: derived tables recomputed from raw, zero API calls (auth included).
    _execute(pipeline, gamertag, "DELETE FROM medals", "DELETE FROM match_players")
    pipeline.sim.reset_stats()
    result = runner.invoke(cli, ["sync", "--player", gamertag, "--rebuild-cache"])
    assert result.exit_code == 0, result.output
    assert "rebuilt from raw_match_json" in result.output
    assert _data_requests(pipeline) == {}
    assert _counts(pipeline, gamertag) == before


def test_performance_scores_job_makes_no_request_and_assets_cache_images(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]  # registered, full sync of every match type stored

    pipeline.sim.reset_stats()
    out = run_job(pipeline.instance, "fill_performance_scores", gamertag)
    assert out.success, out.error
    assert "raw_match_json" not in out.metadata  # the model only: no fetch step at all
    assert "performance_scores" in out.metadata["match_stats"]["gaps_closed"]
    assert _data_requests(pipeline) == {}

    # --with-assets: metadata and every image once; a second run asks nothing.
    out = run_job(pipeline.instance, "download_assets", gamertag)
    assert out.success, out.error
    urls = _query(
        pipeline,
        gamertag,
        "SELECT count(DISTINCT u) FROM (SELECT unnest(image_urls::VARCHAR[]) AS u FROM ugc_assets"
        " UNION ALL SELECT hero_image_url FROM ugc_assets"
        " UNION ALL SELECT thumbnail_image_url FROM ugc_assets) WHERE u IS NOT NULL",
    )[0][0]
    sprites = len(pipeline.sim.world.medal_metadata["sprites"])
    requests = _data_requests(pipeline)
    assert requests["images"] == urls + sprites and requests["medals"] == 1
    files = [p for p in (pipeline.data_dir / "assets").rglob("*") if p.is_file()]
    assert len(files) == urls + sprites
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in files)
    assert out.metadata["game_assets"]["images_cached"] == len(files)
    assert _query(pipeline, gamertag, "SELECT count(*) FROM medal_metadata")[0][0] > 0

    pipeline.sim.reset_stats()
    out = run_job(pipeline.instance, "download_assets", gamertag)
    assert out.success and _data_requests(pipeline) == {}


def test_sync_flags_map_to_jobs_in_order():
    assert maintenance_jobs() == []
    assert maintenance_jobs(with_backfill=True, performance_scores=True) == ["fill_gaps"]
    assert maintenance_jobs(performance_scores=True, with_assets=True) == [
        "fill_performance_scores",
        "download_assets",
    ]
    rebuild = maintenance_jobs(rebuild_cache=True, with_backfill=True)
    assert rebuild == ["rebuild_from_raw", "fill_gaps"]
