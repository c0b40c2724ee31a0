"""HaloApi against the real local simulator over HTTPS (skipped until the simulator exists)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.halo.client import HaloApi, HaloApiSettings, open_halo_api
from levelup_pipeline.halo.errors import FilmUnavailable, MalformedResponse, MatchNotFound
from levelup_pipeline.halo.retry import RetryPolicy

server = pytest.importorskip("levelup_pipeline.simulator.server")


def _settings(endpoint: str, rps: float = 200.0) -> HaloApiSettings:
    return HaloApiSettings(
        endpoint=endpoint,
        requests_per_second=rps,
        retry=RetryPolicy(max_attempts=8, max_total_wait_seconds=30, base_delay=0.02),
        credentials=Credentials(),
    )


async def _sync_player(api: HaloApi, player: str) -> list[str]:
    ident = await api.resolve_player(player)
    ids: list[str] = []
    start = 0
    while True:
        page = await api.match_history(ident.xuid, start, 25)
        results = page.get("Results", [])
        ids += [r["MatchId"] for r in results]
        if len(results) < 25:
            return ids
        start += 25


def test_full_auth_chain_token_expiry_and_sync_against_simulator() -> None:
    with server.run_simulator(players=2, matches=30, seed=7) as sim:
        sim.knobs.strict_tokens = True
        sim.knobs.token_ttl_requests = 20
        gamertag = sim.world.players[0].gamertag

        async def main() -> tuple[list[str], int, list[dict]]:
            async with open_halo_api(_settings(sim.endpoint)) as api:
                ids = await _sync_player(api, gamertag)
                stats = await asyncio.gather(*(api.match_stats(m) for m in ids))
                xuids = [sim.world.players[0].xuid]
                await api.match_skill(ids[0], [str(x) for x in xuids])
                try:
                    events = await api.highlight_events(ids[0])
                except FilmUnavailable:
                    events = []
                assert all(s.get("MatchId") for s in stats)
                return ids, api.tokens.refresh_count, events

        ids, refreshes, _events = asyncio.run(main())
    assert len(ids) == len(set(ids)) > 0
    assert refreshes >= 2  # initial sign-in through the chain + at least one refresh


def test_rate_limited_simulator_every_match_fetched_once() -> None:
    with server.run_simulator(players=1, matches=40, seed=3) as sim:
        gamertag = sim.world.players[0].gamertag
        ids = sim.world.match_ids_of(sim.world.players[0].xuid)
        sim.knobs.rate_limit_rps = {"*": 10}
        sim.knobs.retry_after_seconds = 1

        async def main() -> list[dict]:
            async with open_halo_api(_settings(sim.endpoint, rps=25)) as api:
                await api.resolve_player(gamertag)
                return await asyncio.gather(*(api.match_stats(m) for m in ids))

        results = asyncio.run(main())
        log = list(sim.request_log)
    assert sorted(r["MatchId"] for r in results) == sorted(ids)
    statuses = Counter(status for _, name, status in log if "stats" in name)
    assert statuses[200] == len(ids)


def test_missing_and_malformed_matches_are_typed() -> None:
    with server.run_simulator(players=1, matches=5, seed=5) as sim:
        ids = sim.world.match_ids_of(sim.world.players[0].xuid)
        sim.knobs.missing_matches = {ids[0]}
        sim.knobs.malformed_matches = {ids[1]}

        async def main() -> None:
            async with open_halo_api(_settings(sim.endpoint)) as api:
                with pytest.raises(MatchNotFound):
                    await api.match_stats(ids[0])
                with pytest.raises(MalformedResponse):
                    await api.match_stats(ids[1])
                assert (await api.match_stats(ids[2]))["MatchId"] == ids[2]

        asyncio.run(main())
