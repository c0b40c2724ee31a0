"""Values of a match_stats row no real match can have: flagged, and kept out of the totals.

Why: the API sometimes answers glitched numbers (accuracy 1e308, kills 16.5, -3 deaths). They
are valid JSON of the right type, so the transformers would store them and every aggregate
and report would carry them silently. Such a value becomes NULL in the row (the match stays,
its other values count) and the match is recorded in `suspect_matches` with the reason; the
`values_plausible` asset check reports it (store/invariants.py). The raw body is kept as
the API sent it.
"""

from __future__ import annotations

import math
from typing import Any

from levelup_pipeline.transform.match_stats import _SUMMED

SUSPECT_MATCHES_COLUMNS: tuple[str, ...] = ("match_id", "reasons")

_COUNT = (0, 10**6)  # kills, shots... of one match: never negative, never near a million
_DAMAGE = (0, 10**8)
_SIGNED = (-(10**8), 10**8)  # scores and KDA can be negative (betrayals, deaths)
#: match_stats column -> (lowest, highest) plausible value.
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
#: CoreStats keys stored as whole numbers (a fraction was truncated by as_int).
_WHOLE_KEYS = (*_SUMMED, ("max_killing_spree", "MaxKillingSpree"))


def _fractions(cores: list[dict[str, Any]]) -> dict[str, Any]:
    """Columns whose raw CoreStats value is a number with a fraction (kills 16.5)."""
    out: dict[str, Any] = {}
    for core in cores:
        for column, key in _WHOLE_KEYS:
            value = core.get(key)
            if type(value) is float and math.isfinite(value) and not value.is_integer():
                out.setdefault(column, value)
    return out


def _outside(row: dict[str, Any], skip: set[str]) -> dict[str, str]:
    """Columns of `row` outside BOUNDS (but not in `skip`) -> the reason."""
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
    """Set the implausible values of a match_stats row, and of the match's match_players
    rows (`players`), to NULL; the suspect_matches row that records them (None when every
    value is plausible).

    `cores` are the player's raw CoreStats blocks when the row was built from parsed JSON
    (the typed path only ever holds whole numbers): a fraction there is flagged too. The
    player's own match_players row (xuid `player_xuid`) loses the same values as the row.
    """
    reasons = {c: f"{c} {v!r} is not a whole number" for c, v in _fractions(cores or []).items()}
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
