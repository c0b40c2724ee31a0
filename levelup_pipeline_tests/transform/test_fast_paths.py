"""The transformers' fast paths give exactly what their reference gives: load_json what
json.loads gives, the per-player totals what summed_core_stats() gives, the stats decoded
with only the keys the transformers read (stats_schema.py) the rows of the whole body."""

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


def _stats_rows(stats: Any, player: str) -> dict[str, list[dict[str, Any]]]:
    """Every stats-derived row of one body, as the transform stage builds them."""
    from levelup_pipeline.store.transform_stages import STATS_TABLES, add_stats_rows

    out: dict[str, list[dict[str, Any]]] = {table: [] for table in STATS_TABLES}
    add_stats_rows(out, "m-1", stats, None, player, {})
    return out


def _assert_same_rows(text: bytes, player: str) -> None:
    """The read-keys decoding and the whole decoding give the same rows, value for value."""
    from levelup_pipeline.transform.stats_schema import parse_stats_json

    fast, whole = _stats_rows(parse_stats_json(text), player), _stats_rows(load_json(text), player)
    assert list(fast) == list(whole)
    for table in whole:
        assert _same(fast[table], whole[table]), table


def test_read_keys_decoding_gives_the_rows_of_the_real_captures(load_capture) -> None:
    from levelup_pipeline_tests.captures import MATCH_STATS_CAPTURES

    for name in MATCH_STATS_CAPTURES:
        stats = load_capture(name)
        for player in stats["Players"]:
            _assert_same_rows(json.dumps(stats).encode(), player["PlayerId"])
    assert _stats_rows(load_capture("get_match_stats.json"), PLAYER)["medals"]  # not vacuous


def test_read_keys_decoding_gives_the_rows_of_synthetic_matches() -> None:
    from levelup_pipeline.simulator.synthetic import build_synthetic_world
    from levelup_pipeline.simulator.world import wrap

    world = build_synthetic_world(seed=7, players=2, matches=40)
    player = wrap(world.players[0].xuid)
    bodies = [m for m in world.matches.values() if player in json.dumps(m["Players"])]
    assert len(bodies) >= 30
    for body in bodies:
        _assert_same_rows(json.dumps(body).encode(), player)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 60))
def test_read_keys_decoding_gives_the_rows_of_damaged_bodies(
    load_capture, seed: int, n: int
) -> None:
    """Wrong types, nulls and missing blocks anywhere: the rows still match (odd shapes are
    decoded whole)."""
    stats = _mutate(load_capture("get_match_stats.json"), seed, n)
    _assert_same_rows(json.dumps(stats).encode(), PLAYER)


def test_read_keys_decoding_of_non_json() -> None:
    from levelup_pipeline.transform.stats_schema import parse_stats_json

    assert parse_stats_json(b"{not json") is None
    assert parse_stats_json(b"[1, 2]") == [1, 2]
    assert parse_stats_json(b'{"MatchId": "m", "Other": 1}') == {"MatchId": "m"}
