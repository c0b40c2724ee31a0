"""Match stats JSON -> rows of match_stats, match_players, medals and personal_scores.

Everything is read defensively: a missing block, null, unknown enum or wrong type becomes a
NULL column, never an exception, because one odd match must not stop a 10,000-match sync.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from levelup_pipeline.transform._common import (
    as_bool,
    as_float,
    as_int,
    as_str,
    dig,
    load_json,
    normalize_xuid,
    parse_duration,
    parse_timestamp,
    player_key,
)
from levelup_pipeline.transform.modes import lifecycle_label, mode_category

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
MATCH_PLAYERS_COLUMNS: tuple[str, ...] = (
    "match_id",
    "xuid",
    "is_human",
    "bot_difficulty",
    "team_id",
    "outcome",
    "rank",
    "kills",
    "deaths",
    "assists",
    "kda",
    "accuracy",
    "score",
    "personal_score",
    "left_early",
)
MEDALS_COLUMNS: tuple[str, ...] = (
    "match_id",
    "name_id",
    "name",
    "count",
    "total_personal_score_awarded",
)
PERSONAL_SCORES_COLUMNS: tuple[str, ...] = ("match_id", "name_id", "count", "points")

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


def _medal_display_name(name_id: int) -> str | None:
    """spnkr's built-in medal name, if it knows the id (the store later prefers metadata)."""
    global _MEDAL_NAMES
    if _MEDAL_NAMES is None:
        try:
            from spnkr.models.refdata import MedalNameId

            _MEDAL_NAMES = {int(m): m.display_name for m in MedalNameId}
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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def core_stats_of(player: dict[str, Any]) -> list[dict[str, Any]]:
    """The CoreStats blocks of a player's PlayerTeamStats entries (usually exactly one)."""
    blocks = []
    for entry in _dicts(player.get("PlayerTeamStats")):
        core = _inner(entry, "Stats", "CoreStats")
        if isinstance(core, dict):
            blocks.append(core)
    return blocks


def _inner(obj: dict[str, Any], key: str, sub: str) -> Any:
    """dig(obj, key, sub) for a dict `obj`, without the generic walk (hot per player)."""
    block = obj.get(key)
    return block.get(sub) if isinstance(block, dict) else None


def summed_core_stats(cores: list[dict[str, Any]]) -> dict[str, Any]:
    """A player's stats summed over their team entries (switching teams mid-match splits them).

    KDA is summed too: the API's KDA is K + A/3 - D, linear, so the sum stays consistent.
    Accuracy is recomputed from shots when there are several entries.
    """
    if len(cores) == 1:  # the common case, kept cheap: one dict walk per stat
        core = cores[0]
        out = {col: as_int(core.get(key)) for col, key in _SUMMED}
        out["kda"] = as_float(core.get("KDA"))
        out["accuracy"] = as_float(core.get("Accuracy"))
        out["max_killing_spree"] = as_int(core.get("MaxKillingSpree"))
        out["average_life_seconds"] = parse_duration(core.get("AverageLifeDuration"))
        return out
    out = {}
    for col, key in _SUMMED:
        out[col] = _sum([as_int(c.get(key)) for c in cores])
    out["kda"] = _sum([as_float(c.get("KDA")) for c in cores])
    if out["shots_fired"]:
        out["accuracy"] = round(100.0 * (out["shots_hit"] or 0) / out["shots_fired"], 2)
    else:
        out["accuracy"] = None
    sprees = [as_int(c.get("MaxKillingSpree")) for c in cores]
    sprees = [s for s in sprees if s is not None]
    out["max_killing_spree"] = max(sprees) if sprees else None
    lives = [parse_duration(c.get("AverageLifeDuration")) for c in cores]
    lives = [v for v in lives if v is not None]
    out["average_life_seconds"] = sum(lives) / len(lives) if lives else None
    return out


def kd_ratio(kills: int | None, deaths: int | None) -> float | None:
    """K/D with the usual convention that zero deaths gives K/D = kills."""
    if kills is None:
        return None
    if not deaths:
        return float(kills)
    return kills / deaths


def find_player(stats: dict[str, Any], player_xuid: str) -> dict[str, Any] | None:
    """The Players entry of the given xuid (any spelling), or None."""
    want = normalize_xuid(player_xuid)
    for player in _dicts(stats.get("Players")):
        if want is not None and normalize_xuid(player.get("PlayerId")) == want:
            return player
    return None


def _asset(info: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    return as_str(dig(info, key, "AssetId")), as_str(dig(info, key, "VersionId"))


def _team_scores(stats: dict[str, Any]) -> dict[int, int | None]:
    scores: dict[int, int | None] = {}
    for team in _dicts(stats.get("Teams")):
        team_id = as_int(team.get("TeamId"))
        if team_id is not None:
            scores[team_id] = as_int(dig(team, "Stats", "CoreStats", "Score"))
    return scores


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


def match_stats_row(
    stats: dict[str, Any],
    player_xuid: str,
    skill_result: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """One match_stats row for `player_xuid`, or None if the body has no id or lacks the player.

    `skill_result` is the player's `Result` block of the skill response (see
    `skill.skill_result_for`); it only feeds is_ranked here. `names` (asset id -> public name)
    is optional: the store fills names in SQL anyway, but mode_category benefits from them.
    is_ranked = the skill result has a CSR, OR (filled in SQL) the playlist name has the word
    'Ranked'; NULL when neither source is known yet.
    """
    if not isinstance(stats, dict):
        return None
    match_id = as_str(stats.get("MatchId"))
    player = find_player(stats, player_xuid)
    if match_id is None or player is None:
        return None
    info = stats.get("MatchInfo") if isinstance(stats.get("MatchInfo"), dict) else {}
    playlist_id, playlist_version = _asset(info, "Playlist")
    map_id, map_version = _asset(info, "MapVariant")
    variant_id, variant_version = _asset(info, "UgcGameVariant")
    pair_id, pair_version = _asset(info, "PlaylistMapModePair")
    lifecycle_mode = as_int(info.get("LifecycleMode"))
    category = as_int(info.get("GameVariantCategory"))
    teams_enabled = as_bool(info.get("TeamsEnabled"))
    interaction = as_int(info.get("GameplayInteraction"))
    names = names or {}
    variant_name = names.get(variant_id or "")
    playlist_name = names.get(playlist_id or "")

    team_id = as_int(player.get("LastTeamId"))
    totals = summed_core_stats(core_stats_of(player))
    team_scores = _team_scores(stats)
    others = [s for t, s in team_scores.items() if t != team_id and s is not None]
    ranked = skill_is_ranked(skill_result)
    if playlist_name and RANKED_NAME_RE.search(playlist_name):
        ranked = True

    row: dict[str, Any] = {
        "match_id": match_id,
        "start_time": parse_timestamp(info.get("StartTime")),
        "end_time": parse_timestamp(info.get("EndTime")),
        "duration_seconds": parse_duration(info.get("Duration")),
        "time_played_seconds": parse_duration(dig(player, "ParticipationInfo", "TimePlayed")),
        "playlist_id": playlist_id,
        "playlist_version_id": playlist_version,
        "map_id": map_id,
        "map_version_id": map_version,
        "game_variant_id": variant_id,
        "game_variant_version_id": variant_version,
        "map_mode_pair_id": pair_id,
        "map_mode_pair_version_id": pair_version,
        "game_variant_category": category,
        "mode_category": mode_category(
            category, lifecycle_mode, teams_enabled, variant_name, playlist_name, interaction
        ),
        "is_ranked": ranked,
        "lifecycle": lifecycle_label(lifecycle_mode),
        "teams_enabled": teams_enabled,
        "gameplay_interaction": interaction,
        "season_id": as_str(info.get("SeasonId")),
        "team_id": team_id,
        "rank": as_int(player.get("Rank")),
        "outcome": as_int(player.get("Outcome")),
        "left_early": as_bool(dig(player, "ParticipationInfo", "LeftInProgress")),
        **totals,
        "kd_ratio": kd_ratio(totals["kills"], totals["deaths"]),
        "team_score": team_scores.get(team_id) if team_id is not None else None,
        "enemy_team_score": max(others) if others else None,
    }
    return {col: row.get(col) for col in MATCH_STATS_COLUMNS}


def match_player_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per participant (humans by xuid, bots by their 'bid(..)' id), deduplicated."""
    match_id = as_str(stats.get("MatchId")) if isinstance(stats, dict) else None
    if match_id is None:
        return []
    rows: dict[str, dict[str, Any]] = {}
    for player in _dicts(stats.get("Players")):
        key = player_key(player.get("PlayerId"))
        if key is None or key in rows:
            continue
        kills, deaths, assists, kda, accuracy, score, personal = _player_totals(
            core_stats_of(player)
        )
        rows[key] = {
            "match_id": match_id,
            "xuid": key,
            "is_human": _HUMAN_PLAYER_TYPES.get(as_int(player.get("PlayerType"))),
            "bot_difficulty": as_int(_inner(player, "BotAttributes", "Difficulty")),
            "team_id": as_int(player.get("LastTeamId")),
            "outcome": as_int(player.get("Outcome")),
            "rank": as_int(player.get("Rank")),
            "kills": kills,
            "deaths": deaths,
            "assists": assists,
            "kda": kda,
            "accuracy": accuracy,
            "score": score,
            "personal_score": personal,
            "left_early": as_bool(_inner(player, "ParticipationInfo", "LeftInProgress")),
        }
    return list(rows.values())


_HUMAN_PLAYER_TYPES = {1: True, 2: False}


def _player_totals(cores: list[dict[str, Any]]) -> tuple[Any, ...]:
    """(kills, deaths, assists, kda, accuracy, score, personal_score) as summed_core_stats()
    gives them, reading only those stats in the common one-entry case (~10 players a match)."""
    if len(cores) == 1:
        core = cores[0]
        return (
            as_int(core.get("Kills")),
            as_int(core.get("Deaths")),
            as_int(core.get("Assists")),
            as_float(core.get("KDA")),
            as_float(core.get("Accuracy")),
            as_int(core.get("Score")),
            as_int(core.get("PersonalScore")),
        )
    totals = summed_core_stats(cores)
    return tuple(
        totals[c]
        for c in ("kills", "deaths", "assists", "kda", "accuracy", "score", "personal_score")
    )


def merge_awards(entries: Iterable[tuple[Any, Any, Any]]) -> list[tuple[int, Any, Any]]:
    """(name id, count, points) of a player's awards, one per id: an id listed twice (or in
    two team entries) is summed, an entry without an id is left out."""
    merged: dict[int, list[Any]] = {}
    for name_id, count, points in entries:
        if name_id is None:
            continue
        acc = merged.setdefault(name_id, [None, None])
        acc[0] = _add(acc[0], count)
        acc[1] = _add(acc[1], points)
    return [(n, c, p) for n, (c, p) in merged.items()]


def _award_rows(
    stats: dict[str, Any], player_xuid: str, key: str, player: dict[str, Any] | None
) -> list[tuple[int, Any, Any]]:
    if not isinstance(stats, dict) or as_str(stats.get("MatchId")) is None:
        return []
    if player is None:
        player = find_player(stats, player_xuid)
    if player is None:
        return []
    return merge_awards(
        (
            as_int(award.get("NameId")),
            as_int(award.get("Count")),
            as_int(award.get("TotalPersonalScoreAwarded")),
        )
        for core in core_stats_of(player)
        for award in _dicts(core.get(key))
    )


def medal_dicts(match_id: Any, awards: list[tuple[int, Any, Any]]) -> list[dict[str, Any]]:
    """medals rows of merged awards (merge_awards); unknown ids keep a NULL name."""
    return [
        {
            "match_id": match_id,
            "name_id": name_id,
            "name": _medal_display_name(name_id),
            "count": count,
            "total_personal_score_awarded": points,
        }
        for name_id, count, points in awards
    ]


def personal_score_dicts(match_id: Any, awards: list[tuple[int, Any, Any]]) -> list[dict[str, Any]]:
    """personal_scores rows of merged awards (merge_awards)."""
    return [
        {"match_id": match_id, "name_id": name_id, "count": count, "points": points}
        for name_id, count, points in awards
    ]


def medal_rows(
    stats: dict[str, Any], player_xuid: str, player: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The player's medals (summed over team entries); unknown ids keep a NULL name.

    `player` (the Players entry, if the caller already found it) saves a second lookup.
    """
    match_id = stats.get("MatchId") if isinstance(stats, dict) else None
    return medal_dicts(match_id, _award_rows(stats, player_xuid, "Medals", player))


def personal_score_rows(
    stats: dict[str, Any], player_xuid: str, player: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The player's personal score awards (kills, assists, captures...) with their points."""
    match_id = stats.get("MatchId") if isinstance(stats, dict) else None
    return personal_score_dicts(match_id, _award_rows(stats, player_xuid, "PersonalScores", player))


def parse_json(value: str | bytes | dict[str, Any] | list[Any] | None) -> Any:
    """Text from the store -> JSON value; dicts pass through; undecodable text -> None."""
    if value is None or isinstance(value, dict | list):
        return value
    try:
        return load_json(value)
    except (ValueError, TypeError):
        return None
