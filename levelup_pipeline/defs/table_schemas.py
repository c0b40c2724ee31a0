"""What the UI shows of a player's tables: column schemas (a test holds them to the migrations),
previews, and writes made outside a run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetMaterialization, DagsterInstance, MetadataValue, TableColumn, TableSchema

_V, _I, _B, _D, _BOOL = "VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN"
_TS, _J, _Z = "TIMESTAMP WITH TIME ZONE", "JSON", "BLOB"
_OUTCOME = "1 tie, 2 win, 3 loss, 4 left / did not finish"

_RATES = [
    ("matches", _B, "Matches played."),
    ("wins", _B, "Matches won (outcome 2)."),
    ("losses", _B, "Matches lost (outcome 3)."),
]
_TOTALS = [
    ("kills", _B, "Total kills."),
    ("deaths", _B, "Total deaths."),
    ("assists", _B, "Total assists."),
    ("kd", _D, "Total kills / total deaths (kills when no death)."),
]
_GROUP_TAIL = [
    ("avg_kda", _D, "Mean of the API's per-match KDA (K + A/3 - D)."),
    ("accuracy", _D, "Shots hit / shots fired over the group, in percent."),
    ("avg_performance_score", _D, "Mean performance score (0-100)."),
    ("time_played_seconds", _D, "Time played."),
]
_WIN_RATE = ("win_rate", _D, "wins / matches (0-1).")

COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "raw_match_json": [
        ("match_id", _V, "Match GUID (primary key)."),
        ("stats_json_zst", _Z, "Verbatim match stats JSON, zstd (the source of truth)."),
        ("skill_json_zst", _Z, "Verbatim skill JSON, zstd (MMR, expected kills/deaths, CSR)."),
        ("highlights_json_zst", _Z, "Highlight events read from the match film, JSON, zstd."),
        ("film_plain", _BOOL, "Film parsable in SQL (measured when stored); NULL: no film."),
        ("skill_status", _V, "ok / missing / failed / NULL (not fetched yet)."),
        ("film_status", _V, "ok / missing / failed / NULL (not fetched yet)."),
        ("fetched_at", _TS, "When the match was fetched."),
    ],
    "match_stats": [
        ("match_id", _V, "Match GUID (primary key)."),
        ("start_time", _TS, "Match start (UTC)."),
        ("end_time", _TS, "Match end (UTC)."),
        ("duration_seconds", _D, "Match duration."),
        ("time_played_seconds", _D, "Time this player was in the match."),
        ("playlist_id", _V, "Playlist asset id (NULL for customs)."),
        ("playlist_version_id", _V, "Playlist version."),
        ("map_id", _V, "Map asset id."),
        ("map_version_id", _V, "Map version."),
        ("game_variant_id", _V, "Game mode (UGC game variant) asset id."),
        ("game_variant_version_id", _V, "Game variant version."),
        ("map_mode_pair_id", _V, "Map-mode pair asset id (matchmaking)."),
        ("map_mode_pair_version_id", _V, "Map-mode pair version."),
        ("game_variant_category", _I, "The API's GameVariantCategory code."),
        ("mode_category", _V, "Slayer, CTF, Oddball, Strongholds, KOTH, ... Custom, Other."),
        ("is_ranked", _BOOL, "Ranked playlist."),
        ("lifecycle", _V, "matchmaking / custom / local."),
        ("teams_enabled", _BOOL, "Team game (false for free-for-all)."),
        ("gameplay_interaction", _I, "The API's GameplayInteraction code (PvP, PvE...)."),
        ("season_id", _V, "Season the match belongs to."),
        ("team_id", _I, "The player's team."),
        ("rank", _I, "The player's placement in the match."),
        ("outcome", _I, _OUTCOME),
        ("left_early", _BOOL, "The player left before the end."),
        ("kills", _I, "Kills."),
        ("deaths", _I, "Deaths."),
        ("assists", _I, "Assists."),
        ("kda", _D, "The API's KDA: kills + assists/3 - deaths (as on Halo Waypoint)."),
        ("kd_ratio", _D, "kills / deaths (kills when deaths = 0)."),
        ("accuracy", _D, "Shots hit / shots fired, in percent."),
        ("shots_fired", _I, "Shots fired."),
        ("shots_hit", _I, "Shots hit."),
        ("damage_dealt", _I, "Damage dealt."),
        ("damage_taken", _I, "Damage taken."),
        ("headshot_kills", _I, "Headshot kills."),
        ("melee_kills", _I, "Melee kills."),
        ("grenade_kills", _I, "Grenade kills."),
        ("power_weapon_kills", _I, "Power weapon kills."),
        ("max_killing_spree", _I, "Longest killing spree."),
        ("average_life_seconds", _D, "Average life duration."),
        ("score", _I, "Match score."),
        ("personal_score", _I, "Personal score."),
        ("team_score", _I, "The player's team score."),
        ("enemy_team_score", _I, "Best enemy team score."),
        ("playlist_name", _V, "Playlist name (UGC metadata)."),
        ("map_name", _V, "Map name (UGC metadata)."),
        ("game_variant_name", _V, "Game mode name (UGC metadata)."),
        ("map_mode_pair_name", _V, "Map-mode pair name (UGC metadata)."),
        ("performance_score", _D, "0-100 percentile vs earlier matches; NULL before 10."),
        ("session_id", _I, "Play session number (1, 2, ... in time order)."),
    ],
    "player_match_stats": [
        ("match_id", _V, "Match GUID."),
        ("xuid", _V, "Player XUID."),
        ("team_id", _I, "Team of the player."),
        ("team_mmr", _D, "Matchmaking rating of the player's team."),
        ("enemy_mmr", _D, "Matchmaking rating of the enemy team."),
        ("team_mmrs", _J, "MMR of every team, by team id."),
        ("expected_kills", _D, "Kills the skill model expected."),
        ("stddev_kills", _D, "Standard deviation of the expected kills."),
        ("actual_kills", _I, "Kills actually made."),
        ("expected_deaths", _D, "Deaths the skill model expected."),
        ("stddev_deaths", _D, "Standard deviation of the expected deaths."),
        ("actual_deaths", _I, "Deaths actually suffered."),
        ("pre_match_csr", _I, "Competitive skill rank before the match (ranked)."),
        ("post_match_csr", _I, "Competitive skill rank after the match."),
        ("pre_match_tier", _V, "Rank tier before (Bronze ... Onyx)."),
        ("post_match_tier", _V, "Rank tier after."),
        ("pre_match_sub_tier", _I, "Sub-tier before."),
        ("post_match_sub_tier", _I, "Sub-tier after."),
        ("measurement_matches_remaining", _I, "Placement matches left."),
    ],
    "match_players": [
        ("match_id", _V, "Match GUID."),
        ("xuid", _V, "Participant XUID, 'bid(N)' for a bot."),
        ("is_human", _BOOL, "False for bots."),
        ("bot_difficulty", _I, "Bot difficulty code (bots only)."),
        ("team_id", _I, "Team."),
        ("outcome", _I, _OUTCOME),
        ("rank", _I, "Placement."),
        ("kills", _I, "Kills."),
        ("deaths", _I, "Deaths."),
        ("assists", _I, "Assists."),
        ("kda", _D, "kills + assists/3 - deaths."),
        ("accuracy", _D, "Accuracy in percent."),
        ("score", _I, "Score."),
        ("personal_score", _I, "Personal score."),
        ("left_early", _BOOL, "Left before the end."),
    ],
    "medals": [
        ("match_id", _V, "Match GUID."),
        ("name_id", _B, "Medal id."),
        ("name", _V, "Medal name (medal metadata)."),
        ("count", _I, "Times earned in the match."),
        ("total_personal_score_awarded", _I, "Personal score these medals gave."),
    ],
    "personal_scores": [
        ("match_id", _V, "Match GUID."),
        ("name_id", _B, "Personal score award id."),
        ("count", _I, "Times awarded."),
        ("points", _I, "Points awarded."),
    ],
    "highlight_events": [
        ("match_id", _V, "Match GUID."),
        ("event_index", _I, "Order of the event in the film."),
        ("event_type", _V, "kill, death, medal or mode."),
        ("time_ms", _B, "Time since the match start, in milliseconds."),
        ("xuid", _V, "Player involved."),
        ("gamertag", _V, "Gamertag at the time of the match."),
        ("type_hint", _I, "Raw event type code from the film."),
        ("is_medal", _BOOL, "The event is a medal."),
        ("medal_value", _I, "Medal id (medal events)."),
        ("medal_name", _V, "Medal name (medal events)."),
    ],
    "xuid_aliases": [
        ("xuid", _V, "Xbox user id."),
        ("gamertag", _V, "A gamertag this XUID used."),
        ("first_seen", _TS, "First time the pair was seen."),
        ("last_seen", _TS, "Last time the pair was seen."),
        ("source", _V, "film or profile: the first source that saw the pair."),
    ],
    "mv_map_stats": [
        ("map_id", _V, "Map asset id."),
        ("map_name", _V, "Map name."),
        *_RATES,
        _WIN_RATE,
        *_TOTALS,
        *_GROUP_TAIL,
    ],
    "mv_mode_category_stats": [
        ("mode_category", _V, "Mode category (Slayer, CTF, ...)."),
        *_RATES,
        _WIN_RATE,
        *_TOTALS,
        *_GROUP_TAIL,
    ],
    "mv_session_stats": [
        ("session_id", _I, "Play session number."),
        ("start_time", _TS, "Start of the session's first match."),
        ("end_time", _TS, "End of the session's last match."),
        *_RATES,
        *_TOTALS,
        ("avg_performance_score", _D, "Mean performance score (0-100)."),
        ("time_played_seconds", _D, "Time played."),
    ],
    "mv_global_stats": [
        *_RATES,
        ("ties", _B, "Ties (outcome 1)."),
        ("left_early", _B, "Matches left before the end."),
        _WIN_RATE,
        *_TOTALS,
        *_GROUP_TAIL[:3],
        ("hours_played", _D, "Time played, in hours."),
        ("first_match", _TS, "Start of the first stored match."),
        ("last_match", _TS, "Start of the last stored match."),
        ("sessions", _B, "Number of play sessions."),
        ("last_sync", _TS, "Last sync time."),
    ],
}


def column_schema_metadata(table: str) -> dict[str, TableSchema]:
    """Asset metadata that makes the UI show the table's columns and their meaning."""
    columns = [TableColumn(n, t, description=d) for n, t, d in COLUMNS[table]]
    return {"dagster/column_schema": TableSchema(columns=columns)}


def preview(conn: Any, table: str, order_by: str | None = None) -> MetadataValue:
    """The first 10 rows of a store table as a markdown table (table names are ours)."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    order = f" ORDER BY {order_by}" if order_by else ""
    cur = conn.execute(f"SELECT * FROM {table}{order} LIMIT 10")
    columns = [d[0] for d in cur.description]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in cur.fetchall()]
    return MetadataValue.md("\n".join(lines))


def record_table_changes(
    instance: DagsterInstance, gamertag: str, counts: Mapping[str, int], operation: str
) -> list[str]:
    """One runless materialization per modelled table in `counts` (archive, restore, rename)."""
    recorded = [table for table in COLUMNS if table in counts]
    for table in recorded:
        instance.report_runless_asset_event(
            AssetMaterialization(
                asset_key=table,
                partition=gamertag,
                description=f"levelup {operation} (outside a run)",
                metadata={"dagster/row_count": int(counts[table]), "operation": operation},
            )
        )
    return recorded
