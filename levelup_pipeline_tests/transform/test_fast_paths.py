"""The transformers' fast paths give exactly what their reference gives: load_json what
json.loads gives, the per-player totals what summed_core_stats() gives, the rows built from
the typed stats body (stats_schema.py + typed_rows.py) the rows the reference transformers
build from the whole body."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levelup_pipeline.transform import match_stats as t
from levelup_pipeline.transform._common import dig, load_json
from levelup_pipeline_tests.transform.test_fuzz import PLAYER, _mutate

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (1 is not 1.0 here), NaN equal to itself."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_load_json_reads_any_document_like_json_loads(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert _same(load_json(text), json.loads(text))
        assert _same(load_json(text.encode()), json.loads(text.encode()))


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text("0123456789", min_size=1, max_size=40),
    fraction=st.text("0123456789", max_size=30),
    exponent=st.integers(-400, 400),
    sign=st.sampled_from(["", "-"]),
)
def test_load_json_rounds_numbers_like_json_loads(
    digits: str, fraction: str, exponent: int, sign: str
) -> None:
    digits = digits.lstrip("0") or "0"
    for number in (
        f"{sign}{digits}",
        f"{sign}{digits}.{fraction or '0'}",
        f"{sign}{digits}e{exponent}",
        f"{sign}{digits}.{fraction or '0'}E{exponent}",
    ):
        text = f'{{"n": {number}}}'
        assert _same(load_json(text), json.loads(text)), text


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]",
        "[NaN, Infinity, -Infinity]",
        "[1e400, -1e400, 1e-400]",
        '["\\ud800", "\\udfff x"]',
        '"\\u0000"',
        "  [1]  ",
    ],
)
def test_load_json_edge_cases(text: str) -> None:
    assert _same(load_json(text), json.loads(text))


@pytest.mark.parametrize("text", ["[1]x", "", "{", "\ufeff[1]", "[1,]", "'a'"])
def test_load_json_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        load_json(text)
    assert t.parse_json(text) is None


TOTALS = ("kills", "deaths", "assists", "kda", "accuracy", "score", "personal_score")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 80), split=st.booleans())
def test_player_totals_equal_summed_core_stats(
    load_capture, seed: int, n: int, split: bool
) -> None:
    stats = load_capture("get_match_stats.json")
    if split:  # a player who switched teams: two PlayerTeamStats entries
        for player in stats["Players"]:
            player["PlayerTeamStats"] = player["PlayerTeamStats"] * 2
    stats = _mutate(stats, seed, n)
    players = stats.get("Players")
    for player in players if isinstance(players, list) else []:
        if not isinstance(player, dict):
            continue
        cores = t.core_stats_of(player)
        summed = t.summed_core_stats(cores)
        assert _same(list(t._player_totals(cores)), [summed[c] for c in TOTALS])
        for key, sub in (("BotAttributes", "Difficulty"), ("ParticipationInfo", "LeftInProgress")):
            assert _same(t._inner(player, key, sub), dig(player, key, sub))


def _stats_rows(text: bytes, player: str, typed: bool) -> dict[str, list[dict[str, Any]]]:
    """Every stats-derived row of one body, as the transform stage builds them: through the
    typed fast path (falling back on its own), or by the reference on the whole body."""
    from levelup_pipeline.store.transform_stages import (
        STATS_TABLES,
        add_parsed_stats_rows,
        add_stats_rows,
    )

    out: dict[str, list[dict[str, Any]]] = {table: [] for table in STATS_TABLES}
    if typed:
        add_stats_rows(out, "m-1", text, None, player, {"a-1": "Ranked Arena"})
    else:
        add_parsed_stats_rows(out, "m-1", t.parse_json(text), None, player, {"a-1": "Ranked Arena"})
    return out


def _takes_typed_path(text: bytes, player: str) -> bool:
    from levelup_pipeline.transform.stats_schema import decode_stats
    from levelup_pipeline.transform.typed_rows import typed_stats_rows

    body = decode_stats(text)
    return body is not None and typed_stats_rows("m-1", body, None, player, {}) is not None


def _assert_same_rows(text: bytes, player: str) -> None:
    """The typed path and the reference give the same rows, value for value and type for
    type (1 is not 1.0)."""
    fast, whole = _stats_rows(text, player, typed=True), _stats_rows(text, player, typed=False)
    assert list(fast) == list(whole)
    for table in whole:
        assert _same(fast[table], whole[table]), table


def test_typed_path_gives_the_rows_of_the_real_captures(load_capture) -> None:
    from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES

    typed = 0
    for name in MATCH_STATS_CAPTURES:
        stats = load_capture(name)
        text = json.dumps(stats).encode()
        for player in stats["Players"]:
            _assert_same_rows(text, player["PlayerId"])
            typed += _takes_typed_path(text, player["PlayerId"])
    # not vacuous: the real bodies take the typed path, and it gives medals
    assert typed >= len(MATCH_STATS_CAPTURES)
    text = json.dumps(load_capture("get_match_stats.json")).encode()
    assert _stats_rows(text, PLAYER, typed=True)["medals"]


def test_typed_path_gives_the_rows_of_synthetic_matches() -> None:
    from levelup_pipeline.simulator.synthetic import build_synthetic_world
    from levelup_pipeline.simulator.world import wrap

    world = build_synthetic_world(seed=7, players=2, matches=40)
    player = wrap(world.players[0].xuid)
    bodies = [m for m in world.matches.values() if player in json.dumps(m["Players"])]
    assert len(bodies) >= 30
    for body in bodies:
        _assert_same_rows(json.dumps(body).encode(), player)
    assert sum(_takes_typed_path(json.dumps(b).encode(), player) for b in bodies) >= 25


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 60))
def test_typed_path_gives_the_rows_of_damaged_bodies(load_capture, seed: int, n: int) -> None:
    """Wrong types, nulls and missing blocks anywhere: the rows still match (odd shapes go to
    the reference)."""
    stats = _mutate(load_capture("get_match_stats.json"), seed, n)
    _assert_same_rows(json.dumps(stats).encode(), PLAYER)


# Values on the edge of what the typed path accepts, at keys it reads.
_EDGE_VALUES: list[Any] = [
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    10**30,
    3.0,
    2.5,
    "7",
    "",
    True,
    None,
    {},
    [],
]
_EDGE_PATHS: list[tuple[Any, ...]] = [
    ("MatchInfo",),
    ("MatchInfo", "Playlist"),
    ("MatchInfo", "Playlist", "AssetId"),
    ("MatchInfo", "UgcGameVariant", "AssetId"),
    ("MatchInfo", "LifecycleMode"),
    ("MatchInfo", "TeamsEnabled"),
    ("MatchInfo", "StartTime"),
    ("MatchInfo", "SeasonId"),
    ("Teams",),
    ("Teams", 0, "TeamId"),
    ("Teams", 1, "Stats", "CoreStats", "Score"),
    ("Players", 0, "PlayerId"),
    ("Players", 0, "PlayerType"),
    ("Players", 0, "LastTeamId"),
    ("Players", 0, "BotAttributes"),
    ("Players", 0, "ParticipationInfo", "LeftInProgress"),
    ("Players", 0, "ParticipationInfo", "TimePlayed"),
    ("Players", 0, "PlayerTeamStats"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "Kills"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "KDA"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "Accuracy"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "AverageLifeDuration"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "Medals"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "Medals", 0, "NameId"),
    ("Players", 0, "PlayerTeamStats", 0, "Stats", "CoreStats", "Medals", 0, "Count"),
    ("Players", 1, "PlayerTeamStats", 0, "Stats", "CoreStats", "Score"),
]


@pytest.mark.parametrize("path", _EDGE_PATHS, ids=lambda p: ".".join(map(str, p)))
def test_typed_path_gives_the_rows_of_edge_values(load_capture, path: tuple[Any, ...]) -> None:
    """Out-of-range ints, whole floats, numbers as text, bools, empty strings and nulls at
    every kind of key read: the rows are the reference's, whichever path reads them."""
    stats = load_capture("get_match_stats.json")
    player = stats["Players"][0]["PlayerId"]
    stats["MatchInfo"]["Playlist"]["AssetId"] = "a-1"  # named 'Ranked Arena' in _stats_rows
    for value in _EDGE_VALUES:
        parent = stats = json.loads(json.dumps(stats))
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
        for who in (player, PLAYER):
            _assert_same_rows(json.dumps(stats).encode(), who)


def test_typed_path_with_repeated_entries(load_capture) -> None:
    """A medal listed twice is summed, and a player listed twice counts once (the first
    entry), on both paths."""
    stats = load_capture("get_match_stats.json")
    first = stats["Players"][0]
    core = first["PlayerTeamStats"][0]["Stats"]["CoreStats"]
    assert core["Medals"] and core["PersonalScores"]
    core["Medals"] = core["Medals"] + core["Medals"][:1]
    core["PersonalScores"] = core["PersonalScores"] + core["PersonalScores"][:1]
    copy = json.loads(json.dumps(first))
    copy["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Kills"] = 999
    stats["Players"].append(copy)
    text = json.dumps(stats).encode()
    assert _takes_typed_path(text, first["PlayerId"])
    _assert_same_rows(text, first["PlayerId"])
    rows = _stats_rows(text, first["PlayerId"], typed=True)
    assert rows["match_stats"][0]["kills"] != 999
    medal = rows["medals"][0]
    assert medal["count"] == 2 * core["Medals"][0]["Count"]


def test_a_player_in_two_teams_goes_to_the_reference(load_capture) -> None:
    stats = load_capture("get_match_stats.json")
    stats["Players"][0]["PlayerTeamStats"] *= 2
    text = json.dumps(stats).encode()
    assert not _takes_typed_path(text, PLAYER)
    _assert_same_rows(text, stats["Players"][0]["PlayerId"])
    assert _takes_typed_path(json.dumps(load_capture("get_match_stats.json")).encode(), PLAYER)


def test_typed_decoding_of_non_json() -> None:
    from levelup_pipeline.transform.stats_schema import decode_stats

    assert decode_stats(b"{not json") is None
    assert decode_stats(b"[1, 2]") is None
    assert decode_stats(b'{"MatchId": "m", "Other": 1}') is not None
    for text in (b"{not json", b"[1, 2]", b"null"):
        assert _stats_rows(text, PLAYER, typed=True) == _stats_rows(text, PLAYER, typed=False)
        assert not any(_stats_rows(text, PLAYER, typed=True).values())
