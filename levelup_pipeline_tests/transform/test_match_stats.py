"""match_stats / match_players / medals / personal_scores rows against independent
expectations: values read from the real captures by a tiny reader of this test (skipped
without ../shared), and hand-built payloads for the edge cases (team switchers, missing
fields, nulls, values of another type)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from levelup_pipeline.transform import match_stats as t
from levelup_pipeline.transform.stages import STATS_TABLES, add_stats_rows
from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES
from levelup_pipeline_tests.transform.rows import match_player_rows, match_stats_row, stage_rows

PLAYER = "xuid(2535445291321133)"
CAPTURES = MATCH_STATS_CAPTURES


def test_slayer_row_matches_source_json(load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    skill = load_capture("get_match_skill.json")
    row = match_stats_row(stats, PLAYER, skill)
    assert row is not None
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
    assert set(row) == set(expected)
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
    row = match_stats_row(stats, PLAYER)
    assert row is not None and row["match_id"] == stats["MatchId"]
    assert row["start_time"] is not None and row["start_time"] < row["end_time"]
    assert row["outcome"] in (1, 2, 3, 4)
    assert row["lifecycle"] in ("matchmaking", "custom", "local")
    assert row["is_ranked"] is None  # no skill, no name yet: unknown, not False
    players = match_player_rows(stats, PLAYER)
    assert len(players) == len({p["PlayerId"] for p in stats["Players"]})
    assert {p["xuid"] for p in players} >= {"2535445291321133"}
    for p in players:
        assert p["is_human"] in (True, False)
        assert (p["bot_difficulty"] is None) == p["is_human"]
    rows = stage_rows(stats, PLAYER)
    medals = rows["medals"]
    player = t.find_player(stats, PLAYER)
    core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    assert sum(m["count"] for m in medals) == sum(m["Count"] for m in core["Medals"])
    scores = rows["personal_scores"]
    assert sum(s["points"] for s in scores) == sum(
        s["TotalPersonalScoreAwarded"] for s in core["PersonalScores"]
    )


def test_mode_categories_of_captures(load_capture) -> None:
    got = {n: match_stats_row(load_capture(n), PLAYER)["mode_category"] for n in CAPTURES}
    assert got["get_match_stats.json"] == "Slayer"
    assert got["get_match_stats_ctf.json"] == "CTF"
    assert got["get_match_stats_oddball.json"] == "Oddball"
    assert got["get_match_stats_zones.json"] == "Strongholds"
    # the elimination/extraction/film captures are custom games against bots
    assert got["get_match_stats_elimination.json"] == "Custom"
    assert got["get_match_stats_extraction.json"] == "Custom"


def test_bots_are_kept_with_their_ids(load_capture) -> None:
    players = match_player_rows(load_capture("get_match_stats_elimination.json"), PLAYER)
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
    row = match_stats_row(stats, PLAYER)
    assert (row["kills"], row["deaths"], row["assists"]) == (20, 9, 8)
    assert row["kda"] == pytest.approx(11.66 + 2.0)
    assert row["accuracy"] == pytest.approx(round(100 * 185 / 321, 2))
    assert row["max_killing_spree"] == 9
    medals = stage_rows(stats, PLAYER)["medals"]
    snipe = next(m for m in medals if m["name_id"] == 4229934157)
    assert snipe["count"] == 3 and snipe["name"] == "Snipe"


def test_kd_ratio_zero_deaths() -> None:
    assert t.kd_ratio(7, 0) == 7.0
    assert t.kd_ratio(7, None) == 7.0
    assert t.kd_ratio(None, 3) is None
    assert t.kd_ratio(6, 4) == 1.5


def test_unknown_player_or_garbage_gives_none(load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    assert match_stats_row(stats, "xuid(1)") is None
    assert match_stats_row({}, PLAYER) is None
    assert match_stats_row(None, PLAYER) is None  # type: ignore[arg-type]
    assert match_player_rows({"MatchId": "m", "Players": "nope"}, PLAYER) == []
    assert stage_rows({}, PLAYER)["medals"] == []


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
    row = match_stats_row(stats, "2535445291321133")
    assert row is not None
    assert row["start_time"] is None and row["duration_seconds"] is None
    assert row["lifecycle"] is None and row["game_variant_category"] == 9999
    assert row["mode_category"] == "Other"
    assert row["teams_enabled"] is None and row["kills"] is None and row["deaths"] == 3
    assert row["kda"] is None and row["accuracy"] is None and row["kd_ratio"] is None
    assert row["outcome"] == 42  # stored as is; the asset check flags it
    medals = stage_rows(stats, "2535445291321133")["medals"]
    assert medals == [
        {
            "match_id": "m1",
            "name_id": 1,
            "name": None,
            "count": 2,
            "total_personal_score_awarded": None,
        }
    ]
    assert match_player_rows(stats, "2535445291321133")[0]["is_human"] is None


def test_parse_json() -> None:
    assert t.parse_json('{"a": 1}') == {"a": 1}
    assert t.parse_json("{broken") is None
    assert t.parse_json(None) is None
    assert t.parse_json([1]) == [1]
    assert json.loads("[]") == t.parse_json(b"[]")


# ------------------------------------------------------------ an independent reader
_CORE_COLUMNS = {
    "kills": "Kills",
    "deaths": "Deaths",
    "assists": "Assists",
    "kda": "KDA",
    "accuracy": "Accuracy",
    "shots_fired": "ShotsFired",
    "shots_hit": "ShotsHit",
    "damage_dealt": "DamageDealt",
    "damage_taken": "DamageTaken",
    "headshot_kills": "HeadshotKills",
    "melee_kills": "MeleeKills",
    "grenade_kills": "GrenadeKills",
    "power_weapon_kills": "PowerWeaponKills",
    "max_killing_spree": "MaxKillingSpree",
    "score": "Score",
    "personal_score": "PersonalScore",
}


def _seconds(text: str) -> float:
    """'PT1H2M3.5S' -> seconds (the captures' durations have no days)."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    assert found, text
    h, m, s = (float(v) if v else 0.0 for v in found.groups())
    return h * 3600 + m * 60 + s


def _when(text: str) -> datetime:
    """'2025-01-29T04:07:25.964Z' (up to 7 fraction digits) -> aware UTC."""
    day, clock = text.rstrip("Z").split("T")
    whole, _, fraction = clock.partition(".")
    micro = int((fraction + "000000")[:6])
    return datetime.fromisoformat(f"{day}T{whole}").replace(microsecond=micro, tzinfo=UTC)


def _expected_row(stats: dict, xuid: str) -> dict:
    """The match_stats values read straight off the JSON (every capture's players have one
    PlayerTeamStats entry); the derived labels are checked by the tests above."""
    info = stats["MatchInfo"]
    player = next(p for p in stats["Players"] if p["PlayerId"] == f"xuid({xuid})")
    core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    teams = {team["TeamId"]: team["Stats"]["CoreStats"]["Score"] for team in stats["Teams"]}
    mine = player["LastTeamId"]
    others = [score for team, score in teams.items() if team != mine]
    row = {column: core[key] for column, key in _CORE_COLUMNS.items()}
    for column, key in (
        ("playlist", "Playlist"),
        ("map", "MapVariant"),
        ("game_variant", "UgcGameVariant"),
        ("map_mode_pair", "PlaylistMapModePair"),
    ):
        ref = info.get(key) or {}
        row[f"{column}_id"] = ref.get("AssetId") or None
        row[f"{column}_version_id"] = ref.get("VersionId") or None
    row.update(
        match_id=stats["MatchId"],
        start_time=_when(info["StartTime"]),
        end_time=_when(info["EndTime"]),
        duration_seconds=_seconds(info["Duration"]),
        time_played_seconds=_seconds(player["ParticipationInfo"]["TimePlayed"]),
        game_variant_category=info["GameVariantCategory"],
        teams_enabled=info["TeamsEnabled"],
        gameplay_interaction=info["GameplayInteraction"],
        season_id=info.get("SeasonId") or None,
        team_id=mine,
        rank=player["Rank"],
        outcome=player["Outcome"],
        left_early=player["ParticipationInfo"]["LeftInProgress"],
        average_life_seconds=_seconds(core["AverageLifeDuration"]),
        kd_ratio=core["Kills"] / core["Deaths"] if core["Deaths"] else float(core["Kills"]),
        team_score=teams.get(mine),
        enemy_team_score=max(others) if others else None,
    )
    return row


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_rows_match_an_independent_reader(load_capture, name: str) -> None:
    stats = load_capture(name)
    xuid = PLAYER[5:-1]
    rows = stage_rows(stats, PLAYER)
    for column, value in _expected_row(stats, xuid).items():
        got = rows["match_stats"][0][column]
        assert got == (pytest.approx(value) if isinstance(value, float) else value), column
    expected_players = {}
    for p in stats["Players"]:
        key = p["PlayerId"][5:-1] if p["PlayerId"].startswith("xuid(") else p["PlayerId"]
        core = p["PlayerTeamStats"][0]["Stats"]["CoreStats"]
        expected_players.setdefault(
            key,
            {
                "xuid": key,
                "is_human": p["PlayerType"] == 1,
                "bot_difficulty": (p.get("BotAttributes") or {}).get("Difficulty"),
                "team_id": p["LastTeamId"],
                "outcome": p["Outcome"],
                "rank": p["Rank"],
                "left_early": p["ParticipationInfo"]["LeftInProgress"],
                **{c: core[_CORE_COLUMNS[c]] for c in ("kills", "deaths", "assists", "kda")},
                **{c: core[_CORE_COLUMNS[c]] for c in ("accuracy", "score", "personal_score")},
            },
        )
    got_players = {r["xuid"]: r for r in rows["match_players"]}
    assert set(got_players) == set(expected_players)
    for key, expected in expected_players.items():
        assert {c: got_players[key][c] for c in expected} == expected, key
    player = next(p for p in stats["Players"] if p["PlayerId"] == PLAYER)
    core = player["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    for table, key, points in (
        ("medals", "Medals", "total_personal_score_awarded"),
        ("personal_scores", "PersonalScores", "points"),
    ):
        expected_awards: dict[int, list[int]] = {}
        for award in core[key]:
            acc = expected_awards.setdefault(award["NameId"], [0, 0])
            acc[0] += award["Count"]
            acc[1] += award["TotalPersonalScoreAwarded"]
        got = {r["name_id"]: [r["count"], r[points]] for r in rows[table]}
        assert got == expected_awards, table


# ------------------------------------------------------------ hand-built edge cases
def _core(**values: Any) -> dict[str, Any]:
    return {"Stats": {"CoreStats": values}}


SWITCHER = {
    "MatchId": "switch-1",
    "MatchInfo": {"StartTime": "2025-02-01T10:00:00Z", "Duration": "PT10M"},
    "Teams": [
        {"TeamId": 0, "Stats": {"CoreStats": {"Score": 40}}},
        {"TeamId": 1, "Stats": {"CoreStats": {"Score": 50}}},
        {"TeamId": 2, "Stats": {"CoreStats": {"Score": 45}}},
    ],
    "Players": [
        {
            "PlayerId": "xuid(42)",
            "PlayerType": 1,
            "LastTeamId": 1,
            "Outcome": 2,
            "Rank": 3,
            "ParticipationInfo": {"TimePlayed": "PT9M30S", "LeftInProgress": False},
            "PlayerTeamStats": [
                _core(
                    Kills=4,
                    Deaths=2,
                    Assists=3,
                    KDA=3.0,
                    ShotsFired=40,
                    ShotsHit=10,
                    Score=7,
                    MaxKillingSpree=3,
                    AverageLifeDuration="PT20S",
                    Medals=[{"NameId": 7, "Count": 1, "TotalPersonalScoreAwarded": 10}],
                    PersonalScores=[{"NameId": 9, "Count": 4, "TotalPersonalScoreAwarded": 400}],
                ),
                _core(
                    Kills=6,
                    Deaths=None,
                    Assists=0,
                    KDA=5.5,
                    ShotsFired=60,
                    ShotsHit=45,
                    Score=None,
                    MaxKillingSpree=5,
                    AverageLifeDuration="PT40S",
                    Medals=[
                        {"NameId": 7, "Count": 2, "TotalPersonalScoreAwarded": 20},
                        {"NameId": 8, "Count": 1},
                    ],
                ),
            ],
        },
        {
            "PlayerId": "bid(1.0)",
            "PlayerType": 2,
            "BotAttributes": {"Difficulty": 3},
            "LastTeamId": 0,
            "PlayerTeamStats": [_core(Kills=1), _core(Kills=2, Deaths=4)],
        },
    ],
}


def _stage_rows(body: Any) -> dict[str, list[dict[str, Any]]]:
    """The transform stage's rows of one stored body (JSON bytes, as the store keeps them)."""
    out: dict[str, list[dict[str, Any]]] = {table: [] for table in STATS_TABLES}
    add_stats_rows(out, "switch-1", json.dumps(body).encode(), None, "42", {}, {})
    return out


@pytest.mark.parametrize("odd", [False, True], ids=["strict", "lenient"])
def test_team_switcher_entries_are_summed(odd: bool) -> None:
    """Two PlayerTeamStats entries: counts summed (None left out), accuracy from the summed
    shots, the longest spree, the mean life, the awards of one id summed; the same through
    the strict decoder and, when another value has an odd type, the lenient one."""
    body = copy.deepcopy(SWITCHER)
    if odd:
        body["MatchInfo"]["SeasonId"] = 12  # not a string: the strict decoder refuses it
    rows = _stage_rows(body)
    row = rows["match_stats"][0]
    expected = {
        "kills": 10,
        "deaths": 2,
        "assists": 3,
        "kda": 8.5,
        "shots_fired": 100,
        "shots_hit": 55,
        "accuracy": 55.0,
        "score": 7,
        "max_killing_spree": 5,
        "average_life_seconds": 30.0,
        "kd_ratio": 5.0,
        "team_id": 1,
        "team_score": 50,
        "enemy_team_score": 45,
        "time_played_seconds": 570.0,
        "duration_seconds": 600.0,
        "season_id": None,
    }
    assert {c: row[c] for c in expected} == expected
    medals = {m["name_id"]: (m["count"], m["total_personal_score_awarded"]) for m in rows["medals"]}
    assert medals == {7: (3, 30), 8: (1, None)}
    assert [(s["name_id"], s["count"], s["points"]) for s in rows["personal_scores"]] == [
        (9, 4, 400)
    ]
    bot = next(p for p in rows["match_players"] if p["xuid"] == "bid(1.0)")
    assert (bot["kills"], bot["deaths"], bot["is_human"], bot["bot_difficulty"]) == (3, 4, False, 3)


def test_a_player_without_stats_keeps_a_row_of_nulls() -> None:
    body = copy.deepcopy(SWITCHER)
    body["Players"][0]["PlayerTeamStats"] = []
    row = _stage_rows(body)["match_stats"][0]
    assert row["team_score"] == 50 and row["outcome"] == 2
    assert all(row[c] is None for c in (*_CORE_COLUMNS, "kd_ratio", "average_life_seconds"))


@pytest.mark.parametrize(
    "value, expected",
    [("12", 12), (7.9, 7), ("7.9", 7), (True, None), (2**70, None), ([3], None), ("x", None)],
)
def test_counts_of_another_type_are_read_defensively(value: Any, expected: int | None) -> None:
    body = copy.deepcopy(SWITCHER)
    body["Players"][0]["PlayerTeamStats"] = [_core(Kills=value, Deaths=3)]
    row = _stage_rows(body)["match_stats"][0]
    assert (row["kills"], row["deaths"]) == (expected, 3)


def test_bodies_without_the_player_or_not_objects_give_no_row() -> None:
    for body in ({**SWITCHER, "Players": SWITCHER["Players"][1:]}, [SWITCHER], "x", None):
        assert _stage_rows(body)["match_stats"] == []
