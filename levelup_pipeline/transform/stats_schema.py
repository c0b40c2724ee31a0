"""The keys of a match stats body that become rows, as typed msgspec Structs.

Why: decoding a ~18 KB body into these Structs (only the keys read, each value checked in C)
and reading their attributes costs about half of decoding it into dicts and reading those
defensively (transform/match_stats.py), on the thread that bounds the rebuild's speed.

A body only decodes when every key read has the type the API sends: an int within BIGINT's
range, a finite float (or an int), a bool, a string, or null where the API may send null.
Anything else (a string for a number, a list for an object, 1e300 kills...) fails
validation, and the body goes to the defensive reference transformers instead
(transform/typed_rows.py decides; levelup_pipeline_tests/transform/test_fast_paths.py
compares both on the real captures, synthetic matches and damaged bodies).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

# What as_int() keeps: ints within BIGINT's range (bools are refused by msgspec's int).
Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _Node(msgspec.Struct, gc=False):  # no cycles: nothing for the cyclic collector
    pass


class Award(_Node):
    NameId: Int | None = None
    Count: Int | None = None
    TotalPersonalScoreAwarded: Int | None = None


class CoreStats(_Node):
    Kills: Int | None = None
    Deaths: Int | None = None
    Assists: Int | None = None
    ShotsFired: Int | None = None
    ShotsHit: Int | None = None
    DamageDealt: Int | None = None
    DamageTaken: Int | None = None
    HeadshotKills: Int | None = None
    MeleeKills: Int | None = None
    GrenadeKills: Int | None = None
    PowerWeaponKills: Int | None = None
    Score: Int | None = None
    PersonalScore: Int | None = None
    KDA: float | None = None
    Accuracy: float | None = None
    MaxKillingSpree: Int | None = None
    AverageLifeDuration: str | None = None
    Medals: list[Award] = []
    PersonalScores: list[Award] = []


class PlayerStats(_Node):
    CoreStats: CoreStats | None = None


class PlayerTeamStats(_Node):
    Stats: PlayerStats | None = None


class BotAttributes(_Node):
    Difficulty: Int | None = None


class ParticipationInfo(_Node):
    LeftInProgress: bool | None = None
    TimePlayed: str | None = None


class Player(_Node):
    PlayerId: str | None = None
    PlayerType: Int | None = None
    BotAttributes: BotAttributes | None = None
    LastTeamId: Int | None = None
    Outcome: Int | None = None
    Rank: Int | None = None
    ParticipationInfo: ParticipationInfo | None = None
    PlayerTeamStats: list[PlayerTeamStats] = []


class TeamCoreStats(_Node):
    Score: Int | None = None


class TeamStats(_Node):
    CoreStats: TeamCoreStats | None = None


class Team(_Node):
    TeamId: Int | None = None
    Stats: TeamStats | None = None


class AssetRef(_Node):
    AssetId: str | None = None
    VersionId: str | None = None


class MatchInfo(_Node):
    StartTime: str | None = None
    EndTime: str | None = None
    Duration: str | None = None
    Playlist: AssetRef | None = None
    MapVariant: AssetRef | None = None
    UgcGameVariant: AssetRef | None = None
    PlaylistMapModePair: AssetRef | None = None
    LifecycleMode: Int | None = None
    GameVariantCategory: Int | None = None
    TeamsEnabled: bool | None = None
    GameplayInteraction: Int | None = None
    SeasonId: str | None = None


class MatchStatsBody(_Node):
    """The part of a match stats response that becomes rows (MatchId is not read: the
    stored key is the match's id)."""

    MatchInfo: MatchInfo | None = None
    Teams: list[Team] = []
    Players: list[Player] = []


_DECODE = msgspec.json.Decoder(MatchStatsBody).decode


def decode_stats(data: bytes | str) -> MatchStatsBody | None:
    """Stats JSON -> the typed body; None when it is not JSON or has another shape."""
    try:
        return _DECODE(data)
    except (ValueError, RecursionError):  # msgspec's ValidationError, DecodeError; too deep
        return None
