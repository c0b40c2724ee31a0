"""The engine asks for the names of maps, modes and playlists while it fetches the matches (not
after the last one): the discovery service's budget can then serve them whenever the films
leave it room, instead of in a tail after the last match. Each name is stored once."""

from __future__ import annotations

import time
from pathlib import Path

from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline_tests.ingest.engine_run import sync_first_player


def test_ugc_names_are_asked_for_during_the_match_fetch(tmp_path: Path) -> None:
    calls: dict[str, list[float]] = {"match_stats": [], "highlight_events": [], "ugc_asset": []}

    def recorded(api, name: str):
        original = getattr(api, name)

        async def call(*args):
            calls[name].append(time.monotonic())
            return await original(*args)

        setattr(api, name, call)

    def prepare(api) -> None:
        for name in calls:
            recorded(api, name)

    with run_simulator(players=1, matches=40, seed=11) as sim:
        options = SyncOptions(mode="full", max_matches=40, match_type="all")
        stored = sync_first_player(sim, tmp_path, options, rps=60.0, prepare=prepare).ugc_assets
        served = sim.stats()["requests"]["ugc"]
    assert len(calls["match_stats"]) == 40
    assert len(calls["ugc_asset"]) == served == stored > 0  # each name asked for and stored once
    # At 60 req/s the 40 matches take ~3 s: the first names are asked for long before the last
    # match's film (the old engine asked for them all after every match was fetched).
    assert min(calls["ugc_asset"]) < max(calls["highlight_events"]) - 1.0
