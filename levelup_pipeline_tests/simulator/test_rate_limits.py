"""Per-service rate limits: `--rate-limit` syntax, one window per service, 429s counted per
service in /_sim/stats, the sign-in chain never limited."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

from levelup_pipeline.simulator.cli import simulator_cli
from levelup_pipeline.simulator.knobs import Knobs, parse_rate_limits
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline_tests.simulator.conftest import sim_session


def test_rate_limit_syntax() -> None:
    assert parse_rate_limits("5") == {"*": 5.0}
    assert parse_rate_limits("halostats=5,skill=3") == {"halostats": 5.0, "skill": 3.0}
    assert parse_rate_limits("stats=2, ugc=1.5, *=4") == {
        "halostats": 2.0,
        "discovery-infiniteugc": 1.5,
        "*": 4.0,
    }
    assert parse_rate_limits("") == {}
    for bad in ("halostats=fast", "nosuch=3", "skill=0"):
        with pytest.raises(ValueError):
            parse_rate_limits(bad)
    knobs = Knobs(rate_limit_rps={"stats": 2, "*": 7})
    assert knobs.service_limit("halostats") == 2
    assert knobs.service_limit("blobs-infiniteugc") == 7
    assert knobs.service_limit("auth") is None


def test_cli_rejects_a_bad_rate_limit_in_one_sentence() -> None:
    result = CliRunner().invoke(simulator_cli, ["serve", "--rate-limit", "halostats=x"])
    assert result.exit_code == 2
    assert "--rate-limit" in result.output and "Traceback" not in result.output


def test_each_service_has_its_own_window_and_its_429s_are_counted() -> None:
    world = build_synthetic_world(seed=2, players=1, matches=6)
    ids = list(world.matches)
    knobs = Knobs(rate_limit_rps=parse_rate_limits("halostats=2,skill=3"))
    xuid = world.players[0].xuid

    async def main(port: int) -> tuple[list[int], list[int], list[int]]:
        async with sim_session(port) as (session, _client):

            async def status(url: str) -> int:
                async with session.get(url) as response:
                    await response.read()
                    return response.status

            stats = [
                await status(f"https://halostats.svc.halowaypoint.com/hi/matches/{m}/stats")
                for m in ids
            ]
            skill = [
                await status(
                    f"https://skill.svc.halowaypoint.com/hi/matches/{m}/skill?players=xuid({xuid})"
                )
                for m in ids
            ]
            film = [
                await status(
                    f"https://discovery-infiniteugc.svc.halowaypoint.com/hi/films/matches/{m}/spectate"
                )
                for m in ids
            ]
            return stats, skill, film

    with run_simulator(world, knobs) as sim:
        stats, skill, film = asyncio.run(main(sim.port))
        served = sim.stats()
    assert stats.count(429) == len(ids) - 2  # within one second: 2 through, then 429s
    assert skill.count(429) == len(ids) - 3 and 200 in skill
    assert 429 not in film  # no limit on that service
    assert served["throttled"]["halostats"] == len(ids) - 2
    assert served["throttled"]["skill"] == len(ids) - 3
    assert served["throttled"]["discovery-infiniteugc"] == 0
    assert served["responses"]["429"] == 2 * len(ids) - 5
    assert served["services"]["halostats"] == served["services"]["skill"] == len(ids)
