"""One SyncEngine run of a simulated world's first player, for the engine's own tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApiSettings, open_halo_api
from levelup_pipeline.ingest.engine import SyncEngine, SyncReport
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store.player_store import PlayerStore


def sync_first_player(
    sim: Any,
    data_dir: Path,
    options: SyncOptions,
    rps: float,
    prepare: Callable[[Any], None] | None = None,
) -> SyncReport:
    """Sync the world's first player into `data_dir`; `prepare(api)` runs before the sync."""
    player = sim.world.players[0]

    async def main() -> SyncReport:
        settings = HaloApiSettings(
            endpoint=sim.endpoint, requests_per_second=rps, credentials=Credentials()
        )
        with PlayerStore(player.gamertag, data_dir=data_dir).writer() as writer:
            async with open_halo_api(settings) as api:
                if prepare is not None:
                    prepare(api)
                engine = SyncEngine(api, writer, player.gamertag, str(player.xuid), options)
                return await engine.run()

    return asyncio.run(main())
