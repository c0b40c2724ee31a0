"""The stats-derived rows of one body through the transform stage's own entry (add_stats_rows),
the body stored as JSON bytes as the store keeps it."""

from __future__ import annotations

import json
from typing import Any

from levelup_pipeline.transform.stages import STATS_TABLES, add_stats_rows


def stage_rows(body: Any, player: str, skill: Any = None) -> dict[str, list[dict[str, Any]]]:
    """Rows keyed by table; all empty when the body has no MatchId or lacks the player."""
    out: dict[str, list[dict[str, Any]]] = {table: [] for table in STATS_TABLES}
    match_id = body.get("MatchId") if isinstance(body, dict) else None
    if isinstance(match_id, str) and match_id:
        add_stats_rows(out, match_id, json.dumps(body).encode(), skill, player, {}, {})
    return out


def match_stats_row(body: Any, player: str, skill: Any = None) -> dict[str, Any] | None:
    """The match_stats row of a body, or None."""
    rows = stage_rows(body, player, skill)["match_stats"]
    return rows[0] if rows else None


def match_player_rows(body: Any, player: str) -> list[dict[str, Any]]:
    """The match_players rows of a body ([] without the player)."""
    return stage_rows(body, player)["match_players"]
