"""The keys of a match stats body that become rows, as typed msgspec Structs: decoding into
them costs half of decoding into dicts read defensively (docs/development.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import inspect as mi

from levelup_pipeline.transform._common import as_bool, as_float, as_int

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
    PlayerId: str | int | None = None
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
    """The part of a match stats response that becomes rows (the key is the stored match id)."""

    MatchInfo: MatchInfo | None = None
    Teams: list[Team] = []
    Players: list[Player] = []


_DECODE = msgspec.json.Decoder(MatchStatsBody).decode


def decode_stats(data: Any) -> MatchStatsBody | None:
    """Stats JSON -> the typed body, or None when a value has another type (see lenient_body)."""
    if not isinstance(data, bytes | str):
        return None
    try:
        return _DECODE(data)
    except (ValueError, RecursionError):  # msgspec's ValidationError, DecodeError; too deep
        return None


Coerce = Callable[[Any], Any]


def _key(value: Any) -> Any:
    return value if type(value) is str or type(value) is int else None


def _coercer(kind: mi.Type) -> Coerce:
    if isinstance(kind, mi.UnionType):
        types = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        return _coercer(types[0]) if len(types) == 1 else _key  # only PlayerId: str | int
    if isinstance(kind, mi.ListType):
        item = _coercer(kind.item_type)
        return lambda v: [item(x) for x in v if isinstance(x, dict)] if isinstance(v, list) else []
    if isinstance(kind, mi.StructType):
        fields = [(f.name, f.encode_name, _coercer(f.type)) for f in kind.fields]
        cls = kind.cls
        return lambda v: (
            cls(**{name: read(v.get(key)) for name, key, read in fields})
            if isinstance(v, dict)
            else None
        )
    readers: dict[type, Coerce] = {
        mi.IntType: as_int,
        mi.FloatType: as_float,
        mi.BoolType: as_bool,
        mi.StrType: lambda v: v if isinstance(v, str) else None,
    }
    return readers[type(kind)]


_LENIENT = _coercer(mi.type_info(MatchStatsBody))


def lenient_body(stats: Any) -> MatchStatsBody | None:
    """Parsed stats JSON -> the typed body, a value of another type read as None."""
    return _LENIENT(stats)
