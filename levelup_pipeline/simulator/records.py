"""Per-player aggregates (match count, service record) derived from the world's matches."""

from __future__ import annotations

from typing import Any

from levelup_pipeline.simulator.api_formats import iso_duration
from levelup_pipeline.simulator.catalog import BLOCKS, PVE_SPECIES
from levelup_pipeline.simulator.film import _seconds
from levelup_pipeline.simulator.world import World, unwrap

_SR_CORE = [
    "Score",
    "PersonalScore",
    "RoundsWon",
    "RoundsLost",
    "RoundsTied",
    "Kills",
    "Deaths",
    "Assists",
    "AverageKDA",
    "Suicides",
    "Betrayals",
    "GrenadeKills",
    "HeadshotKills",
    "MeleeKills",
    "PowerWeaponKills",
    "ShotsFired",
    "ShotsHit",
    "Accuracy",
    "DamageDealt",
    "DamageTaken",
    "CalloutAssists",
    "VehicleDestroys",
    "DriverAssists",
    "Hijacks",
    "EmpAssists",
    "MaxKillingSpree",
    "Medals",
    "PersonalScores",
    "Spawns",
    "ObjectivesCompleted",
]
#: Service-record blocks summing the match block of the same name, keys in capture order.
_SR_SUMMED = (
    "CaptureTheFlagStats",
    "EliminationStats",
    "ExtractionStats",
    "InfectionStats",
    "OddballStats",
    "ZonesStats",
    "StockpileStats",
)
#: Match block key -> service-record key where they differ (the zone modes).
_SR_NAMES = {
    "StrongholdCaptures": "ZoneCaptures",
    "StrongholdDefensiveKills": "ZoneDefensiveKills",
    "StrongholdOffensiveKills": "ZoneOffensiveKills",
    "StrongholdSecures": "ZoneSecures",
    "StrongholdOccupationTime": "TotalZoneOccupationTime",
    "StrongholdScoringTicks": "ZoneScoringTicks",
}
_PVP = ["Kills", "Deaths", "Assists"]
#: service-record block -> [(service-record key, match block key)]; the counters only (no
#: per-player nulls or constant zeros).
_SR_BLOCKS: dict[str, list[tuple[str, str]]] = {
    **{
        name: [(_SR_NAMES.get(k, k), k) for k, kind in BLOCKS[name].items() if kind not in "nz"]
        for name in _SR_SUMMED
    },
    "PvpStats": [(k, k) for k in _PVP],
    "PveStats": [(k, k) for k in _PVP + PVE_SPECIES],
}
_LIFECYCLE = {"matchmade": 3, "custom": 1, "local": 7}


def match_count(world: World, xuid: int) -> dict[str, int]:
    """Body of /hi/players/{p}/matches/count."""
    modes = [world.matches[m]["MatchInfo"]["LifecycleMode"] for m in world.match_ids_of(xuid)]
    return {
        "CustomMatchesPlayedCount": modes.count(1),
        "MatchesPlayedCount": len(modes),
        "MatchmadeMatchesPlayedCount": modes.count(3),
        "LocalMatchesPlayedCount": modes.count(7),
    }


def _own_stats(body: dict[str, Any], xuid: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(player entry, merged stats) of `xuid` in a match."""
    entry = next(p for p in body["Players"] if unwrap(p["PlayerId"]) == xuid)
    return entry, entry["PlayerTeamStats"][-1]["Stats"]


def _add(total: dict[str, Any], key: str, value: Any) -> None:
    """Accumulate numbers and ISO durations (kept as seconds until the end)."""
    if isinstance(value, str):
        total[key] = total.get(key, 0.0) + _seconds(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        total[key] = total.get(key, 0) + value


def service_record(world: World, xuid: int, match_type: str) -> dict[str, Any]:
    """A plausible service record aggregating the player's matches of that kind."""
    lifecycle = _LIFECYCLE[match_type.lower()]
    ids = [
        m
        for m in world.match_ids_of(xuid)
        if world.matches[m]["MatchInfo"]["LifecycleMode"] == lifecycle
    ]
    core: dict[str, Any] = {}
    blocks: dict[str, dict[str, Any]] = {name: {} for name in _SR_BLOCKS}
    medals: dict[int, list[int]] = {}
    scores: dict[int, list[int]] = {}
    outcomes = {1: 0, 2: 0, 3: 0}
    played = 0.0
    max_spree = 0
    seasons, categories, ranked, playlists = set(), set(), set(), set()
    for match_id in ids:
        body = world.matches[match_id]
        info = body["MatchInfo"]
        entry, stats = _own_stats(body, xuid)
        outcomes[entry["Outcome"]] = outcomes.get(entry["Outcome"], 0) + 1
        played += _seconds(entry["ParticipationInfo"]["TimePlayed"])
        categories.add(info["GameVariantCategory"])
        if info.get("SeasonId"):
            seasons.add(info["SeasonId"])
        if info.get("Playlist"):
            playlists.add(info["Playlist"]["AssetId"])
        ranked.add(bool(world.playlist_csr.get((info.get("Playlist") or {}).get("AssetId"))))
        for key, value in stats["CoreStats"].items():
            if key == "Medals" or key == "PersonalScores":
                target = medals if key == "Medals" else scores
                for award in value:
                    slot = target.setdefault(award["NameId"], [0, 0])
                    slot[0] += award["Count"]
                    slot[1] += award["TotalPersonalScoreAwarded"]
            elif key == "MaxKillingSpree":
                max_spree = max(max_spree, value)
            elif key not in ("KDA", "Accuracy", "AverageLifeDuration"):
                _add(core, key, value)
        for name, pairs in _SR_BLOCKS.items():
            for key, match_key in pairs:
                value = stats.get(name, {}).get(match_key)
                if value is not None:
                    _add(blocks[name], key, value)
    completed = len(ids)
    out_core = {}
    for key in _SR_CORE:
        if key == "AverageKDA":
            kills, deaths, assists = (core.get(k, 0) for k in ("Kills", "Deaths", "Assists"))
            out_core[key] = (kills + assists / 3 - deaths) / completed if completed else 0.0
        elif key == "Accuracy":
            fired = core.get("ShotsFired", 0)
            out_core[key] = core.get("ShotsHit", 0) / fired * 100 if fired else 0.0
        elif key == "MaxKillingSpree":
            out_core[key] = max_spree
        elif key in ("Medals", "PersonalScores"):
            source = medals if key == "Medals" else scores
            out_core[key] = [
                {"NameId": n, "Count": c, "TotalPersonalScoreAwarded": s}
                for n, (c, s) in source.items()
            ]
        else:
            out_core[key] = int(core.get(key, 0))
    record: dict[str, Any] = {
        "Subqueries": {
            "SeasonIds": sorted(seasons),
            "GameVariantCategories": sorted(categories),
            "IsRanked": sorted(ranked),
            "PlaylistAssetIds": sorted(playlists),
            "GameplayInteractions": None,
        },
        "TimePlayed": _long_duration(played),
        "MatchesCompleted": completed,
        "Wins": outcomes.get(2, 0),
        "Losses": outcomes.get(3, 0),
        "Ties": outcomes.get(1, 0),
        "CoreStats": out_core,
    }
    for name, pairs in _SR_BLOCKS.items():
        block = {}
        for key, _ in pairs:
            value = blocks[name].get(key, 0)
            is_time = "Time" in key and not key.startswith("Times")
            block[key] = iso_duration(float(value), 1) if is_time else int(value)
        record[name] = block
    return record


def _long_duration(seconds: float) -> str:
    """Durations over a day are written with days: 'P17DT10H55M53.7S'."""
    days, rest = divmod(seconds, 86400)
    text = iso_duration(rest, 7)
    return f"P{int(days)}D{text[1:]}" if days else text
