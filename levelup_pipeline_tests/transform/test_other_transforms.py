"""Skill, gamertag, aliases and UGC/medal metadata transformers."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from levelup_pipeline.transform.highlights import clean_gamertag
from levelup_pipeline.transform.metadata import (
    aliases_from_profiles,
    infer_asset_kind,
    medal_metadata_rows,
    ugc_asset_row,
)
from levelup_pipeline.transform.skill import player_match_stats_row

PLAYER = "2535445291321133"
SEEN = datetime(2025, 1, 29, 4, 7, tzinfo=UTC)


def test_skill_row_matches_source(load_capture) -> None:
    skill = load_capture("get_match_skill.json")
    result = skill["Value"][0]["Result"]
    row = player_match_stats_row("m1", skill, f"xuid({PLAYER})")
    assert row["match_id"] == "m1" and row["xuid"] == PLAYER and row["team_id"] == 0
    assert row["team_mmr"] == result["TeamMmr"]
    assert row["enemy_mmr"] == result["TeamMmrs"]["1"]
    assert json.loads(row["team_mmrs"]) == result["TeamMmrs"]
    perf = result["StatPerformances"]
    assert (row["expected_kills"], row["stddev_kills"], row["actual_kills"]) == (
        perf["Kills"]["Expected"],
        perf["Kills"]["StdDev"],
        perf["Kills"]["Count"],
    )
    assert (row["expected_deaths"], row["stddev_deaths"], row["actual_deaths"]) == (
        perf["Deaths"]["Expected"],
        perf["Deaths"]["StdDev"],
        perf["Deaths"]["Count"],
    )
    assert (row["pre_match_csr"], row["post_match_csr"]) == (1530, 1532)
    assert (row["pre_match_tier"], row["post_match_sub_tier"]) == ("Onyx", 0)
    assert row["measurement_matches_remaining"] == 0


def test_skill_without_rank_recap_or_player(load_capture) -> None:
    skill = copy.deepcopy(load_capture("get_match_skill.json"))
    skill["Value"][0]["Result"]["RankRecap"] = None
    skill["Value"][0]["Result"]["TeamMmrs"] = {"0": 1000.0, "1": 1100.0, "2": 1300.0}
    row = player_match_stats_row("m1", skill, PLAYER)
    assert row["pre_match_csr"] is None and row["post_match_tier"] is None
    assert row["enemy_mmr"] == pytest.approx(1200.0)  # mean of the other teams
    assert player_match_stats_row("m1", skill, "123") is None
    assert player_match_stats_row("m1", None, PLAYER) is None
    assert (
        player_match_stats_row(
            "m1", {"Value": [{"Id": f"xuid({PLAYER})", "ResultCode": 1}]}, PLAYER
        )
        is None
    )
    skill["Value"][0]["Result"]["RankRecap"] = {"PreMatchCsr": {"Value": -1}}
    assert player_match_stats_row("m1", skill, PLAYER)["pre_match_csr"] is None


def test_gamertag_rules() -> None:
    """Film gamertags are fixed-width fields: cut at NUL, control characters dropped."""
    assert clean_gamertag("s X89\x00\x00\x01") == "s X89"
    assert clean_gamertag("\x00") is None and clean_gamertag(" ") is None
    assert clean_gamertag(12345) is None
    assert clean_gamertag("bell\x07in") == "bellin"


def test_aliases_from_profiles(load_capture) -> None:
    users = load_capture("get_users.json")
    aliases = aliases_from_profiles(users + [{"xuid": None}, "x"], SEEN)
    assert aliases == [
        {
            "xuid": "1234567890123456",
            "gamertag": "GAMERTAG",
            "first_seen": SEEN,
            "last_seen": SEEN,
            "source": "profile",
        }
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("get_map.json", "map"),
        ("get_playlist.json", "playlist"),
        ("get_ugc_game_variant.json", "ugc_game_variant"),
        ("get_map_mode_pair.json", "map_mode_pair"),
    ],
)
def test_ugc_asset_rows(load_capture, name: str, kind: str) -> None:
    asset = load_capture(name)
    row = ugc_asset_row(asset)
    assert row["asset_kind"] == kind == infer_asset_kind(asset)
    assert row["asset_id"] == asset["AssetId"] and row["version_id"] == asset["VersionId"]
    assert row["public_name"] == asset["PublicName"]
    if row["hero_image_url"]:
        assert row["hero_image_url"].startswith(asset["Files"]["Prefix"])
        assert row["hero_image_url"] in json.loads(row["image_urls"])


def test_ugc_asset_row_defensive() -> None:
    assert ugc_asset_row({}) is None
    assert ugc_asset_row({"AssetId": "a", "Files": None})["asset_kind"] is None
    assert ugc_asset_row({"AssetId": "a"}, "map")["version_id"] == ""


def test_medal_metadata_rows(load_capture) -> None:
    doc = load_capture("get_medal_metadata.json")
    rows = medal_metadata_rows(doc)
    assert len(rows) == len(doc["medals"])
    double = next(r for r in rows if r["name_id"] == 622331684)
    assert double == {
        "name_id": 622331684,
        "name": "Double Kill",
        "description": "Kill 2 enemies in quick succession",
        "type": "multikill",
        "difficulty": "heroic",
        "sprite_index": 64,
        "sorting_weight": 100,
        "personal_score": 50,
    }
    assert medal_metadata_rows({"medals": [{"nameId": 1, "typeIndex": 99}, "x"]}) == [
        {
            "name_id": 1,
            "name": None,
            "description": None,
            "type": None,
            "difficulty": None,
            "sprite_index": None,
            "sorting_weight": None,
            "personal_score": None,
        }
    ]
