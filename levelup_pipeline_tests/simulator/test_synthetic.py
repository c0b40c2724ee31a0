"""The synthetic world is deterministic and internally consistent like real match data."""

from __future__ import annotations

import datetime as dt

import pytest
from spnkr.models.skill import MatchSkillResult
from spnkr.models.stats import MatchStats

from levelup_pipeline.simulator.api_formats import accuracy, kda
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.simulator.world import World, parse_time, unwrap


def test_kda_and_accuracy_truncate_like_the_api(load_capture) -> None:
    """Every KDA / Accuracy in the real captures is reproduced by our formulas."""
    assert kda(18, 8, 5) == 11.66 and kda(8, 14, 10) == -2.66 and kda(31, 50, 15) == -14.0
    for name in (
        "get_match_stats.json",
        "get_match_stats_ctf.json",
        "get_match_stats_zones.json",
        "get_match_stats_oddball.json",
        "get_match_stats_elimination.json",
    ):
        body = load_capture(name)
        blocks = [t["Stats"] for t in body["Teams"]]
        blocks += [s["Stats"] for p in body["Players"] for s in p["PlayerTeamStats"]]
        for stats in blocks:
            core = stats["CoreStats"]
            assert kda(core["Kills"], core["Deaths"], core["Assists"]) == core["KDA"]
            assert accuracy(core["ShotsHit"], core["ShotsFired"]) == core["Accuracy"]


def test_deterministic_for_a_seed() -> None:
    """Same seed, same world (ids, times, numbers); another seed, another world."""
    one = build_synthetic_world(seed=42, players=3, matches=15)
    again = build_synthetic_world(seed=42, players=3, matches=15)
    assert list(again.matches) == list(one.matches)
    assert again.matches == one.matches and again.skill == one.skill
    other = build_synthetic_world(seed=7, players=2, matches=5)
    assert set(other.matches).isdisjoint(one.matches)


def test_players_and_histories(sim_world: World) -> None:
    """Each named player has about M matches, newest first, with shared lobbies."""
    for player in sim_world.players:
        assert 2e15 < player.xuid < 3e15 and len(str(player.xuid)) == 16
        history = sim_world.history(player.xuid)
        assert 40 <= len(history) <= 50
        starts = [parse_time(r["MatchInfo"]["StartTime"]) for r in history]
        assert starts == sorted(starts, reverse=True)
        assert starts[-1] >= dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        mm = sim_world.history(player.xuid, "matchmaking")
        custom = sim_world.history(player.xuid, "custom")
        assert all(r["MatchInfo"]["LifecycleMode"] == 3 for r in mm)
        assert all(r["MatchInfo"]["Playlist"] is None for r in custom)
        assert len(mm) + len(custom) == len(history)
    shared = [
        m
        for m in sim_world.matches.values()
        if sum(unwrap(p["PlayerId"]) in {s.xuid for s in sim_world.players} for p in m["Players"])
        > 1
    ]
    assert shared, "named players should meet each other"
    assert sim_world.find_player("levelup leader") == sim_world.players[0].xuid
    assert sim_world.find_player(f"xuid({sim_world.players[1].xuid})") == sim_world.players[1].xuid
    assert sim_world.find_player("nobody-here") is None


def test_modes_cover_the_catalogue() -> None:
    """A full-size world covers every game variant category and customs with bots."""
    world = build_synthetic_world()
    categories = {m["MatchInfo"]["GameVariantCategory"] for m in world.matches.values()}
    assert {6, 7, 8, 11, 13, 14, 15, 17, 18, 19, 22, 23, 42} <= categories
    assert any(not m["MatchInfo"]["TeamsEnabled"] for m in world.matches.values())
    bots = [p for m in world.matches.values() for p in m["Players"] if p["PlayerType"] == 2]
    assert bots and all(p["BotAttributes"] and p["PlayerId"].startswith("bid(") for p in bots)
    assert any(p["Outcome"] == 4 for m in world.matches.values() for p in m["Players"])


def test_numbers_are_consistent(sim_world: World) -> None:
    """Team sums, outcomes, ranks, KDA and skill counts agree inside every match."""
    for match_id, body in sim_world.matches.items():
        MatchStats(**body)
        teams = {t["TeamId"]: t for t in body["Teams"]}
        for team_id, team in teams.items():
            members = [p for p in body["Players"] if p["LastTeamId"] == team_id]
            core = team["Stats"]["CoreStats"]
            assert core["Kills"] == sum(
                p["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Kills"] for p in members
            )
            assert core["KDA"] == kda(core["Kills"], core["Deaths"], core["Assists"])
            assert team["Stats"]["PvpStats"]["Kills"] in (core["Kills"], 0)
        outcomes = {t["Outcome"] for t in teams.values()}
        if len(teams) == 2:
            assert outcomes in ({2, 3}, {1})
            winner = [t for t in teams.values() if t["Outcome"] == 2]
            if winner:
                assert winner[0]["Rank"] == 1
        for player in body["Players"]:
            left = player["ParticipationInfo"]["LeftInProgress"]
            team_outcome = teams[player["LastTeamId"]]["Outcome"]
            assert player["Outcome"] == (4 if left else team_outcome)
        if body["MatchInfo"]["LifecycleMode"] == 3:
            skill = sim_world.skill[match_id]
            for player in body["Players"]:
                xuid = unwrap(player["PlayerId"])
                if xuid is None:
                    continue
                result = MatchSkillResult(**skill[xuid])
                core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
                assert result.stat_performances.kills.count == core["Kills"]
                assert result.stat_performances.deaths.count == core["Deaths"]
                assert set(result.team_mmrs) == set(teams)


def test_add_matches_are_newest() -> None:
    """New matches sort first in the player's history (a delta sync finds them)."""
    world = build_synthetic_world(seed=3, players=2, matches=10)
    before = world.latest_start()
    gamertag = world.players[1].gamertag
    ids = world.add_matches(3, gamertag.upper())
    history = world.history(world.players[1].xuid)
    assert [r["MatchId"] for r in history[:3]] == ids[::-1]
    assert parse_time(history[2]["MatchInfo"]["StartTime"]) > before
    with pytest.raises(KeyError):
        world.add_matches(1, "ghost")
