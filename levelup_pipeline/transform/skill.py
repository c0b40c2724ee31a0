"""Match skill JSON -> the player's player_match_stats row (MMR, expected stats, CSR)."""

from __future__ import annotations

import json
from typing import Any

from levelup_pipeline.transform._common import as_float, as_int, as_str, dig, normalize_xuid


def skill_result_for(skill: dict[str, Any] | None, player_xuid: str) -> dict[str, Any] | None:
    """The `Result` block of the player's entry (ResultCode 0) in a skill response, or None."""
    want = normalize_xuid(player_xuid)
    values = skill.get("Value") if isinstance(skill, dict) else None
    if not isinstance(values, list) or want is None:
        return None
    for entry in values:
        if isinstance(entry, dict) and normalize_xuid(entry.get("Id")) == want:
            code = as_int(entry.get("ResultCode"))
            result = entry.get("Result")
            if code in (0, None) and isinstance(result, dict):
                return result
    return None


def _csr(recap: Any, key: str) -> tuple[int | None, str | None, int | None, int | None]:
    """(value, tier, sub_tier, measurement remaining); -1 is the API's 'no CSR' and becomes NULL."""
    block = dig(recap, key)
    if not isinstance(block, dict):
        return None, None, None, None
    value = as_int(block.get("Value"))
    if value is not None and value < 0:
        value = None
    return (
        value,
        as_str(block.get("Tier")),
        as_int(block.get("SubTier")),
        as_int(block.get("MeasurementMatchesRemaining")),
    )


def player_match_stats_row(
    match_id: str, skill: dict[str, Any] | None, player_xuid: str
) -> dict[str, Any] | None:
    """The player's row of a skill response, or None; enemy_mmr is the other teams' mean."""
    result = skill_result_for(skill, player_xuid)
    if result is None or not match_id:
        return None
    team_id = as_int(result.get("TeamId"))
    raw = result.get("TeamMmrs")
    mmrs = {str(k): as_float(v) for k, v in (raw.items() if isinstance(raw, dict) else ())}
    mmrs = {k: v for k, v in mmrs.items() if v is not None}
    team_mmr = as_float(result.get("TeamMmr"))
    if team_mmr is None and team_id is not None:
        team_mmr = mmrs.get(str(team_id))
    enemies = [v for k, v in mmrs.items() if team_id is None or k != str(team_id)]
    recap = result.get("RankRecap")
    pre, pre_tier, pre_sub, pre_remaining = _csr(recap, "PreMatchCsr")
    post, post_tier, post_sub, remaining = _csr(recap, "PostMatchCsr")
    perf = result.get("StatPerformances")
    return {
        "match_id": match_id,
        "xuid": normalize_xuid(player_xuid),
        "team_id": team_id,
        "team_mmr": team_mmr,
        "enemy_mmr": sum(enemies) / len(enemies) if enemies and team_id is not None else None,
        "team_mmrs": json.dumps(mmrs, sort_keys=True) if mmrs else None,
        "expected_kills": as_float(dig(perf, "Kills", "Expected")),
        "stddev_kills": as_float(dig(perf, "Kills", "StdDev")),
        "actual_kills": as_int(dig(perf, "Kills", "Count")),
        "expected_deaths": as_float(dig(perf, "Deaths", "Expected")),
        "stddev_deaths": as_float(dig(perf, "Deaths", "StdDev")),
        "actual_deaths": as_int(dig(perf, "Deaths", "Count")),
        "pre_match_csr": pre,
        "post_match_csr": post,
        "pre_match_tier": pre_tier,
        "post_match_tier": post_tier,
        "pre_match_sub_tier": pre_sub,
        "post_match_sub_tier": post_sub,
        "measurement_matches_remaining": pre_remaining if remaining is None else remaining,
    }
