"""The sync and the gap filler share one fetch core (ingest/fetch_core.py): the medal metadata
a sync fetches with --with-assets is handled as the gap filler handles it (a missing document
is recorded, not fatal; its sprite list and the medals it lacks are remembered), and one rule
says which API errors end a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levelup_pipeline.halo.errors import (
    AuthenticationFailed,
    FilmUnavailable,
    HaloApiUnavailable,
    RateLimitExhausted,
    ResourceNotFound,
)
from levelup_pipeline.ingest.fetch_core import MEDAL_SPRITES_KEY, ends_run
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline_tests.ingest.engine_run import sync_first_player


def _sync_with_assets(tmp_path: Path, sim) -> tuple[int, bool, str | None]:
    options = SyncOptions(mode="full", max_matches=5, match_type="all", with_assets=True)
    fetched = sync_first_player(sim, tmp_path, options, rps=200.0).fetched
    with PlayerStore(sim.world.players[0].gamertag, data_dir=tmp_path).writer() as writer:
        return fetched, writer.has_medal_metadata(), writer.get_meta(MEDAL_SPRITES_KEY)


def test_a_sync_without_medal_metadata_on_the_server_still_stores_its_matches(
    tmp_path: Path,
) -> None:
    with run_simulator(players=1, matches=5, seed=3) as sim:
        sim.world.medal_metadata = None  # the gamecms file answers 404
        fetched, has_medals, sprites = _sync_with_assets(tmp_path, sim)
        asked = sim.stats()["requests"]["medals"]
    assert fetched == 5
    assert asked == 1 and not has_medals and sprites is None


def test_a_sync_with_assets_remembers_the_medal_sprite_sheets(tmp_path: Path) -> None:
    with run_simulator(players=1, matches=5, seed=3) as sim:
        expected = sorted({s["path"] for s in sim.world.medal_metadata["sprites"].values()})
        fetched, has_medals, sprites = _sync_with_assets(tmp_path, sim)
    assert fetched == 5 and has_medals
    # The reference step then needs no second request for the sprite list.
    assert sprites is not None and json.loads(sprites) == expected


@pytest.mark.parametrize(
    ("error", "outage_ends_run", "ends"),
    [
        (AuthenticationFailed(), False, True),
        (RateLimitExhausted("spent"), False, True),
        (HaloApiUnavailable("down"), False, False),
        (HaloApiUnavailable("down"), True, True),
        (ResourceNotFound("gone"), True, False),
        (FilmUnavailable("no film"), True, False),
        (KeyError("a bug"), False, True),
    ],
)
def test_the_run_ending_rule(error: BaseException, outage_ends_run: bool, ends: bool) -> None:
    assert ends_run(error, outage_ends_run) is ends
