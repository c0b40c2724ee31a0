"""A deterministic synthetic Halo world: players, sessions of matches, skill, CSR and assets."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from levelup_pipeline.simulator import assets
from levelup_pipeline.simulator.film import MEDAL_FILM_CODES
from levelup_pipeline.simulator.world import SimPlayer, World, parse_time, wrap

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
_ADJ = ["Silent", "Rapid", "Crimson", "Lucky", "Frozen", "Rogue", "Atomic", "Hidden", "Feral"]
_NOUN = ["Spartan", "Grunt", "Jackal", "Elite", "Warthog", "Pelican", "Needler", "Ghost"]
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
TIERS = ["Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"]
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


def iso_duration(seconds: float, decimals: int = 1) -> str:
    """ISO-8601 duration as the API writes it: 'PT9M9.4211615S', 'PT1H2M', 'PT0S'."""
    seconds = round(max(seconds, 0.0), decimals)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    text = f"{secs:.{decimals}f}".rstrip("0").rstrip(".")
    if text != "0" or out == "PT":
        out += f"{text}S"
    return out


def iso_time(moment: dt.datetime) -> str:
    """UTC timestamp with milliseconds and 'Z', like the captures."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def kda(kills: int, deaths: int, assists: int) -> float:
    """K + A/3 - D truncated toward zero at 2 decimals, exactly as the API reports it."""
    numerator = 100 * (3 * kills + assists - 3 * deaths)
    return int(numerator / 3) / 100 if numerator >= 0 else -int(-numerator / 3) / 100


def accuracy(hit: int, fired: int) -> float:
    """ShotsHit / ShotsFired * 100 truncated at 2 decimals (0 when nothing fired)."""
    return (hit * 10000 // fired) / 100 if fired else 0.0


def _tier(csr: int) -> tuple[str, int, int]:
    """(tier, tier start, sub-tier index) of a CSR value."""
    if csr >= 1500:
        return "Onyx", 1500, 0
    tier = TIERS[max(csr, 0) // 300]
    start = (max(csr, 0) // 50) * 50
    return tier, start, (max(csr, 0) % 300) // 50


def csr_block(value: int, remaining: int = 0) -> dict[str, Any]:
    """A CSR container (Value, Tier, SubTier, NextTier...) like the skill captures."""
    if value < 0:
        return {
            "Value": -1,
            "MeasurementMatchesRemaining": remaining,
            "Tier": "",
            "TierStart": 0,
            "SubTier": 0,
            "NextTier": "",
            "NextTierStart": 0,
            "NextSubTier": 0,
            "InitialMeasurementMatches": 5,
        }
    tier, start, sub = _tier(value)
    next_tier, next_start, next_sub = _tier(min(start + 50, 1500))
    return {
        "Value": value,
        "MeasurementMatchesRemaining": remaining,
        "Tier": tier,
        "TierStart": start,
        "SubTier": sub,
        "NextTier": next_tier,
        "NextTierStart": next_start,
        "NextSubTier": next_sub,
        "InitialMeasurementMatches": 5,
    }


@dataclass
class _Asset:
    """Asset reference as the stats API embeds it, plus its discovery body."""

    kind: int
    asset_id: str
    version_id: str

    def ref(self) -> dict[str, Any]:
        """The `{AssetKind, AssetId, VersionId}` reference."""
        return {"AssetKind": self.kind, "AssetId": self.asset_id, "VersionId": self.version_id}


@dataclass
class Generator:
    """Stateful match factory, kept on the world so admin calls continue the same story."""

    rng: random.Random
    world: World
    seed: int
    pool: list[tuple[int, str]] = field(default_factory=list)
    maps: dict[str, tuple[_Asset, str]] = field(default_factory=dict)
    variants: dict[tuple[str, str], _Asset] = field(default_factory=dict)
    pairs: dict[tuple[str, str, str], _Asset] = field(default_factory=dict)
    playlists: dict[str, _Asset] = field(default_factory=dict)
    csr: dict[tuple[int, str], int] = field(default_factory=dict)
    mmr: dict[int, float] = field(default_factory=dict)

    def uid(self) -> str:
        """A deterministic version-4 UUID."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def xuid(self) -> int:
        """A 16-digit XUID in the 2.5e15 range (what spnkr's film parser accepts)."""
        return 2533274790000000 + self.rng.randrange(0, 2_000_000_000_000)

    # ---- assets -------------------------------------------------------------------------
    def build_assets(self) -> None:
        """Create maps, variants, map-mode pairs and playlists and register their bodies."""
        ugc = self.world.ugc
        for name in MAPS + BTB_MAPS + FIREFIGHT_MAPS:
            asset = _Asset(2, self.uid(), self.uid())
            level = self.uid()
            self.maps[name] = (asset, level)
            body = assets.map_body(
                asset.asset_id, asset.version_id, name, self.rng.randrange(-(2**31), 2**31)
            )
            ugc[("maps", asset.asset_id, asset.version_id)] = body
        for playlist in [*PLAYLISTS, CUSTOM]:
            prefix = "Ranked" if playlist.ranked else playlist.name.split()[0]
            pairs = []
            for mode in playlist.modes:
                variant = _Asset(6, self.uid(), self.uid())
                self.variants[(playlist.name, mode)] = variant
                engine = (self.uid(), self.uid(), f"{MODES[mode][1].replace(' ', '')}-Engine")
                vbody = assets.game_variant_body(
                    variant.asset_id, variant.version_id, f"{prefix}:{MODES[mode][1]}", engine
                )
                ugc[("ugcGameVariants", variant.asset_id, variant.version_id)] = vbody
                for map_name in playlist.maps:
                    pair = _Asset(7, self.uid(), self.uid())
                    self.pairs[(playlist.name, mode, map_name)] = pair
                    map_asset = self.maps[map_name][0]
                    mbody = ugc[("maps", map_asset.asset_id, map_asset.version_id)]
                    pbody = assets.map_mode_pair_body(pair.asset_id, pair.version_id, mbody, vbody)
                    ugc[("mapModePairs", pair.asset_id, pair.version_id)] = pbody
                    pairs.append(pbody)
            if not playlist.custom:
                asset = _Asset(3, self.uid(), self.uid())
                self.playlists[playlist.name] = asset
                ugc[("playlists", asset.asset_id, asset.version_id)] = assets.playlist_body(
                    asset.asset_id,
                    asset.version_id,
                    playlist.name,
                    pairs,
                    playlist.team_size,
                    playlist.teams,
                )

    # ---- players ------------------------------------------------------------------------
    def build_pool(self, size: int = 60) -> None:
        """Generated lobby members (humans with profiles but no tracked history)."""
        for i in range(size):
            tag = f"{self.rng.choice(_ADJ)}{self.rng.choice(_NOUN)}{i:02d}"
            xuid = self.xuid()
            self.pool.append((xuid, tag))
            self.world.gamertags[xuid] = tag

    # ---- matches ------------------------------------------------------------------------
    def play(self, start: dt.datetime, fireteam: list[SimPlayer], playlist: Playlist) -> str:
        """Generate one match with `fireteam` in the lobby and register it in the world."""
        rng = self.rng
        mode = rng.choice(playlist.modes)
        category, _, block = MODES[mode]
        map_name = rng.choice(playlist.maps)
        minutes = rng.uniform(6, 15) if mode != "firefight" else rng.uniform(15, 25)
        duration = minutes * 60 + rng.random()
        end = start + dt.timedelta(seconds=duration + rng.uniform(5, 30))
        teams = 8 if mode == "ffa" else playlist.teams
        per_team = 1 if mode == "ffa" else playlist.team_size
        # lobby: (xuid, gamertag or None for bot, bot id)
        humans = [(p.xuid, p.gamertag) for p in fireteam]
        slots = teams * per_team
        with_bots = mode == "firefight" or (playlist.custom and rng.random() < 0.5)
        bots = rng.randint(1, max(1, slots - len(humans))) if with_bots else 0
        if mode == "firefight":
            bots = max(0, per_team - len(humans))
        others = [p for p in self.pool if p[0] not in {h[0] for h in humans}]
        fill = max(0, min(slots, per_team * teams) - len(humans) - bots)
        if playlist.custom and not with_bots:
            fill = rng.randint(min(1, fill), fill)
        humans += rng.sample(others, fill)
        lobby: list[tuple[str, int | None, str | None]] = [(wrap(x), x, t) for x, t in humans]
        lobby += [(f"bid({rng.randrange(1, 99)}.0)", None, None) for _ in range(bots)]
        lobby = list(dict.fromkeys(lobby))  # bot ids may repeat
        team_of = self._assign_teams(lobby, teams, len(fireteam))
        team_ids = sorted(set(team_of))
        players = self._players(lobby, team_of, block, mode, start, duration)
        team_entries = self._teams(players, team_ids, block, mode)
        match_id = self.uid()
        asset_pl = self.playlists.get(playlist.name)
        pair = self.pairs[(playlist.name, mode, map_name)]
        map_asset, level_id = self.maps[map_name]
        info = {
            "StartTime": iso_time(start),
            "EndTime": iso_time(end),
            "Duration": iso_duration(duration, 7),
            "LifecycleMode": 1 if playlist.custom else 3,
            "GameVariantCategory": category,
            "LevelId": level_id,
            "MapVariant": map_asset.ref(),
            "UgcGameVariant": self.variants[(playlist.name, mode)].ref(),
            "ClearanceId": CLEARANCE_ID,
            "Playlist": asset_pl.ref() if asset_pl else None,
            "PlaylistExperience": playlist.experience,
            "PlaylistMapModePair": None if playlist.custom else pair.ref(),
            "SeasonId": None if playlist.custom else SEASON_ID,
            "PlayableDuration": iso_duration(duration - rng.uniform(0, 15), 3),
            "TeamsEnabled": mode != "ffa",
            "TeamScoringEnabled": mode != "ffa",
            "GameplayInteraction": 2 if mode == "firefight" else 1,
        }
        body = {"MatchId": match_id, "MatchInfo": info, "Teams": team_entries, "Players": players}
        _durations_to_iso(body)
        self.world.add_match(body)
        self.world.film_versions[match_id] = rng.choice((34, 39, 41, 41, 41))
        if not playlist.custom:
            self._skill(body, playlist)
        return match_id

    def _assign_teams(self, lobby: list, teams: int, fireteam: int) -> list[int]:
        """Team of each lobby slot: the fireteam together, everyone else balanced."""
        if teams == 8:
            return list(range(len(lobby)))
        if teams == 1:
            return [0] * len(lobby)
        home = self.rng.randrange(teams)
        counts = [0] * teams
        out = []
        for index in range(len(lobby)):
            team = home if index < fireteam else min(range(teams), key=lambda t: (counts[t], t))
            counts[team] += 1
            out.append(team)
        return out

    def _players(
        self,
        lobby: list,
        team_of: list[int],
        block: str | None,
        mode: str,
        start: dt.datetime,
        duration: float,
    ) -> list[dict[str, Any]]:
        """Player entries with internally consistent kills/deaths across teams."""
        rng = self.rng
        pve = mode == "firefight"
        kills = [rng.randint(0, 25) if not pve else rng.randint(20, 160) for _ in lobby]
        for i, (_, xuid, _) in enumerate(lobby):
            if xuid is None and not pve:
                kills[i] = rng.randint(0, 8)
        deaths = [0] * len(lobby)
        for i, k in enumerate(kills):
            if pve:
                deaths[i] = rng.randint(0, 6)
                continue
            victims = [j for j in range(len(lobby)) if team_of[j] != team_of[i]]
            if not victims:
                kills[i] = 0
            for _ in range(k):
                deaths[rng.choice(victims)] += 1
        out = []
        for i, (player_id, xuid, _gamertag) in enumerate(lobby):
            left = xuid is not None and rng.random() < 0.04
            played = duration * (rng.uniform(0.3, 0.9) if left else 1.0)
            stats = self._stats(kills[i], deaths[i], block, played, pve)
            entry = {
                "PlayerId": player_id,
                "PlayerType": 1 if xuid is not None else 2,
                "BotAttributes": None
                if xuid is not None
                else {"Difficulty": rng.choice((2, 3, 4))},
                "LastTeamId": team_of[i],
                "Outcome": 0,
                "Rank": 0,
                "ParticipationInfo": {
                    "FirstJoinedTime": iso_time(start + dt.timedelta(seconds=rng.uniform(0, 30))),
                    "LastLeaveTime": iso_time(start + dt.timedelta(seconds=played))
                    if left
                    else None,
                    "PresentAtBeginning": True,
                    "JoinedInProgress": False,
                    "LeftInProgress": left,
                    "PresentAtCompletion": not left,
                    "TimePlayed": iso_duration(played, 3),
                    "ConfirmedParticipation": None,
                },
                "PlayerTeamStats": [{"TeamId": team_of[i], "Stats": stats}],
            }
            out.append(entry)
        return out

    def _stats(
        self, kills: int, deaths: int, block: str | None, played: float, pve: bool
    ) -> dict[str, Any]:
        """One player's Stats: CoreStats, the mode block and PvpStats/PveStats."""
        rng = self.rng
        assists = rng.randint(0, max(1, kills // 2 + 2))
        fired = rng.randint(kills * 8 + 20, kills * 25 + 60)
        hit = rng.randint(int(fired * 0.3), int(fired * 0.65))
        medals: dict[int, int] = {}
        for _ in range(rng.randint(0, kills // 3 + 1)):
            name_id = rng.choice(COMMON_MEDALS)
            medals[name_id] = medals.get(name_id, 0) + 1
        mode_block: dict[str, Any] = {}
        if block in BLOCKS:
            for key, kind in BLOCKS[block].items():
                if kind == "i" or kind == "x":
                    mode_block[key] = (
                        rng.randint(0, 4) if "Ticks" not in key else rng.randint(0, 120)
                    )
                elif kind in "dm":
                    mode_block[key] = round(rng.uniform(0, played / 4), 1)
                elif kind == "n":
                    mode_block[key] = None
                else:
                    mode_block[key] = 0
        score = kills
        if block in SCORE_KEY:
            score = mode_block[SCORE_KEY[block]]
        elif block == "EliminationStats":
            score = 0
        scores = [(KILLED_PLAYER, kills, 100), (KILL_ASSIST, assists, 50)]
        marks = rng.randint(0, 4)
        if marks:
            scores.append((MARK_ASSIST, marks, 10))
        if block in SCORE_KEY and mode_block[SCORE_KEY[block]]:
            scores.append((4294967295, mode_block[SCORE_KEY[block]], 100))
        core = {
            "Score": score,
            "PersonalScore": sum(c * p for _, c, p in scores),
            "RoundsWon": 0,
            "RoundsLost": 0,
            "RoundsTied": 0,
            "Kills": kills,
            "Deaths": deaths,
            "Assists": assists,
            "KDA": kda(kills, deaths, assists),
            "Suicides": 0,
            "Betrayals": 0,
            "AverageLifeDuration": iso_duration(played / (deaths + 1), 1),
            "GrenadeKills": rng.randint(0, kills // 5 + 0),
            "HeadshotKills": rng.randint(0, kills),
            "MeleeKills": rng.randint(0, kills // 4),
            "PowerWeaponKills": rng.randint(0, kills // 4),
            "ShotsFired": fired,
            "ShotsHit": hit,
            "Accuracy": accuracy(hit, fired),
            "DamageDealt": kills * 230 + rng.randint(0, 900),
            "DamageTaken": deaths * 230 + rng.randint(0, 900),
            "CalloutAssists": rng.randint(0, 3),
            "VehicleDestroys": 0,
            "DriverAssists": 0,
            "Hijacks": 0,
            "EmpAssists": 0,
            "MaxKillingSpree": min(kills, rng.randint(0, 6)),
            "Medals": [
                {"NameId": n, "Count": c, "TotalPersonalScoreAwarded": 0} for n, c in medals.items()
            ],
            "PersonalScores": [
                {"NameId": n, "Count": c, "TotalPersonalScoreAwarded": c * p}
                for n, c, p in scores
                if c
            ],
            "DeprecatedDamageDealt": 0.0,
            "DeprecatedDamageTaken": 0.0,
            "Spawns": deaths + 1,
            "ObjectivesCompleted": 0,
        }
        core["DeprecatedDamageDealt"] = float(core["DamageDealt"])
        core["DeprecatedDamageTaken"] = float(core["DamageTaken"])
        stats: dict[str, Any] = {"CoreStats": core}
        if block in BLOCKS:
            stats[block] = mode_block
        if pve:
            stats["PveStats"] = self._pve(kills, deaths, assists)
            stats["PvpStats"] = {"Kills": 0, "Deaths": 0, "Assists": 0, "KDA": 0.0}
        else:
            stats["PvpStats"] = {
                "Kills": kills,
                "Deaths": deaths,
                "Assists": assists,
                "KDA": core["KDA"],
            }
        return stats

    def _pve(self, kills: int, deaths: int, assists: int) -> dict[str, Any]:
        """PveStats whose per-species kills add up to the PvE kills."""
        species = [
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
        counts = dict.fromkeys(species, 0)
        for _ in range(kills):
            counts[self.rng.choice(species[1:])] += 1
        return {
            "Kills": kills,
            "Deaths": deaths,
            "Assists": assists,
            "KDA": kda(kills, deaths, assists),
            **counts,
        }

    def _teams(
        self, players: list[dict[str, Any]], team_ids: list[int], block: str | None, mode: str
    ) -> list[dict[str, Any]]:
        """Team entries summing their players, with outcomes and ranks set on everyone."""
        rng = self.rng
        per_team: dict[int, list[dict[str, Any]]] = {t: [] for t in team_ids}
        for player in players:
            per_team[player["LastTeamId"]].append(player["PlayerTeamStats"][0]["Stats"])
        rounds = block == "EliminationStats" or mode == "oddball"
        totals = {t: _sum_stats(s) for t, s in per_team.items()}
        if rounds:
            played_rounds = rng.randint(3, 5)
            won = {t: 0 for t in team_ids}
            for _ in range(played_rounds):
                won[rng.choice(team_ids)] += 1
        if mode == "firefight":
            outcome = {team_ids[0]: 2 if rng.random() < 0.7 else 3}
        else:
            key = (
                (lambda t: won[t])
                if rounds and block == "EliminationStats"
                else (lambda t: totals[t]["CoreStats"]["Score"])
            )
            best = max(key(t) for t in team_ids)
            leaders = [t for t in team_ids if key(t) == best]
            outcome = {t: (1 if len(leaders) > 1 else 2) if t in leaders else 3 for t in team_ids}
        order = sorted(team_ids, key=lambda t: outcome[t] == 3)
        team_rank = {
            t: (1 if outcome[t] != 3 else 1 + sum(outcome[o] != 3 for o in team_ids)) for t in order
        }
        if mode == "ffa":
            ranked = sorted(team_ids, key=lambda t: -totals[t]["CoreStats"]["Score"])
            team_rank = {
                t: 1
                + sum(
                    totals[o]["CoreStats"]["Score"] > totals[t]["CoreStats"]["Score"]
                    for o in team_ids
                )
                for t in ranked
            }
        entries = []
        for t in team_ids:
            stats = totals[t]
            core = stats["CoreStats"]
            if rounds:
                core["RoundsWon"] = won[t]
                core["RoundsLost"] = sum(won.values()) - won[t]
                if block == "EliminationStats":
                    core["Score"] = won[t]
            else:
                core["RoundsWon"] = int(outcome[t] == 2)
                core["RoundsLost"] = int(outcome[t] == 3)
                core["RoundsTied"] = int(outcome[t] == 1)
            for player_stats in per_team[t]:
                for k in ("RoundsWon", "RoundsLost", "RoundsTied"):
                    player_stats["CoreStats"][k] = core[k]
            entries.append(
                {"TeamId": t, "Outcome": outcome[t], "Rank": team_rank[t], "Stats": stats}
            )
        by_score = sorted(
            players, key=lambda p: -p["PlayerTeamStats"][0]["Stats"]["CoreStats"]["PersonalScore"]
        )
        for rank, player in enumerate(by_score, 1):
            player["Rank"] = rank
            left = player["ParticipationInfo"]["LeftInProgress"]
            player["Outcome"] = 4 if left else outcome[player["LastTeamId"]]
        return entries

    def _skill(self, body: dict[str, Any], playlist: Playlist) -> None:
        """Skill results per human: MMRs of all teams, CSR recap, performances near actuals."""
        rng = self.rng
        match_id = body["MatchId"]
        teams = {t["TeamId"] for t in body["Teams"]}
        humans = [p for p in body["Players"] if p["PlayerType"] == 1]
        for p in humans:
            self.mmr.setdefault(int(p["PlayerId"][5:-1]), rng.uniform(900, 1600))
        team_mmrs = {}
        for t in sorted(teams):
            members = [self.mmr[int(p["PlayerId"][5:-1])] for p in humans if p["LastTeamId"] == t]
            team_mmrs[str(t)] = sum(members) / len(members) if members else rng.uniform(900, 1500)
        results = {}
        for p in humans:
            xuid = int(p["PlayerId"][5:-1])
            core = p["PlayerTeamStats"][0]["Stats"]["CoreStats"]
            if playlist.ranked:
                pre = self.csr.setdefault((xuid, playlist.name), rng.randint(600, 1600))
                delta = {2: rng.randint(6, 14), 3: -rng.randint(6, 14)}.get(p["Outcome"], 0)
                post = max(0, pre + delta)
                self.csr[(xuid, playlist.name)] = post
                self.world.playlist_csr.setdefault(self.playlists[playlist.name].asset_id, {})[
                    xuid
                ] = {"current": post, "max": max(post, pre)}
                recap = {"PreMatchCsr": csr_block(pre), "PostMatchCsr": csr_block(post)}
            else:
                recap = {"PreMatchCsr": csr_block(-1), "PostMatchCsr": csr_block(-1)}
            exp_k = max(0.5, core["Kills"] + rng.gauss(0, 3))
            exp_d = max(0.5, core["Deaths"] + rng.gauss(0, 3))
            tiers = {}
            for i, tier in enumerate(TIERS):
                tiers[tier] = {"Kills": exp_k * (0.3 + 0.15 * i), "Deaths": exp_d * (1.4 - 0.1 * i)}
            results[xuid] = {
                "TeamMmr": team_mmrs[str(p["LastTeamId"])],
                "RankRecap": recap,
                "StatPerformances": {
                    "Kills": {
                        "Count": core["Kills"],
                        "Expected": exp_k,
                        "StdDev": rng.uniform(3, 6),
                    },
                    "Deaths": {
                        "Count": core["Deaths"],
                        "Expected": exp_d,
                        "StdDev": rng.uniform(3, 6),
                    },
                },
                "TeamId": p["LastTeamId"],
                "TeamMmrs": team_mmrs,
                "RankedRewards": None,
                "Counterfactuals": {
                    "SelfCounterfactuals": {"Kills": exp_k, "Deaths": exp_d},
                    "TierCounterfactuals": tiers,
                },
            }
        self.world.skill[match_id] = results

    def sessions(self, players: list[SimPlayer], matches: int, start: dt.datetime) -> None:
        """Play sessions until every named player has about `matches` matches."""
        rng = self.rng
        counts = {p.xuid: 0 for p in players}
        moment = start
        while min(counts.values()) < matches:
            anchor = min(players, key=lambda p: (counts[p.xuid], rng.random()))
            friends = [p for p in players if p != anchor and counts[p.xuid] < matches]
            fireteam = [anchor] + rng.sample(friends, min(len(friends), rng.choice((0, 0, 1, 2))))
            self._session(fireteam, rng.randint(2, 6), moment, counts)
            moment = self._next_session_time(moment)

    def _next_session_time(self, moment: dt.datetime) -> dt.datetime:
        """Hours to days between sessions."""
        return moment + dt.timedelta(hours=self.rng.uniform(3, 60))

    def _session(
        self,
        fireteam: list[SimPlayer],
        n: int,
        moment: dt.datetime,
        counts: dict[int, int] | None = None,
    ) -> list[str]:
        """A run of `n` matches a few minutes apart, the same fireteam throughout."""
        rng = self.rng
        playlist = rng.choices([*PLAYLISTS, CUSTOM], weights=[5, 5, 2, 1, 1, 1, 1, 1])[0]
        ids = []
        for _ in range(n):
            if rng.random() < 0.3:
                playlist = rng.choices([*PLAYLISTS, CUSTOM], weights=[5, 5, 2, 1, 1, 1, 1, 1])[0]
            match_id = self.play(moment, fireteam, playlist)
            ids.append(match_id)
            if counts is not None:
                for p in fireteam:
                    counts[p.xuid] += 1
            end = parse_time(self.world.matches[match_id]["MatchInfo"]["EndTime"])
            moment = end + dt.timedelta(minutes=rng.uniform(1, 5))
        return ids

    def add(
        self, world: World, n: int, player: SimPlayer | None, now: dt.datetime | None
    ) -> list[str]:
        """Admin hook: `n` new matches after everything else (same fireteam logic)."""
        latest = world.latest_start() or BASE_DATE
        moment = latest + dt.timedelta(hours=1)
        if now is not None and now > moment:
            moment = now
        anchor = player or self.rng.choice(world.players)
        return self._session([anchor], n, moment)


def _sum_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """Team stats: sums of the members' stats (max for sprees and longest times)."""
    out: dict[str, Any] = {}
    for name in stats[0]:
        blocks = [s[name] for s in stats]
        merged: dict[str, Any] = {}
        for key, first in blocks[0].items():
            values = [b[key] for b in blocks]
            if key in ("Medals", "PersonalScores"):
                merged[key] = _merge_awards(values)
            elif key in ("MaxKillingSpree", "MaxKillingSpreeAsVip"):
                merged[key] = max(values)
            elif key == "AverageLifeDuration":
                merged[key] = first
            elif first is None and key == "LivesRemaining":
                merged[key] = 0
            elif key.startswith("Longest"):
                merged[key] = max(values)
            elif isinstance(first, bool) or first is None:
                merged[key] = first
            else:
                merged[key] = sum(values)
        if "Kills" in merged and "Assists" in merged:
            merged["KDA"] = kda(merged["Kills"], merged["Deaths"], merged["Assists"])
        if "ShotsFired" in merged:
            merged["Accuracy"] = accuracy(merged["ShotsHit"], merged["ShotsFired"])
        out[name] = merged
    return out


def _merge_awards(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Sum medal / personal score awards by NameId, keeping first-seen order."""
    merged: dict[int, dict[str, Any]] = {}
    for awards in lists:
        for award in awards:
            slot = merged.setdefault(
                award["NameId"],
                {"NameId": award["NameId"], "Count": 0, "TotalPersonalScoreAwarded": 0},
            )
            slot["Count"] += award["Count"]
            slot["TotalPersonalScoreAwarded"] += award["TotalPersonalScoreAwarded"]
    return list(merged.values())


def _durations_to_iso(body: dict[str, Any]) -> None:
    """Mode-block durations are generated as seconds; render them like the API."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, float) and ("Time" in key) and key not in ("TimePlayed",):
                    node[key] = iso_duration(value, 1)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body["Teams"])
    walk(body["Players"])


def build_synthetic_world(seed: int = 42, players: int = 4, matches: int = 120) -> World:
    """A reproducible world: `players` named players with about `matches` matches each."""
    world = World()
    gen = Generator(random.Random(seed), world, seed)
    names = GAMERTAGS[:players] + [f"SimPlayer{i:03d}" for i in range(len(GAMERTAGS), players)]
    world.players = [SimPlayer(name, gen.xuid()) for name in names]
    gen.build_pool()
    gen.build_assets()
    world.medal_metadata = assets.medal_metadata()
    world.match_generator = gen.add
    if matches > 0 and players > 0:
        gen.sessions(world.players, matches, BASE_DATE)
    return world


def reseed(world: World, seed: int) -> None:
    """Continue a synthetic world's story from another random stream, so the matches added
    from now on get ids never served before (e.g. by an earlier `make dev` on the same seed)."""
    generator = getattr(world.match_generator, "__self__", None)
    if not isinstance(generator, Generator):
        raise RuntimeError("this world was not built by build_synthetic_world")
    generator.rng.seed(seed)
