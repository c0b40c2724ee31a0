"""The engine asks for the names of maps, modes and playlists while it fetches the matches (not
after the last one): the discovery service's budget can then serve them whenever the films
leave it room, instead of in a tail after the last match. Each name is stored once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApiSettings, open_halo_api
from levelup_pipeline.ingest.engine import SyncEngine
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.store.player_store import PlayerStore


def test_ugc_names_are_asked_for_during_the_match_fetch(tmp_path: Path) -> None:
    calls: dict[str, list[float]] = {"match_stats": [], "highlight_events": [], "ugc_asset": []}

    def recorded(api, name: str):
        original = getattr(api, name)

        async def call(*args):
            calls[name].append(time.monotonic())
            return await original(*args)

        setattr(api, name, call)

    with run_simulator(players=1, matches=40, seed=11) as sim:
        player = sim.world.players[0]

        async def main() -> int:
            settings = HaloApiSettings(
                endpoint=sim.endpoint,
                requests_per_second=60.0,
                credentials=Credentials(simulator=True),
            )
            store = PlayerStore(player.gamertag, data_dir=tmp_path)
            with store.writer() as writer:
                async with open_halo_api(settings) as api:
                    for name in calls:
                        recorded(api, name)
                    options = SyncOptions(mode="full", max_matches=40, match_type="all")
                    engine = SyncEngine(api, writer, player.gamertag, str(player.xuid), options)
                    return (await engine.run()).ugc_assets

        stored = asyncio.run(main())
        served = sim.stats()["requests"]["ugc"]
    assert len(calls["match_stats"]) == 40
    assert len(calls["ugc_asset"]) == served == stored > 0  # each name asked for and stored once
    # At 60 req/s the 40 matches take ~3 s: the first names are asked for long before the last
    # match's film (the old engine asked for them all after every match was fetched).
    assert min(calls["ugc_asset"]) < max(calls["highlight_events"]) - 1.0
