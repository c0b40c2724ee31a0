"""Match stats -> rows; an odd value becomes NULL, never an exception (one odd match must not
stop a 10,000-match sync)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from levelup_pipeline.transform._common import (
    as_int,
    dig,
    load_json,
    normalize_xuid,
    parse_duration,
    parse_timestamp,
    player_key,
)
from levelup_pipeline.transform.modes import lifecycle_label, mode_category
from levelup_pipeline.transform.stats_schema import (
    AssetRef,
    CoreStats,
    MatchInfo,
    MatchStatsBody,
    Player,
)

MATCH_STATS_COLUMNS: tuple[str, ...] = (
    "match_id",
    "start_time",
    "end_time",
    "duration_seconds",
    "time_played_seconds",
    "playlist_id",
    "playlist_version_id",
    "map_id",
    "map_version_id",
    "game_variant_id",
    "game_variant_version_id",
    "map_mode_pair_id",
    "map_mode_pair_version_id",
    "game_variant_category",
    "mode_category",
    "is_ranked",
    "lifecycle",
    "teams_enabled",
    "gameplay_interaction",
    "season_id",
    "team_id",
    "rank",
    "outcome",
    "left_early",
    "kills",
    "deaths",
    "assists",
    "kda",
    "kd_ratio",
    "accuracy",
    "shots_fired",
    "shots_hit",
    "damage_dealt",
    "damage_taken",
    "headshot_kills",
    "melee_kills",
    "grenade_kills",
    "power_weapon_kills",
    "max_killing_spree",
    "average_life_seconds",
    "score",
    "personal_score",
    "team_score",
    "enemy_team_score",
)
RANKED_NAME_RE = re.compile(r"\branked\b", re.IGNORECASE)  # 'Unranked' does not match

_SUMMED = (
    ("kills", "Kills"),
    ("deaths", "Deaths"),
    ("assists", "Assists"),
    ("shots_fired", "ShotsFired"),
    ("shots_hit", "ShotsHit"),
    ("damage_dealt", "DamageDealt"),
    ("damage_taken", "DamageTaken"),
    ("headshot_kills", "HeadshotKills"),
    ("melee_kills", "MeleeKills"),
    ("grenade_kills", "GrenadeKills"),
    ("power_weapon_kills", "PowerWeaponKills"),
    ("score", "Score"),
    ("personal_score", "PersonalScore"),
)


_MEDAL_NAMES: dict[int, str] | None = None
_HUMAN_PLAYER_TYPES = {1: True, 2: False}
_NO_INFO = MatchInfo()
_NO_ASSET = AssetRef()
_BRIEF = ("kills", "deaths", "assists", "kda", "accuracy", "score", "personal_score")


def _medal_display_name(name_id: int) -> str | None:
    """spnkr's built-in medal name, if it knows the id (the store later prefers metadata)."""
    global _MEDAL_NAMES
    if _MEDAL_NAMES is None:
        try:
            from levelup_pipeline.halo.spnkr_light import refdata

            _MEDAL_NAMES = {int(m): m.display_name for m in refdata().MedalNameId}
        except Exception:  # spnkr missing or changed: names stay NULL until metadata arrives
            _MEDAL_NAMES = {}
    return _MEDAL_NAMES.get(name_id)


def _sum(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _add(a: Any, b: Any) -> Any:
    """_sum([a, b]) without the lists (once per medal)."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _cores(player: Player) -> list[CoreStats]:
    """The CoreStats blocks of a player's PlayerTeamStats entries (one per team played for)."""
    return [
        e.Stats.CoreStats
        for e in player.PlayerTeamStats
        if e.Stats is not None and e.Stats.CoreStats is not None
    ]


def summed_core_stats(cores: list[CoreStats]) -> dict[str, Any]:
    """A player's stats summed over their team entries (KDA is linear, so it sums too)."""
    if len(cores) == 1:  # the common case, kept cheap
        core = cores[0]
        out = {col: getattr(core, key) for col, key in _SUMMED}
        out["kda"] = core.KDA
        out["accuracy"] = core.Accuracy
        out["max_killing_spree"] = core.MaxKillingSpree
        out["average_life_seconds"] = parse_duration(core.AverageLifeDuration)
        return out
    out = {col: _sum([getattr(c, key) for c in cores]) for col, key in _SUMMED}
    out["kda"] = _sum([c.KDA for c in cores])
    shots = out["shots_fired"]
    out["accuracy"] = round(100.0 * (out["shots_hit"] or 0) / shots, 2) if shots else None
    sprees = [c.MaxKillingSpree for c in cores if c.MaxKillingSpree is not None]
    out["max_killing_spree"] = max(sprees) if sprees else None
    lives = [parse_duration(c.AverageLifeDuration) for c in cores]
    lives = [v for v in lives if v is not None]
    out["average_life_seconds"] = sum(lives) / len(lives) if lives else None
    return out


def _brief(cores: list[CoreStats]) -> tuple[Any, ...]:
    """_BRIEF's values, reading only those in the common one-entry case (~10 players a match)."""
    if len(cores) == 1:
        c = cores[0]
        return (c.Kills, c.Deaths, c.Assists, c.KDA, c.Accuracy, c.Score, c.PersonalScore)
    totals = summed_core_stats(cores)
    return tuple(totals[c] for c in _BRIEF)


def kd_ratio(kills: int | None, deaths: int | None) -> float | None:
    """K/D with the usual convention that zero deaths gives K/D = kills."""
    if kills is None:
        return None
    if not deaths:
        return float(kills)
    return kills / deaths


def skill_is_ranked(skill_result: dict[str, Any] | None) -> bool | None:
    """True when the skill result carries a real CSR (ranked playlists only), None if unknown."""
    if not isinstance(skill_result, dict):
        return None
    recap = skill_result.get("RankRecap")
    if not isinstance(recap, dict):
        return False
    for key in ("PreMatchCsr", "PostMatchCsr"):
        value = as_int(dig(recap, key, "Value"))
        remaining = as_int(dig(recap, key, "MeasurementMatchesRemaining"))
        if (value is not None and value >= 0) or (remaining is not None and remaining > 0):
            return True
    return False


def merge_awards(entries: Iterable[tuple[Any, Any, Any]]) -> list[tuple[int, Any, Any]]:
    """(name id, count, points) of a player's awards, an id listed twice summed."""
    merged: dict[int, list[Any]] = {}
    for name_id, count, points in entries:
        if name_id is None:
            continue
        acc = merged.setdefault(name_id, [None, None])
        acc[0] = _add(acc[0], count)
        acc[1] = _add(acc[1], points)
    return [(n, c, p) for n, (c, p) in merged.items()]


def _awards(cores: list[CoreStats], medals: bool) -> list[tuple[int, Any, Any]]:
    return merge_awards(
        (a.NameId, a.Count, a.TotalPersonalScoreAwarded)
        for core in cores
        for a in (core.Medals if medals else core.PersonalScores)
    )


def participant_rows(match_id: str, body: MatchStatsBody) -> list[dict[str, Any]]:
    """match_players rows: one per participant (bots by their 'bid(..)' id)."""
    rows: dict[str, dict[str, Any]] = {}
    for p in body.Players:
        key = player_key(p.PlayerId)
        if key is None or key in rows:
            continue
        kills, deaths, assists, kda, accuracy, score, personal = _brief(_cores(p))
        info = p.ParticipationInfo
        rows[key] = {
            "match_id": match_id,
            "xuid": key,
            "is_human": _HUMAN_PLAYER_TYPES.get(p.PlayerType),  # type: ignore[arg-type]
            "bot_difficulty": p.BotAttributes.Difficulty if p.BotAttributes else None,
            "team_id": p.LastTeamId,
            "outcome": p.Outcome,
            "rank": p.Rank,
            "kills": kills,
            "deaths": deaths,
            "assists": assists,
            "kda": kda,
            "accuracy": accuracy,
            "score": score,
            "personal_score": personal,
            "left_early": info.LeftInProgress if info is not None else None,
        }
    return list(rows.values())


def stats_rows(
    match_id: str,
    body: MatchStatsBody,
    skill_result: dict[str, Any] | None,
    player_xuid: str,
    names: dict[str, str],
) -> dict[str, list[dict[str, Any]]]:
    """One match's rows keyed by table; all empty when the player is not in it."""
    want = normalize_xuid(player_xuid)
    player = None
    if match_id and want is not None:
        player = next((p for p in body.Players if normalize_xuid(p.PlayerId) == want), None)
    if player is None:
        return {"match_stats": [], "match_players": [], "medals": [], "personal_scores": []}
    cores = _cores(player)
    return {
        "match_stats": [_match_row(match_id, body, player, cores, skill_result, names)],
        "match_players": participant_rows(match_id, body),
        "medals": [
            {
                "match_id": match_id,
                "name_id": name_id,
                "name": _medal_display_name(name_id),
                "count": count,
                "total_personal_score_awarded": points,
            }
            for name_id, count, points in _awards(cores, medals=True)
        ],
        "personal_scores": [
            {"match_id": match_id, "name_id": name_id, "count": count, "points": points}
            for name_id, count, points in _awards(cores, medals=False)
        ],
    }


def _match_row(
    match_id: str,
    body: MatchStatsBody,
    player: Player,
    cores: list[CoreStats],
    skill_result: dict[str, Any] | None,
    names: dict[str, str],
) -> dict[str, Any]:
    """The match_stats row; is_ranked from the skill's CSR or a 'Ranked' playlist name."""
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
    ranked = skill_is_ranked(skill_result)
    if playlist_name and RANKED_NAME_RE.search(playlist_name):
        ranked = True
    participation = player.ParticipationInfo
    totals = summed_core_stats(cores)
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
        "kd_ratio": kd_ratio(totals["kills"], totals["deaths"]),
        "team_score": scores.get(team_id) if team_id is not None else None,
        "enemy_team_score": max(others) if others else None,
    }
    return {col: row[col] for col in MATCH_STATS_COLUMNS}


def find_player(stats: dict[str, Any], player_xuid: str) -> dict[str, Any] | None:
    """The Players entry of the given xuid (any spelling) in parsed JSON, or None."""
    want = normalize_xuid(player_xuid)
    players = stats.get("Players") if isinstance(stats, dict) else None
    for player in players if isinstance(players, list) else ():
        if isinstance(player, dict) and want is not None:
            if normalize_xuid(player.get("PlayerId")) == want:
                return player
    return None


def core_stats_of(player: dict[str, Any]) -> list[dict[str, Any]]:
    """Raw CoreStats blocks: the plausibility screen finds fractions the typed body truncated."""
    entries = player.get("PlayerTeamStats")
    return [
        core
        for entry in (entries if isinstance(entries, list) else ())
        if isinstance(core := dig(entry, "Stats", "CoreStats"), dict)
    ]


def parse_json(value: str | bytes | dict[str, Any] | list[Any] | None) -> Any:
    """Text from the store -> JSON value; dicts pass through; undecodable text -> None."""
    if value is None or isinstance(value, dict | list):
        return value
    try:
        return load_json(value)
    except (ValueError, TypeError):
        return None
