"""transform/plausibility.py on the real captures (nothing flagged) and on glitched values."""

from __future__ import annotations

import copy

import pytest

from levelup_pipeline.transform import match_stats as t_match
from levelup_pipeline.transform.plausibility import flag_implausible
from levelup_pipeline_tests.captures import MODE_STATS_CAPTURES
from levelup_pipeline_tests.transform.rows import match_player_rows, match_stats_row

PLAYER = "xuid(2535445291321133)"


XUID = PLAYER[5:-1]


def _row_and_cores(body: dict) -> tuple[dict, list[dict]]:
    row = match_stats_row(body, PLAYER)
    assert row is not None
    return row, t_match.core_stats_of(t_match.find_player(body, PLAYER))


def _players(body: dict) -> dict[str, dict]:
    return {p["xuid"]: p for p in match_player_rows(body, PLAYER)}


@pytest.mark.parametrize("capture", MODE_STATS_CAPTURES)
def test_real_matches_are_plausible(load_capture, capture: str) -> None:
    body = load_capture(capture)
    row, cores = _row_and_cores(body)
    players = list(_players(body).values())
    before = (dict(row), [dict(p) for p in players])
    assert flag_implausible(row, cores, players, XUID) is None
    assert (row, players) == before


def test_glitched_values_are_nulled_and_explained(load_capture) -> None:
    body = copy.deepcopy(load_capture(MODE_STATS_CAPTURES[0]))
    core = t_match.core_stats_of(t_match.find_player(body, PLAYER))[0]
    core.update(Kills=16.5, Accuracy=1e308, Assists=-2)
    other = next(p for p in body["Players"] if p["PlayerId"] != PLAYER)
    t_match.core_stats_of(other)[0]["Deaths"] = -7
    row, cores = _row_and_cores(body)
    players = _players(body)
    assert row["kills"] == 16  # what the defensive reader makes of 16.5
    suspect = flag_implausible(row, cores, list(players.values()), XUID)
    assert suspect is not None and suspect["match_id"] == row["match_id"]
    assert (row["kills"], row["accuracy"], row["assists"], row["kd_ratio"]) == (None,) * 4
    assert row["deaths"] is not None, "plausible values are kept"
    mine = players[XUID]
    assert (mine["kills"], mine["accuracy"], mine["assists"]) == (None,) * 3
    assert mine["deaths"] == row["deaths"]
    other_key = t_match.player_key(other["PlayerId"])
    assert players[other_key]["deaths"] is None
    for reason in ("kills 16.5 is not a whole number", "accuracy 1e+308", "assists -2"):
        assert reason in suspect["reasons"]
    assert f"player {other_key}: deaths -7" in suspect["reasons"]
