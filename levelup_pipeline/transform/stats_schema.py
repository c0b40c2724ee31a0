"""A match stats body decoded with only the keys the transformers read (match_stats.py).

Why: the full body of a 10-player match is ~1,500 JSON values, of which the rows use a
third; msgspec skips the others without building Python objects for them (~25% less
decoding time, on the thread that bounds the rebuild's speed). Values keep the types the
plain decoder gives them (`Any`), so the transformers stay as defensive as with the full
body. A body of any other shape (a list where a dict is expected...) fails validation and is
decoded whole instead: same rows either way (levelup_pipeline_tests/transform/test_fast_paths.py
compares both decodings on the real captures and synthetic matches).
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from levelup_pipeline.transform.match_stats import _SUMMED, parse_json

_SINGLE_CORE_KEYS = ("KDA", "Accuracy", "MaxKillingSpree", "AverageLifeDuration")


class _Award(TypedDict, total=False):
    NameId: Any
    Count: Any
    TotalPersonalScoreAwarded: Any


# The CoreStats keys transform.match_stats reads: the summed ones (its _SUMMED list, so a
# stat added there is decoded here too), those read one by one, and the awards.
_CoreStats = TypedDict(  # type: ignore[misc]  # keys computed from _SUMMED
    "_CoreStats",
    {
        **{key: Any for _, key in _SUMMED},
        **{key: Any for key in _SINGLE_CORE_KEYS},
        "Medals": list[_Award],
        "PersonalScores": list[_Award],
    },
    total=False,
)


class _PlayerStatsBlock(TypedDict, total=False):
    CoreStats: _CoreStats


class _PlayerTeamStats(TypedDict, total=False):
    Stats: _PlayerStatsBlock


class _Player(TypedDict, total=False):
    PlayerId: Any
    PlayerType: Any
    BotAttributes: Any
    LastTeamId: Any
    Outcome: Any
    Rank: Any
    ParticipationInfo: Any
    PlayerTeamStats: list[_PlayerTeamStats]


class _TeamCore(TypedDict, total=False):
    Score: Any


class _TeamStats(TypedDict, total=False):
    CoreStats: _TeamCore


class _Team(TypedDict, total=False):
    TeamId: Any
    Stats: _TeamStats


class MatchStatsBody(TypedDict, total=False):
    """The part of a match stats response that becomes rows."""

    MatchId: Any
    MatchInfo: Any
    Teams: list[_Team]
    Players: list[_Player]


_DECODE_READ_KEYS = msgspec.json.Decoder(MatchStatsBody).decode


def parse_stats_json(data: bytes | str) -> Any:
    """Stats JSON -> the keys the transformers read (the whole value when it has another
    shape); None for text that is not JSON."""
    try:
        return _DECODE_READ_KEYS(data)
    except ValueError:  # a ValidationError (other shape) or not JSON to msgspec
        return parse_json(data)
