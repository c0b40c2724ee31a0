"""Over real HTTP with the real spnkr client: every response parses and has the captures' keys."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from spnkr import AzureApp, refresh_player_tokens
from spnkr.errors import OAuth2Error
from spnkr.film import read_highlight_events
from spnkr.film.highlight_events import check

from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.simulator.world import World
from levelup_pipeline_tests.simulator.conftest import sim_session

STATS_CAPTURES = {
    6: "get_match_stats.json",
    15: "get_match_stats_ctf.json",
    18: "get_match_stats_oddball.json",
    11: "get_match_stats_zones.json",
    8: "get_match_stats_elimination.json",
    17: "get_match_stats_extraction.json",
}


def key_shape(value: Any) -> Any:
    """Dict keys at every level; lists collapse to the merged shape of their elements."""
    if isinstance(value, dict):
        return {k: key_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            shape = key_shape(item)
            if isinstance(shape, dict) and isinstance(merged, dict):
                for k, v in shape.items():
                    merged.setdefault(k, v) if merged.get(k) is None else None
            elif merged is None:
                merged = shape
        return merged
    return None


def shape_diff(ours: Any, real: Any, path: str = "$") -> list[str]:
    """Differences in keys where both sides are objects (nulls and scalars match anything)."""
    if not isinstance(ours, dict) or not isinstance(real, dict):
        return []
    out = []
    if set(ours) != set(real):
        out.append(
            f"{path}: extra {sorted(set(ours) - set(real))} missing {sorted(set(real) - set(ours))}"
        )
    for key in set(ours) & set(real):
        out += shape_diff(ours[key], real[key], f"{path}.{key}")
    return out


def assert_same_shape(ours: Any, real: Any) -> None:
    """Fail with the list of key differences."""
    diff = shape_diff(key_shape(ours), key_shape(real))
    assert not diff, "\n".join(diff)


async def _json(client: Any, coro: Any) -> Any:
    """Parse with spnkr's model (validation) and return the raw JSON too."""
    response = await coro
    await response.parse()
    return await response.json()


def _pick(world: World, category: int, lifecycle: int = 3) -> str:
    """A match id of a given mode (newest of its kind)."""
    for match_id, body in world.matches.items():
        info = body["MatchInfo"]
        if info["GameVariantCategory"] == category and info["LifecycleMode"] == lifecycle:
            if info["TeamsEnabled"]:
                return match_id
    raise AssertionError(f"no match of category {category}")


@pytest.fixture(scope="module")
def full_world() -> World:
    """A world big enough to contain every mode."""
    return build_synthetic_world(seed=42, players=4, matches=60)


def test_every_endpoint_parses_and_matches_capture_keys(full_world: World, load_capture) -> None:
    """Stats (per mode), history, skill, csr, profile, UGC, film, medals, count, record."""
    me = full_world.players[0]

    async def main() -> None:
        with run_simulator(full_world) as sim:
            async with sim_session(sim.port) as (_, client):
                history = await _json(client, client.stats.get_match_history(me.gamertag, 0, 100))
                assert history["Count"] == 25 and history["ResultCount"] == 25
                assert_same_shape(history, load_capture("get_match_history.json"))
                for category, capture in STATS_CAPTURES.items():
                    match_id = _pick(full_world, category)
                    body = await _json(client, client.stats.get_match_stats(match_id))
                    assert_same_shape(body, load_capture(capture))
                ranked = next(
                    m
                    for m, b in full_world.matches.items()
                    if b["MatchInfo"]["LifecycleMode"] == 3
                    and b["MatchInfo"]["GameVariantCategory"] == 6
                    and len(b["Teams"]) == 2
                )
                xuids = [
                    p["PlayerId"]
                    for p in full_world.matches[ranked]["Players"]
                    if p["PlayerType"] == 1
                ]
                skill = await _json(client, client.skill.get_match_skill(ranked, xuids))
                assert len(skill["Value"]) == len(xuids)
                assert_same_shape(skill, load_capture("get_match_skill.json"))
                info = full_world.matches[ranked]["MatchInfo"]
                csr = await _json(
                    client, client.skill.get_playlist_csr(info["Playlist"]["AssetId"], [me.xuid])
                )
                assert_same_shape(csr, load_capture("get_playlist_csr.json"))
                users = await _json(
                    client, client.profile.get_users_by_id([p.xuid for p in full_world.players])
                )
                assert [u["gamertag"] for u in users] == [p.gamertag for p in full_world.players]
                assert_same_shape(users, load_capture("get_users.json"))
                for coro in (
                    client.profile.get_current_user(),
                    client.profile.get_user_by_gamertag(me.gamertag),
                    client.profile.get_user_by_id(me.xuid),
                ):
                    user = await _json(client, coro)
                    assert user["xuid"] == str(me.xuid)
                    assert_same_shape(user, load_capture("get_user.json"))
                ugc = client.discovery_ugc
                for method, key, capture in (
                    (ugc.get_map, "MapVariant", "get_map.json"),
                    (ugc.get_ugc_game_variant, "UgcGameVariant", "get_ugc_game_variant.json"),
                    (ugc.get_playlist, "Playlist", "get_playlist.json"),
                    (ugc.get_map_mode_pair, "PlaylistMapModePair", "get_map_mode_pair.json"),
                ):
                    asset = await _json(
                        client, method(info[key]["AssetId"], info[key]["VersionId"])
                    )
                    assert asset["PublicName"]
                    assert_same_shape(asset, load_capture(capture))
                film = await _json(client, ugc.get_film_by_match_id(ranked))
                assert film["CustomData"]["Chunks"][-1]["ChunkType"] == 3
                assert_same_shape(film, load_capture("get_film_by_match_id.json"))
                medals = await _json(client, client.gamecms_hacs.get_medal_metadata())
                assert_same_shape(medals, load_capture("get_medal_metadata.json"))
                used = {
                    m["NameId"]
                    for b in full_world.matches.values()
                    for p in b["Players"]
                    for s in p["PlayerTeamStats"]
                    for m in s["Stats"]["CoreStats"]["Medals"]
                }
                assert used <= {m["nameId"] for m in medals["medals"]}
                count = await _json(client, client.stats.get_match_count(me.gamertag))
                assert count["MatchesPlayedCount"] == len(full_world.history(me.xuid))
                assert_same_shape(count, load_capture("get_match_count.json"))
                record = await _json(client, client.stats.get_service_record(me.xuid))
                assert_same_shape(record, load_capture("get_service_record.json"))
                await _json(client, client.stats.get_service_record(me.xuid, "custom"))
            counts = sim.stats()["requests"]
            assert counts["match_stats"] == len(STATS_CAPTURES)
            assert counts["match_history"] == 1 and counts["users"] == 4 and counts["ugc"] == 4

    asyncio.run(main())


def test_highlight_events_agree_with_stats(sim, sim_world: World) -> None:
    """read_highlight_events over HTTP matches kills/deaths/medals of every PvP human."""

    async def main() -> int:
        checked = 0
        async with sim_session(sim.port) as (_, client):
            for match_id, body in list(sim_world.matches.items())[:25]:
                if body["MatchInfo"]["GameVariantCategory"] == 42:
                    continue
                stats = await (await client.stats.get_match_stats(match_id)).parse()
                events = await read_highlight_events(client, match_id)
                assert check(events, stats) == []
                checked += 1
        return checked

    assert asyncio.run(main()) > 15


def test_auth_chain_end_to_end_and_token_ttl() -> None:
    """spnkr's refresh_player_tokens runs against the sim; issued tokens expire by TTL."""
    world = build_synthetic_world(seed=1, players=1, matches=3)
    knobs = Knobs(strict_tokens=True, token_ttl_requests=2, revoked_refresh_tokens={"bad"})

    async def main() -> None:
        with run_simulator(world, knobs) as sim:
            async with sim_session(sim.port, token=None) as (session, client):
                app = AzureApp("client-id", "secret")
                player = await refresh_player_tokens(session, app, "good-refresh-token")
                assert player.gamertag == world.players[0].gamertag
                assert player.player_id == f"xuid({world.players[0].xuid})"
                assert player.is_valid
                with pytest.raises(OAuth2Error):
                    await refresh_player_tokens(session, app, "bad")
                client.set_tokens(player.spartan_token.token, player.clearance_token.token)
                for _ in range(2):
                    await client.stats.get_match_count(world.players[0].gamertag)
                with pytest.raises(aiohttp.ClientResponseError) as err:
                    await client.stats.get_match_count(world.players[0].gamertag)
                assert err.value.status == 401
                client.set_tokens("sim-dev-refused-when-strict", "c")
                with pytest.raises(aiohttp.ClientResponseError) as err:
                    await client.profile.get_current_user()
                assert err.value.status == 401
            assert sim.stats()["requests"]["auth"] == 7  # 6 for the chain, 1 refused

    asyncio.run(main())


def test_fault_knobs() -> None:
    """429 + Retry-After, 404 missing, malformed JSON, skill 500, no highlights, bursts."""
    world = build_synthetic_world(seed=2, players=1, matches=6)
    ids = list(world.matches)
    mm = next(m for m in ids if world.matches[m]["MatchInfo"]["LifecycleMode"] == 3)
    knobs = Knobs(
        missing_matches={ids[0]},
        malformed_matches={ids[1]},
        skill_failures={mm},
        films_without_highlights={ids[2]},
    )

    async def main() -> None:
        with run_simulator(world, knobs) as sim:
            async with sim_session(sim.port) as (session, client):

                async def status(url: str) -> aiohttp.ClientResponse:
                    response = await session.get(url)
                    await response.read()
                    return response

                stats = "https://halostats.svc.halowaypoint.com/hi/matches/{}/stats"
                assert (await status(stats.format(ids[0]))).status == 404
                bad = await status(stats.format(ids[1]))
                assert bad.status == 200
                with pytest.raises(ValueError):
                    await bad.json()
                xuid = world.players[0].xuid
                skill = (
                    f"https://skill.svc.halowaypoint.com/hi/matches/{mm}/skill?players=xuid({xuid})"
                )
                assert (await status(skill)).status == 500
                film = await (await client.discovery_ugc.get_film_by_match_id(ids[2])).parse()
                assert film.highlight_events_url is None
                assert (
                    await status("https://halostats.svc.halowaypoint.com/hi/players/nobody/matches")
                ).status == 404
                knobs.fail_next_n(503, 2, endpoint="match_stats")
                assert [(await status(stats.format(ids[3]))).status for _ in range(3)] == [
                    503,
                    503,
                    200,
                ]
                knobs.rate_limit_rps = {"stats": 2}
                knobs.retry_after_seconds = 3
                answers = [await status(stats.format(ids[3])) for _ in range(4)]
                limited = [r for r in answers if r.status == 429]
                assert limited and limited[0].headers["Retry-After"] == "3"
                knobs.rate_limit_rps = {}
                knobs.error_rate_5xx = 1.0
                assert (await status(stats.format(ids[3]))).status == 500
                knobs.error_rate_5xx = 0.0
            result = sim.stats()
            assert result["responses"]["429"] == len(limited)
            assert result["responses"]["404"] == 2 and result["responses"]["500"] == 2
            assert [entry[1] for entry in sim.request_log].count("match_stats") == 10
            sim.reset_stats()
            assert sum(sim.stats()["requests"].values()) == 0

    asyncio.run(main())


def test_admin_endpoints(sim) -> None:
    """/_sim/players, /_sim/add-matches, /_sim/knobs and /_sim/stats over HTTPS on any host."""

    async def main() -> None:
        async with sim_session(sim.port) as (session, client):
            base = "https://whatever.example"
            players = await (await session.get(f"{base}/_sim/players")).json()
            gamertag = players[1]["gamertag"]
            added = await (
                await session.post(
                    f"{base}/_sim/add-matches", json={"count": 2, "gamertag": gamertag}
                )
            ).json()
            assert len(added["added"]) == 2
            history = await (await client.stats.get_match_history(gamertag, 0, 2)).parse()
            assert {str(r.match_id) for r in history.results} == set(added["added"])
            after = await (await session.get(f"{base}/_sim/players")).json()
            assert after[1]["matches"] == players[1]["matches"] + 2
            knobs = await (await session.post(f"{base}/_sim/knobs", json={"latency_ms": 1})).json()
            assert knobs["latency_ms"] == 1
            sim.knobs.latency_ms = 0
            stats = await (await session.get(f"{base}/_sim/stats")).json()
            assert set(stats["requests"]) >= {"match_history", "film_chunk", "auth"}

    asyncio.run(main())


def test_token_ttl_seconds_and_dev_tokens() -> None:
    """Tokens older than token_ttl_seconds are refused; dev tokens only when not strict."""
    from levelup_pipeline.simulator.server import SimState

    state = SimState(World(), Knobs(token_ttl_seconds=0.0))
    issued = state.issue_token()
    state.tokens[issued][0] -= 1.0  # issued a second ago
    assert not state.token_ok(issued)
    state.knobs.token_ttl_seconds = None
    assert state.token_ok(issued) and state.token_ok("sim-dev-x")
    assert not state.token_ok("random") and not state.token_ok(None)
    state.knobs.strict_tokens = True
    assert not state.token_ok("sim-dev-other")
