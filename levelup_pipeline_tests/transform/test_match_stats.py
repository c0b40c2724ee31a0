"""match_stats / match_players / medals / personal_scores transformers on real captures."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from levelup_pipeline.transform import match_stats as t
from levelup_pipeline.transform.skill import skill_result_for
from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES

PLAYER = "xuid(2535445291321133)"
CAPTURES = MATCH_STATS_CAPTURES


def test_slayer_row_matches_source_json(load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    skill = load_capture("get_match_skill.json")
    row = t.match_stats_row(stats, PLAYER, skill_result_for(skill, PLAYER))
    assert row is not None
    assert set(row) == set(t.MATCH_STATS_COLUMNS)
    info = stats["MatchInfo"]
    player = next(p for p in stats["Players"] if p["PlayerId"] == PLAYER)
    core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    expected = {
        "match_id": "b4be1c44-5782-42b3-8cf8-0d76dd87230c",
        "start_time": datetime(2025, 1, 29, 4, 7, 25, 964000, tzinfo=UTC),
        "end_time": datetime(2025, 1, 29, 4, 17, 5, 81000, tzinfo=UTC),
        "duration_seconds": 9 * 60 + 9.4211615,
        "time_played_seconds": 9 * 60 + 9.421,
        "playlist_id": info["Playlist"]["AssetId"],
        "playlist_version_id": info["Playlist"]["VersionId"],
        "map_id": info["MapVariant"]["AssetId"],
        "map_version_id": info["MapVariant"]["VersionId"],
        "game_variant_id": info["UgcGameVariant"]["AssetId"],
        "game_variant_version_id": info["UgcGameVariant"]["VersionId"],
        "map_mode_pair_id": info["PlaylistMapModePair"]["AssetId"],
        "map_mode_pair_version_id": info["PlaylistMapModePair"]["VersionId"],
        "game_variant_category": 6,
        "mode_category": "Slayer",
        "is_ranked": True,  # the skill result carries a CSR (1530 -> 1532)
        "lifecycle": "matchmaking",
        "teams_enabled": True,
        "gameplay_interaction": 1,
        "season_id": "Csr/Seasons/CsrSeason9-1.json",
        "team_id": 1,
        "rank": 1,
        "outcome": 2,
        "left_early": False,
        "kills": 18,
        "deaths": 8,
        "assists": 5,
        "kda": 11.66,
        "kd_ratio": 18 / 8,
        "accuracy": 61.08,
        "shots_fired": 221,
        "shots_hit": 135,
        "damage_dealt": 6040,
        "damage_taken": 3090,
        "headshot_kills": 15,
        "melee_kills": 0,
        "grenade_kills": 0,
        "power_weapon_kills": 3,
        "max_killing_spree": 4,
        "average_life_seconds": 50.1,
        "score": 18,
        "personal_score": 2050,
        "team_score": 50,
        "enemy_team_score": 31,
    }
    for column, value in expected.items():
        if isinstance(value, float):
            assert row[column] == pytest.approx(value), column
        else:
            assert row[column] == value, column
    # cross-check against the JSON itself, not only against constants read by eye
    assert row["kills"] == core["Kills"] and row["kda"] == core["KDA"]
    waypoint_kda = core["Kills"] + core["Assists"] / 3 - core["Deaths"]
    assert row["kda"] == pytest.approx(waypoint_kda, abs=0.01)
    teams = {team["TeamId"]: team["Stats"]["CoreStats"]["Score"] for team in stats["Teams"]}
    assert row["team_score"] == teams[1] and row["enemy_team_score"] == teams[0]


@pytest.mark.parametrize("name", CAPTURES)
def test_every_capture_transforms(load_capture, name: str) -> None:
    stats = load_capture(name)
    row = t.match_stats_row(stats, PLAYER)
    assert row is not None and row["match_id"] == stats["MatchId"]
    assert row["start_time"] is not None and row["start_time"] < row["end_time"]
    assert row["outcome"] in (1, 2, 3, 4)
    assert row["lifecycle"] in ("matchmaking", "custom", "local")
    assert row["is_ranked"] is None  # no skill, no name yet: unknown, not False
    players = t.match_player_rows(stats)
    assert len(players) == len({p["PlayerId"] for p in stats["Players"]})
    assert {p["xuid"] for p in players} >= {"2535445291321133"}
    for p in players:
        assert p["is_human"] in (True, False)
        assert (p["bot_difficulty"] is None) == p["is_human"]
    medals = t.medal_rows(stats, PLAYER)
    player = t.find_player(stats, PLAYER)
    core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    assert sum(m["count"] for m in medals) == sum(m["Count"] for m in core["Medals"])
    scores = t.personal_score_rows(stats, PLAYER)
    assert sum(s["points"] for s in scores) == sum(
        s["TotalPersonalScoreAwarded"] for s in core["PersonalScores"]
    )


def test_mode_categories_of_captures(load_capture) -> None:
    got = {n: t.match_stats_row(load_capture(n), PLAYER)["mode_category"] for n in CAPTURES}
    assert got["get_match_stats.json"] == "Slayer"
    assert got["get_match_stats_ctf.json"] == "CTF"
    assert got["get_match_stats_oddball.json"] == "Oddball"
    assert got["get_match_stats_zones.json"] == "Strongholds"
    # the elimination/extraction/film captures are custom games against bots
    assert got["get_match_stats_elimination.json"] == "Custom"
    assert got["get_match_stats_extraction.json"] == "Custom"


def test_bots_are_kept_with_their_ids(load_capture) -> None:
    players = t.match_player_rows(load_capture("get_match_stats_elimination.json"))
    bots = [p for p in players if not p["is_human"]]
    assert bots and all(p["xuid"].startswith("bid(") for p in bots)
    assert all(p["bot_difficulty"] == 4 for p in bots)


def test_multi_team_entries_are_summed(load_capture) -> None:
    stats = copy.deepcopy(load_capture("get_match_stats.json"))
    player = t.find_player(stats, PLAYER)
    first = player["PlayerTeamStats"][0]
    second = copy.deepcopy(first)
    second["TeamId"] = 0
    core = second["Stats"]["CoreStats"]
    core.update(
        Kills=2,
        Deaths=1,
        Assists=3,
        KDA=2.0,
        ShotsFired=100,
        ShotsHit=50,
        MaxKillingSpree=9,
        Medals=[{"NameId": 4229934157, "Count": 1, "TotalPersonalScoreAwarded": 5}],
    )
    player["PlayerTeamStats"].append(second)
    row = t.match_stats_row(stats, PLAYER)
    assert (row["kills"], row["deaths"], row["assists"]) == (20, 9, 8)
    assert row["kda"] == pytest.approx(11.66 + 2.0)
    assert row["accuracy"] == pytest.approx(round(100 * 185 / 321, 2))
    assert row["max_killing_spree"] == 9
    snipe = next(m for m in t.medal_rows(stats, PLAYER) if m["name_id"] == 4229934157)
    assert snipe["count"] == 3 and snipe["name"] == "Snipe"


def test_kd_ratio_zero_deaths() -> None:
    assert t.kd_ratio(7, 0) == 7.0
    assert t.kd_ratio(7, None) == 7.0
    assert t.kd_ratio(None, 3) is None
    assert t.kd_ratio(6, 4) == 1.5


def test_unknown_player_or_garbage_gives_none(load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    assert t.match_stats_row(stats, "xuid(1)") is None
    assert t.match_stats_row({}, PLAYER) is None
    assert t.match_stats_row(None, PLAYER) is None  # type: ignore[arg-type]
    assert t.match_player_rows({"MatchId": "m", "Players": "nope"}) == []
    assert t.medal_rows({}, PLAYER) == []


def test_nulls_unknown_enums_and_extra_fields() -> None:
    stats = {
        "MatchId": "m1",
        "Extra": {"whatever": [1, 2]},
        "MatchInfo": {
            "StartTime": "not a date",
            "EndTime": None,
            "Duration": "garbage",
            "LifecycleMode": 99,
            "GameVariantCategory": 9999,
            "Playlist": None,
            "MapVariant": {"AssetId": None},
            "TeamsEnabled": "yes",
        },
        "Teams": [None, {"TeamId": "x"}],
        "Players": [
            {
                "PlayerId": "xuid(2535445291321133)",
                "PlayerType": 77,
                "Outcome": 42,
                "ParticipationInfo": None,
                "PlayerTeamStats": [
                    {
                        "TeamId": 0,
                        "Stats": {
                            "CoreStats": {
                                "Kills": None,
                                "Deaths": "3",
                                "KDA": "NaN",
                                "Accuracy": True,
                                "Medals": [{"NameId": 1, "Count": 2}, {"NameId": None}, "bad"],
                            }
                        },
                    },
                ],
            },
        ],
    }
    row = t.match_stats_row(stats, "2535445291321133")
    assert row is not None
    assert row["start_time"] is None and row["duration_seconds"] is None
    assert row["lifecycle"] is None and row["game_variant_category"] == 9999
    assert row["mode_category"] == "Other"
    assert row["teams_enabled"] is None and row["kills"] is None and row["deaths"] == 3
    assert row["kda"] is None and row["accuracy"] is None and row["kd_ratio"] is None
    assert row["outcome"] == 42  # stored as is; the asset check flags it
    medals = t.medal_rows(stats, "2535445291321133")
    assert medals == [
        {
            "match_id": "m1",
            "name_id": 1,
            "name": None,
            "count": 2,
            "total_personal_score_awarded": None,
        }
    ]
    assert t.match_player_rows(stats)[0]["is_human"] is None


def test_parse_json() -> None:
    assert t.parse_json('{"a": 1}') == {"a": 1}
    assert t.parse_json("{broken") is None
    assert t.parse_json(None) is None
    assert t.parse_json([1]) == [1]
    assert json.loads("[]") == t.parse_json(b"[]")
