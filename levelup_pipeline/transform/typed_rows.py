"""Rows of the stats-derived tables from a typed stats body (transform/stats_schema.py).

The same rows as the reference transformers (match_stats.py) give for the same JSON, built
from values msgspec has already checked: no defensive conversion per value. Only the shape
almost every match has is handled here, every player with exactly one team entry; any
other body (team switchers, a player without stats) returns None and goes to the
reference. levelup_pipeline_tests/transform/test_fast_paths.py compares both paths row for
row.
"""

from __future__ import annotations

from typing import Any

from levelup_pipeline.transform import match_stats as t_match
from levelup_pipeline.transform._common import (
    normalize_xuid,
    parse_duration,
    parse_timestamp,
    player_key,
)
from levelup_pipeline.transform.modes import lifecycle_label, mode_category
from levelup_pipeline.transform.stats_schema import (
    AssetRef,
    Award,
    CoreStats,
    MatchInfo,
    MatchStatsBody,
    Player,
)

_NO_INFO = MatchInfo()
_NO_ASSET = AssetRef()


def _only_core(player: Player) -> CoreStats | None:
    """The player's one CoreStats block; None for any other count (the reference sums them)."""
    cores = [
        e.Stats.CoreStats
        for e in player.PlayerTeamStats
        if e.Stats is not None and e.Stats.CoreStats is not None
    ]
    return cores[0] if len(cores) == 1 else None


def typed_stats_rows(
    match_id: str,
    body: MatchStatsBody,
    skill_result: dict[str, Any] | None,
    player_xuid: str,
    names: dict[str, str],
) -> dict[str, list[dict[str, Any]]] | None:
    """match_stats, match_players, medals and personal_scores rows of one match (keyed by
    table; all empty when the player is not in it), or None for a shape left to the
    reference transformers."""
    if not match_id:
        return None
    want = normalize_xuid(player_xuid)
    participants: dict[str, dict[str, Any]] = {}
    player: Player | None = None
    player_core: CoreStats | None = None
    for p in body.Players:
        core = _only_core(p)
        if core is None:
            return None
        if player is None and want is not None and normalize_xuid(p.PlayerId) == want:
            player, player_core = p, core
        key = player_key(p.PlayerId)
        if key is None or key in participants:
            continue
        info = p.ParticipationInfo
        participants[key] = {
            "match_id": match_id,
            "xuid": key,
            "is_human": t_match._HUMAN_PLAYER_TYPES.get(p.PlayerType),  # type: ignore[arg-type]
            "bot_difficulty": (p.BotAttributes.Difficulty if p.BotAttributes is not None else None),
            "team_id": p.LastTeamId,
            "outcome": p.Outcome,
            "rank": p.Rank,
            "kills": core.Kills,
            "deaths": core.Deaths,
            "assists": core.Assists,
            "kda": core.KDA,
            "accuracy": core.Accuracy,
            "score": core.Score,
            "personal_score": core.PersonalScore,
            "left_early": info.LeftInProgress if info is not None else None,
        }
    if player is None or player_core is None:
        return {"match_stats": [], "match_players": [], "medals": [], "personal_scores": []}
    return {
        "match_stats": [_match_row(match_id, body, player, player_core, skill_result, names)],
        "match_players": list(participants.values()),
        "medals": t_match.medal_dicts(match_id, _awards(player_core.Medals)),
        "personal_scores": t_match.personal_score_dicts(
            match_id, _awards(player_core.PersonalScores)
        ),
    }


def _awards(awards: list[Award]) -> list[tuple[int, Any, Any]]:
    return t_match.merge_awards((a.NameId, a.Count, a.TotalPersonalScoreAwarded) for a in awards)


def _match_row(
    match_id: str,
    body: MatchStatsBody,
    player: Player,
    core: CoreStats,
    skill_result: dict[str, Any] | None,
    names: dict[str, str],
) -> dict[str, Any]:
    """The match_stats row, as match_stats.match_stats_row builds it."""
    info = _NO_INFO if body.MatchInfo is None else body.MatchInfo
    playlist, map_variant, variant, pair = (
        _NO_ASSET if ref is None else ref
        for ref in (info.Playlist, info.MapVariant, info.UgcGameVariant, info.PlaylistMapModePair)
    )
    variant_name = names.get(variant.AssetId or "")
    playlist_name = names.get(playlist.AssetId or "")
    team_id = player.LastTeamId
    scores: dict[int, int | None] = {}
    for team in body.Teams:
        if team.TeamId is not None:
            team_core = None if team.Stats is None else team.Stats.CoreStats
            scores[team.TeamId] = None if team_core is None else team_core.Score
    others = [s for t, s in scores.items() if t != team_id and s is not None]
    ranked = t_match.skill_is_ranked(skill_result)
    if playlist_name and t_match.RANKED_NAME_RE.search(playlist_name):
        ranked = True
    participation = player.ParticipationInfo
    totals: dict[str, Any] = {col: getattr(core, key) for col, key in t_match._SUMMED}
    row: dict[str, Any] = {
        "match_id": match_id,
        "start_time": parse_timestamp(info.StartTime),
        "end_time": parse_timestamp(info.EndTime),
        "duration_seconds": parse_duration(info.Duration),
        "time_played_seconds": (
            None if participation is None else parse_duration(participation.TimePlayed)
        ),
        "playlist_id": playlist.AssetId or None,
        "playlist_version_id": playlist.VersionId or None,
        "map_id": map_variant.AssetId or None,
        "map_version_id": map_variant.VersionId or None,
        "game_variant_id": variant.AssetId or None,
        "game_variant_version_id": variant.VersionId or None,
        "map_mode_pair_id": pair.AssetId or None,
        "map_mode_pair_version_id": pair.VersionId or None,
        "game_variant_category": info.GameVariantCategory,
        "mode_category": mode_category(
            info.GameVariantCategory,
            info.LifecycleMode,
            info.TeamsEnabled,
            variant_name,
            playlist_name,
            info.GameplayInteraction,
        ),
        "is_ranked": ranked,
        "lifecycle": lifecycle_label(info.LifecycleMode),
        "teams_enabled": info.TeamsEnabled,
        "gameplay_interaction": info.GameplayInteraction,
        "season_id": info.SeasonId or None,
        "team_id": team_id,
        "rank": player.Rank,
        "outcome": player.Outcome,
        "left_early": None if participation is None else participation.LeftInProgress,
        **totals,
        "kda": core.KDA,
        "accuracy": core.Accuracy,
        "max_killing_spree": core.MaxKillingSpree,
        "average_life_seconds": parse_duration(core.AverageLifeDuration),
        "kd_ratio": t_match.kd_ratio(totals["kills"], totals["deaths"]),
        "team_score": scores.get(team_id) if team_id is not None else None,
        "enemy_team_score": max(others) if others else None,
    }
    return {col: row.get(col) for col in t_match.MATCH_STATS_COLUMNS}
