"""Glitched values no real match can have (accuracy 1e308, kills 16.5): NULL in the rows, the
match recorded in `suspect_matches` with the reason, the raw body kept as the API sent it."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from levelup_pipeline.transform.match_stats import _SUMMED

_COUNT = (0, 10**6)  # kills, shots... of one match: never negative, never near a million
_DAMAGE = (0, 10**8)
_SIGNED = (-(10**8), 10**8)  # scores and KDA can be negative (betrayals, deaths)
BOUNDS: dict[str, tuple[float, float]] = {
    "kills": _COUNT,
    "deaths": _COUNT,
    "assists": _COUNT,
    "shots_fired": _COUNT,
    "shots_hit": _COUNT,
    "headshot_kills": _COUNT,
    "melee_kills": _COUNT,
    "grenade_kills": _COUNT,
    "power_weapon_kills": _COUNT,
    "max_killing_spree": _COUNT,
    "damage_dealt": _DAMAGE,
    "damage_taken": _DAMAGE,
    "score": _SIGNED,
    "personal_score": _SIGNED,
    "kda": _SIGNED,
    "accuracy": (0, 100),
    "duration_seconds": (0, 7 * 86400),
    "time_played_seconds": (0, 7 * 86400),
    "average_life_seconds": (0, 7 * 86400),
}
# CoreStats keys stored as whole numbers (as_int truncated a fraction)
_WHOLE_KEYS = (*_SUMMED, ("max_killing_spree", "MaxKillingSpree"))


def fractions(cores: list[dict[str, Any]]) -> dict[str, Any]:
    """Columns whose raw CoreStats value is a number with a fraction (kills 16.5)."""
    out: dict[str, Any] = {}
    for core in cores:
        for column, key in _WHOLE_KEYS:
            value = core.get(key)
            if type(value) is float and math.isfinite(value) and not value.is_integer():
                out.setdefault(column, value)
    return out


def _outside(row: dict[str, Any], skip: set[str]) -> dict[str, str]:
    out = {}
    for column, (low, high) in BOUNDS.items():
        value = row.get(column)
        if column not in skip and value is not None and not low <= value <= high:
            out[column] = f"{column} {value!r} is outside {low:g}..{high:g}"
    return out


def flag_implausible(
    row: dict[str, Any],
    cores: list[dict[str, Any]] | None = None,
    players: list[dict[str, Any]] | None = None,
    player_xuid: str | None = None,
) -> dict[str, Any] | None:
    """NULL the implausible values of a match_stats row and its match_players rows (a fraction
    in the raw `cores` too); the suspect_matches row recording them, or None."""
    reasons = {c: f"{c} {v!r} is not a whole number" for c, v in fractions(cores or []).items()}
    reasons.update(_outside(row, set(reasons)))
    flagged = set(reasons)
    notes = list(reasons.values())
    for player in players or ():
        mine = player_xuid is not None and player.get("xuid") == player_xuid
        skip = flagged if mine else set()
        found = _outside(player, skip)
        for column in (skip & player.keys()) | set(found):
            player[column] = None
        notes.extend(f"player {player.get('xuid')}: {r}" for r in found.values())
    if not notes:
        return None
    for column in flagged:
        row[column] = None
    if {"kills", "deaths"} & flagged:  # K/D of an unknown count is unknown, not K
        row["kd_ratio"] = None
    return {"match_id": row["match_id"], "reasons": "; ".join(notes)}


def screened_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with bounded integer columns as int64: a count too big must reach the screen."""
    return pa.schema(
        f.with_type(pa.int64()) if f.name in BOUNDS and pa.types.is_integer(f.type) else f
        for f in schema
    )


def _outside_ids(table: pa.Table) -> set[str]:
    mask = None
    for column, (low, high) in BOUNDS.items():
        if column in table.column_names:
            values = table[column]
            out = pc.or_kleene(pc.less(values, low), pc.greater(values, high))
            mask = out if mask is None else pc.or_kleene(mask, out)  # null or true: true
    if mask is None:
        return set()
    return set(pc.unique(table["match_id"].filter(pc.fill_null(mask, False))).to_pylist())


def screen(
    tables: dict[str, pa.Table],
    raw_cores: dict[str, list[dict[str, Any]]],
    player_xuid: str | None,
) -> dict[str, pa.Table]:
    """flag_implausible over a batch, only on the matches outside BOUNDS or with a fraction."""
    stats, players = tables["match_stats"], tables["match_players"]
    bad = _outside_ids(stats) | _outside_ids(players) | set(raw_cores)
    if not bad:
        return tables
    ids = pa.array(sorted(bad), pa.string())
    bad_stats = pc.is_in(stats["match_id"], value_set=ids)
    bad_players = pc.is_in(players["match_id"], value_set=ids)
    rows = stats.filter(bad_stats).to_pylist()
    by_match: dict[str, list[dict[str, Any]]] = {}
    for player in players.filter(bad_players).to_pylist():
        by_match.setdefault(player["match_id"], []).append(player)
    suspects = []
    for row in rows:
        match_id = row["match_id"]
        found = flag_implausible(
            row, raw_cores.get(match_id), by_match.get(match_id, []), player_xuid
        )
        if found is not None:
            suspects.append(found)
    flagged = [p for group in by_match.values() for p in group]
    suspect_table = tables["suspect_matches"]
    return {
        **tables,
        "match_stats": pa.concat_tables(
            [stats.filter(pc.invert(bad_stats)), pa.Table.from_pylist(rows, stats.schema)]
        ),
        "match_players": pa.concat_tables(
            [players.filter(pc.invert(bad_players)), pa.Table.from_pylist(flagged, players.schema)]
        ),
        "suspect_matches": pa.concat_tables(
            [suspect_table, pa.Table.from_pylist(suspects, suspect_table.schema)]
        ),
    }
