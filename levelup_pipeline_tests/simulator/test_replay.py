"""`--from-dir`: real captures are served byte for byte, histories derived from them."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from levelup_pipeline.simulator.replay import load_replay_world
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES
from levelup_pipeline_tests.simulator.conftest import sim_session

CAPTURES = MATCH_STATS_CAPTURES


@pytest.fixture()
def replay_dir(tmp_path: Path, halo_fixtures: Path) -> Path:
    """A replay directory built at test time from the real captures (never in the repo)."""
    (tmp_path / "matches").mkdir()
    (tmp_path / "skill").mkdir()
    for name in CAPTURES:
        body = json.loads((halo_fixtures / name).read_text(encoding="utf-8"))
        shutil.copy(halo_fixtures / name, tmp_path / "matches" / f"{body['MatchId']}.json")
    skill = json.loads((halo_fixtures / "get_match_skill.json").read_text(encoding="utf-8"))
    slayer = json.loads((halo_fixtures / CAPTURES[0]).read_text(encoding="utf-8"))
    (tmp_path / "skill" / f"{slayer['MatchId']}.json").write_text(json.dumps(skill))
    (tmp_path / "users.json").write_text(
        json.dumps([{"xuid": "2535445291321133", "gamertag": "CaptureHero"}])
    )
    return tmp_path


def test_replay_serves_every_capture(replay_dir: Path, halo_fixtures: Path) -> None:
    """Stats identical to the files, history derived per player, the rest 404."""
    world = load_replay_world(replay_dir)
    assert len(world.matches) == len(CAPTURES)

    async def main() -> None:
        with run_simulator(world) as sim:
            async with sim_session(sim.port) as (session, client):
                for name in CAPTURES:
                    raw = (halo_fixtures / name).read_bytes()
                    match_id = json.loads(raw)["MatchId"]
                    response = await client.stats.get_match_stats(match_id)
                    assert await response.read() == raw
                    await response.parse()
                history = await (await client.stats.get_match_history("CaptureHero")).parse()
                ours = {str(r.match_id) for r in history.results}
                expected = {
                    json.loads((halo_fixtures / n).read_text())["MatchId"]
                    for n in CAPTURES
                    if "xuid(2535445291321133)" in (halo_fixtures / n).read_text()
                }
                assert ours == expected and len(ours) >= 6
                starts = [r.match_info.start_time for r in history.results]
                assert starts == sorted(starts, reverse=True)
                slayer = json.loads((halo_fixtures / CAPTURES[0]).read_text())
                own = next(
                    p for p in slayer["Players"] if p["PlayerId"] == "xuid(2535445291321133)"
                )
                first = next(r for r in history.results if str(r.match_id) == slayer["MatchId"])
                assert (first.last_team_id, first.outcome, first.rank) == (
                    own["LastTeamId"],
                    own["Outcome"],
                    own["Rank"],
                )
                by_xuid = await client.stats.get_match_history(
                    2535445291321133, 0, 2, "matchmaking"
                )
                assert (await by_xuid.parse()).result_count == 2
                skill = await client.skill.get_match_skill(
                    slayer["MatchId"], ["xuid(2535445291321133)"]
                )
                await skill.parse()
                user = await (await client.profile.get_user_by_id(2535445291321133)).parse()
                assert user.gamertag == "CaptureHero"
                base = "https://{}/hi/films/matches/{}/spectate"
                for url in (
                    base.format("discovery-infiniteugc.svc.halowaypoint.com", slayer["MatchId"]),
                    "https://profile.svc.halowaypoint.com/users/xuid(2533274000000001)",
                    "https://gamecms-hacs.svc.halowaypoint.com/hi/Waypoint/file/"
                    "medals/metadata.json",
                ):
                    response = await session.get(url)
                    assert response.status == 404, url

    asyncio.run(main())
