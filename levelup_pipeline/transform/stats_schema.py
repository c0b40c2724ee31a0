"""The keys of a match stats body that become rows, as typed msgspec Structs.

Why: decoding a ~18 KB body into these Structs (only the keys read, each value checked in C)
and reading their attributes costs about half of decoding it into dicts and reading those
defensively, on the thread that bounds the rebuild's speed.

decode_stats reads a body whose every key read has the type the API sends: an int within
BIGINT's range, a finite float (or an int), a bool, a string, or null where the API may send
null. Any other value (a string for a number, a list for an object, 1e300 kills...) fails
validation: lenient_body then builds the same Structs from the parsed JSON, each value read
by the defensive readers of transform/_common.py (garbage -> None), so that one transform
(transform/match_stats.py) reads every body.
"""

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
    """The part of a match stats response that becomes rows (MatchId is not read: the
    stored key is the match's id)."""

    MatchInfo: MatchInfo | None = None
    Teams: list[Team] = []
    Players: list[Player] = []


_DECODE = msgspec.json.Decoder(MatchStatsBody).decode


def decode_stats(data: Any) -> MatchStatsBody | None:
    """Stats JSON text -> the typed body when every value has the API's type (almost every
    body); None otherwise (then lenient_body reads the parsed JSON)."""
    if not isinstance(data, bytes | str):
        return None
    try:
        return _DECODE(data)
    except (ValueError, RecursionError):  # msgspec's ValidationError, DecodeError; too deep
        return None


Coerce = Callable[[Any], Any]


def _key(value: Any) -> Any:
    """A player id as the strict decoder takes it (a string or an int), else None."""
    return value if type(value) is str or type(value) is int else None


def _coercer(kind: mi.Type) -> Coerce:
    """The defensive reader of one value of the type `kind` (msgspec.inspect)."""
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
    """Parsed stats JSON -> the typed body, each value read defensively (a value of another
    type becomes None, a non-object entry of a list is left out); None for a non-object."""
    return _LENIENT(stats)
