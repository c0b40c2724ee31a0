"""Property tests: random deletions / nulls / type swaps in real captures never crash."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levelup_pipeline.transform.metadata import medal_metadata_rows, ugc_asset_row
from levelup_pipeline.transform.skill import player_match_stats_row
from levelup_pipeline_tests.transform.rows import match_player_rows, match_stats_row, stage_rows

PLAYER = "xuid(2535445291321133)"
_REPLACEMENTS: list[Any] = [None, "", "garbage", -1, 1.5, True, [], {}, float("nan")]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _mutate(doc: Any, seed: int, n: int) -> Any:
    rng = random.Random(seed)
    doc = copy.deepcopy(doc)
    paths = _paths(doc)
    for path in rng.sample(paths, min(n, len(paths))):
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict) and rng.random() < 0.5:
                parent.pop(path[-1], None)
            else:
                # a fresh copy: a shared [] or {} would collect later mutations (even itself)
                parent[path[-1]] = copy.deepcopy(rng.choice(_REPLACEMENTS))
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def _run_all(stats: Any, skill: Any, columns: set[str]) -> None:
    rows = stage_rows(stats, PLAYER)
    for row in rows["match_stats"]:
        assert set(row) == columns
    match_player_rows(stats, PLAYER)
    player_match_stats_row("m", skill, PLAYER)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 60))
def test_mutated_match_stats_never_crash(load_capture, seed: int, n: int) -> None:
    stats = load_capture("get_match_stats.json")
    skill = load_capture("get_match_skill.json")
    columns = set(match_stats_row(stats, PLAYER))  # the unmutated body's row
    _run_all(_mutate(stats, seed, n), _mutate(skill, seed, max(1, n // 4)), columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 30))
def test_mutated_metadata_never_crash(load_capture, seed: int, n: int) -> None:
    ugc_asset_row(_mutate(load_capture("get_map_mode_pair.json"), seed, n))
    doc = load_capture("get_medal_metadata.json")
    medal_metadata_rows(_mutate({**doc, "medals": doc["medals"][:5]}, seed, n))
