"""`levelup sync`'s prefetch (ingest/prefetch.py): the sync's requests go out while Dagster
loads, and the run answers from them - each request once, errors included, same rows."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import AssetKey

from levelup_pipeline.cli import sync_cmd
from levelup_pipeline.cli.main import cli
from levelup_pipeline.halo.auth import forget_tokens
from levelup_pipeline.ingest import prefetch
from levelup_pipeline.ingest.options import options_from

pytestmark = pytest.mark.e2e

MATCH_ENDPOINTS = ("match_history", "match_stats", "match_skill", "film", "film_chunk")
MATCHMADE = 3


def _match_requests(pipeline) -> dict[str, int]:
    requests = pipeline.sim.stats()["requests"]
    return {name: requests[name] for name in MATCH_ENDPOINTS}


def _api_requests(pipeline) -> dict[str, int]:
    return {k: n for k, n in pipeline.sim.stats()["requests"].items() if k != "auth"}


def _expected(pipeline, new_ids: list[str], history_pages: int = 1) -> dict[str, int]:
    """One request per new match and part: what a sync without prefetch asks."""
    matches = pipeline.sim.world.matches
    matchmade = [m for m in new_ids if matches[m]["MatchInfo"].get("LifecycleMode") == MATCHMADE]
    return {
        "match_history": history_pages,
        "match_stats": len(new_ids),
        "match_skill": len(matchmade),
        "film": len(new_ids),
        "film_chunk": len(new_ids),
    }


def _prefetched_requests(pipeline) -> int:
    event = pipeline.instance.get_latest_materialization_event(AssetKey("raw_match_json"))
    return event.asset_materialization.metadata["prefetched_requests"].value


def _stored(pipeline, gamertag: str, ids: list[str]) -> list[tuple]:
    with pipeline.store(gamertag).reader() as con:
        return con.execute(
            "SELECT match_id FROM match_stats WHERE list_contains(?, match_id) ORDER BY 1",
            [ids],
        ).fetchall()


@pytest.fixture
def clean_prefetch():
    yield
    prefetch.drop()


def test_a_finished_prefetch_answers_every_request_of_the_run_once(synced_pipeline, clean_prefetch):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    new_ids = pipeline.sim.add_matches(3, gamertag)
    missing = new_ids[1]
    pipeline.sim.knobs.missing_matches = {missing}  # a 404 met by the prefetch
    pipeline.sim.reset_stats()
    options = options_from("delta", {"match_type": "all"})
    sync_cmd._start_prefetch(gamertag, options)
    started = prefetch._current
    assert started is not None and started.walked.wait(30)
    made = _match_requests(pipeline)
    # everything the run will ask was asked, before any run exists
    assert made == _expected(pipeline, [m for m in new_ids if m != missing]) | {"match_stats": 3}

    everything = _api_requests(pipeline)
    assert everything["users"] >= 1  # the gamertag check and the profiles of the players met

    outcome = pipeline.sync(gamertag, "delta_sync", match_type="all")

    assert outcome.success, outcome.error
    assert _match_requests(pipeline) == made  # no request was made twice
    assert _api_requests(pipeline) == everything  # the run asked the API nothing itself
    assert _prefetched_requests(pipeline) == started.served > 0
    kept = sorted(m for m in new_ids if m != missing)
    assert _stored(pipeline, gamertag, new_ids) == [(m,) for m in kept]
    with pipeline.store(gamertag).reader() as con:
        unavailable = con.execute(
            "SELECT reason FROM unavailable_matches WHERE match_id = ?", [missing]
        ).fetchall()
    assert unavailable == [("not found (404)",)]  # the prefetched 404, handled as the run's


def test_a_prefetch_is_claimed_only_by_its_own_sync(synced_pipeline, clean_prefetch):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    pipeline.sim.add_matches(2, gamertag)
    sync_cmd._start_prefetch(gamertag, options_from("delta", {"match_type": "all"}))
    other = options_from("delta", {"match_type": "matchmaking"})
    assert prefetch.claim(gamertag, other) is None
    assert prefetch.claim("SomeoneElse", options_from("delta", {"match_type": "all"})) is None
    assert prefetch.claim(gamertag, options_from("delta", {"match_type": "all"})) is not None
    assert prefetch.claim(gamertag, options_from("delta", {"match_type": "all"})) is None


def test_a_stale_prefetch_is_dropped(synced_pipeline, clean_prefetch, monkeypatch):
    """A run that waited for another run of the player must not start from old pages."""
    gamertag = synced_pipeline.gamertags()[0]
    options = options_from("delta", {"match_type": "all"})
    sync_cmd._start_prefetch(gamertag, options)
    started = prefetch._current.started_at
    later = started + prefetch.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(prefetch.time, "monotonic", lambda: later)
    assert prefetch.claim(gamertag, options) is None
    assert prefetch._current is None  # closed


def test_cli_delta_uses_the_prefetch_and_asks_each_request_once(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    new_ids = pipeline.sim.add_matches(2, gamertag)
    pipeline.sim.reset_stats()
    forget_tokens()  # a new `levelup` process starts with no tokens in memory
    result = CliRunner().invoke(
        cli, ["sync", "--delta", "--match-type", "all", "--player", gamertag]
    )
    assert result.exit_code == 0, result.output
    assert f"{gamertag}: 2 new match(es)" in result.output
    assert _match_requests(pipeline) == _expected(pipeline, new_ids)
    assert _prefetched_requests(pipeline) > 0
    assert _stored(pipeline, gamertag, new_ids) == [(m,) for m in sorted(new_ids)]
    assert prefetch._current is None  # closed once the player's turn ended


def test_prefetch_off_by_setting(synced_pipeline, monkeypatch):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    new_ids = pipeline.sim.add_matches(2, gamertag)
    monkeypatch.setenv(sync_cmd.PREFETCH_ENV, "0")
    pipeline.sim.reset_stats()
    result = CliRunner().invoke(
        cli, ["sync", "--delta", "--match-type", "all", "--player", gamertag]
    )
    assert result.exit_code == 0, result.output
    assert _match_requests(pipeline) == _expected(pipeline, new_ids)
    assert _prefetched_requests(pipeline) == 0


def test_cli_full_import_of_a_new_player_is_prefetched_without_duplicates(pipeline):
    gamertag = pipeline.gamertags()[1]
    pipeline.add(gamertag)
    pipeline.sim.reset_stats()
    args = ["sync", "--full", "--match-type", "all", "--max-matches", "12", "--player", gamertag]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with pipeline.store(gamertag).reader() as con:
        stored = [r[0] for r in con.execute("SELECT match_id FROM raw_match_json").fetchall()]
    assert len(stored) == 12
    requests = _match_requests(pipeline)
    assert requests == _expected(pipeline, stored, history_pages=requests["match_history"])
    assert requests["match_history"] <= 2  # pages of 25: the walk stops at 12
    assert _prefetched_requests(pipeline) > 0


def test_verbose_logs_the_prefetched_requests_too(synced_pipeline):
    pipeline = synced_pipeline
    gamertag = pipeline.gamertags()[0]
    new_ids = pipeline.sim.add_matches(2, gamertag)
    args = ["sync", "--delta", "--match-type", "all", "--verbose", "--player", gamertag]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for match_id in new_ids:  # each stats request, whoever made it
        assert f"/hi/matches/{match_id}/stats" in result.output


def test_no_cyclic_gc_from_start_up_to_the_run_then_start_up_frozen(pipeline, monkeypatch):
    """Full GC passes over Dagster's objects held the GIL 100-200 ms each during the fetch:
    the CLI starts up without the cyclic GC; the run's executor freezes what it loaded."""
    import gc

    from levelup_pipeline.defs import executor

    calls: list[str] = []

    class Recorder:
        def __getattr__(self, name):
            def call(*args):
                calls.append(f"gc.{name}")
                return getattr(gc, name)(*args)

            return call

    monkeypatch.setattr(sync_cmd, "gc", Recorder())
    monkeypatch.setattr(executor, "gc", Recorder())
    monkeypatch.setattr(executor, "_start_up_frozen", False)  # as in a new process
    start, claim = prefetch.start, prefetch.claim
    monkeypatch.setattr(prefetch, "start", lambda *a: calls.append("prefetch") or start(*a))
    monkeypatch.setattr(prefetch, "claim", lambda *a: calls.append("raw step") or claim(*a))
    gamertag = pipeline.gamertags()[1]
    pipeline.add(gamertag)
    args = ["sync", "--full", "--match-type", "all", "--max-matches", "3", "--player", gamertag]
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        gc.unfreeze()  # this test process outlives the run
        gc.enable()
    assert result.exit_code == 0, result.output
    assert calls[:5] == ["gc.disable", "prefetch", "gc.freeze", "gc.enable", "raw step"]
    assert calls[-1] == "gc.enable"  # whatever happened in the run
