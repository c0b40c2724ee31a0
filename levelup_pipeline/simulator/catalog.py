"""The synthetic world's fixed catalogue: gamertags, maps, modes and their stat blocks,
medals and playlists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from levelup_pipeline.simulator.film import MEDAL_FILM_CODES

BASE_DATE = dt.datetime(2025, 1, 1, 18, 0, tzinfo=dt.UTC)
CLEARANCE_ID = "0b91d9c9-819e-4ac2-97bd-e537a4b05b5a"
SEASON_ID = "Csr/Seasons/CsrSeason9-1.json"
GAMERTAGS = [
    "LevelUp Leader",
    "SparkRunner",
    "NoScopeNina",
    "GruntPunter",
    "HogDriver",
    "OddballOllie",
    "FlagCaptain",
    "BansheeBabe",
]
ADJECTIVES = ["Silent", "Rapid", "Crimson", "Lucky", "Frozen", "Rogue", "Atomic", "Hidden", "Feral"]
NOUNS = ["Spartan", "Grunt", "Jackal", "Elite", "Warthog", "Pelican", "Needler", "Ghost"]
MAPS = [
    "Aquarius",
    "Bazaar",
    "Behemoth",
    "Catalyst",
    "Live Fire",
    "Recharge",
    "Streets",
    "Empyrean",
    "Argyle",
    "Forbidden",
]
BTB_MAPS = ["Fragmentation", "Highpower", "Deadlock"]
FIREFIGHT_MAPS = ["Alpine", "Corrosion"]

# mode key -> (GameVariantCategory, display name, mode-specific stats block)
MODES: dict[str, tuple[int, str, str | None]] = {
    "slayer": (6, "Slayer", None),
    "ctf": (15, "CTF", "CaptureTheFlagStats"),
    "oddball": (18, "Oddball", "OddballStats"),
    "strongholds": (11, "Strongholds", "ZonesStats"),
    "koth": (13, "King of the Hill", "ZonesStats"),
    "total_control": (14, "Total Control", "ZonesStats"),
    "extraction": (17, "Extraction", "ExtractionStats"),
    "elimination": (8, "Elimination", "EliminationStats"),
    "attrition": (7, "Attrition", "EliminationStats"),
    "stockpile": (19, "Stockpile", "StockpileStats"),
    "vip": (23, "VIP", "VipStats"),
    "infection": (22, "Infection", "InfectionStats"),
    "ffa": (6, "FFA Slayer", None),
    "firefight": (42, "Firefight", "PveStats"),
}

# key -> kind: i = count, d = summed duration, m = longest duration, x = max count,
# n = null for players / 0 for teams, z = always 0
BLOCKS: dict[str, dict[str, str]] = {
    "CaptureTheFlagStats": dict.fromkeys(
        [
            "FlagCaptureAssists",
            "FlagCaptures",
            "FlagCarriersKilled",
            "FlagGrabs",
            "FlagReturnersKilled",
            "FlagReturns",
            "FlagSecures",
            "FlagSteals",
            "KillsAsFlagCarrier",
            "KillsAsFlagReturner",
        ],
        "i",
    )
    | {"TimeAsFlagCarrier": "d"},
    "OddballStats": {
        "KillsAsSkullCarrier": "i",
        "LongestTimeAsSkullCarrier": "m",
        "SkullCarriersKilled": "i",
        "SkullGrabs": "i",
        "TimeAsSkullCarrier": "d",
        "SkullScoringTicks": "i",
    },
    "ZonesStats": {
        "StrongholdCaptures": "i",
        "StrongholdDefensiveKills": "i",
        "StrongholdOffensiveKills": "i",
        "StrongholdSecures": "i",
        "StrongholdOccupationTime": "d",
        "StrongholdScoringTicks": "i",
    },
    "EliminationStats": dict.fromkeys(
        [
            "AlliesRevived",
            "EliminationAssists",
            "Eliminations",
            "EnemyRevivesDenied",
            "Executions",
            "KillsAsLastPlayerStanding",
            "LastPlayersStandingKilled",
            "RoundsSurvived",
            "TimesRevivedByAlly",
        ],
        "i",
    )
    | {"LivesRemaining": "n", "EliminationOrder": "z"},
    "ExtractionStats": dict.fromkeys(
        [
            "SuccessfulExtractions",
            "ExtractionConversionsDenied",
            "ExtractionConversionsCompleted",
            "ExtractionInitiationsDenied",
            "ExtractionInitiationsCompleted",
        ],
        "i",
    ),
    "StockpileStats": {
        "KillsAsPowerSeedCarrier": "i",
        "PowerSeedCarriersKilled": "i",
        "PowerSeedsDeposited": "i",
        "PowerSeedsStolen": "i",
        "TimeAsPowerSeedCarrier": "d",
        "TimeAsPowerSeedDriver": "d",
    },
    "InfectionStats": dict.fromkeys(
        [
            "AlphasKilled",
            "SpartansInfected",
            "SpartansInfectedAsAlpha",
            "KillsAsLastSpartanStanding",
            "LastSpartansStandingInfected",
            "RoundsAsAlpha",
            "RoundsAsLastSpartanStanding",
            "RoundsFinishedAsInfected",
            "RoundsSurvivedAsSpartan",
            "RoundsSurvivedAsLastSpartanStanding",
        ],
        "i",
    )
    | {"TimeAsLastSpartanStanding": "d", "InfectedKilled": "i"},
    "VipStats": {
        "KillsAsVip": "i",
        "LongestTimeAsVip": "m",
        "MaxKillingSpreeAsVip": "x",
        "TimeAsVip": "d",
        "TimesSelectedAsVip": "i",
        "VipAssists": "i",
        "VipKills": "i",
    },
}
# the block key whose player values make up the player's Score in that mode
SCORE_KEY = {
    "CaptureTheFlagStats": "FlagCaptures",
    "OddballStats": "SkullScoringTicks",
    "ZonesStats": "StrongholdScoringTicks",
    "ExtractionStats": "SuccessfulExtractions",
    "StockpileStats": "PowerSeedsDeposited",
}
KILLED_PLAYER, KILL_ASSIST, MARK_ASSIST = 1024030246, 638246808, 152718958
COMMON_MEDALS = [
    m
    for m in (
        622331684,
        2063152177,
        2780740615,
        1512363953,
        3233952928,
        1169571763,
        2852571933,
        548533137,
        1284032216,
        2123530881,
        1176569867,
        3334154676,
        4229934157,
        2625820422,
        1427176344,
    )
    if m in MEDAL_FILM_CODES
]

#: PveStats per-species kill counters (marines never die to a player: no kills generated).
PVE_SPECIES = [
    "MarineKills",
    "GruntKills",
    "JackalKills",
    "EliteKills",
    "BruteKills",
    "HunterKills",
    "SkimmerKills",
    "SentinelKills",
    "BossKills",
]


@dataclass(frozen=True)
class Playlist:
    """A matchmaking playlist (or the custom-games pseudo playlist when `custom`)."""

    name: str
    ranked: bool
    experience: int | None
    modes: tuple[str, ...]
    maps: tuple[str, ...]
    team_size: int
    teams: int
    custom: bool = False


PLAYLISTS = [
    Playlist(
        "Ranked Arena",
        True,
        2,
        ("slayer", "ctf", "oddball", "strongholds", "koth"),
        tuple(MAPS),
        4,
        2,
    ),
    Playlist(
        "Quick Play",
        False,
        2,
        ("slayer", "ctf", "oddball", "strongholds", "koth", "extraction"),
        tuple(MAPS),
        4,
        2,
    ),
    Playlist(
        "Big Team Battle",
        False,
        3,
        ("slayer", "ctf", "total_control", "stockpile"),
        tuple(BTB_MAPS),
        8,
        2,
    ),
    Playlist("Free-For-All", False, 2, ("ffa",), tuple(MAPS), 1, 8),
    Playlist("Squad Battle", False, 2, ("attrition", "elimination", "vip"), tuple(MAPS), 4, 2),
    Playlist("Infection", False, 2, ("infection",), tuple(MAPS), 4, 2),
    Playlist("Firefight Heroic", False, 6, ("firefight",), tuple(FIREFIGHT_MAPS), 4, 1),
]
CUSTOM = Playlist(
    "Custom Games",
    False,
    None,
    ("slayer", "ctf", "oddball", "strongholds", "elimination", "extraction", "infection"),
    tuple(MAPS),
    4,
    2,
    custom=True,
)
