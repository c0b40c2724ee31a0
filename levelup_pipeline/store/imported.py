"""Rows imported from the original LevelUp: folded in where raw JSON gave nothing."""

from __future__ import annotations

import duckdb

from levelup_pipeline.store.views import merge_aliases, sql_file

_MATCH_TABLES = (
    "imported_match_stats",
    "imported_player_match_stats",
    "imported_medals",
    "imported_personal_scores",
    "imported_highlight_events",
)
_ALIAS_SIGHTINGS = (
    "SELECT xuid, gamertag, last_seen AS first_seen, last_seen, 'import' AS source"
    " FROM imported_aliases"
)


def fold_imported(con: duckdb.DuckDBPyConnection, player_xuid: str) -> None:
    """Imported rows into the model where raw-derived rows are missing, gamertags into aliases."""
    tables = (*_MATCH_TABLES, "imported_aliases")
    union = " UNION ALL ".join(f"(SELECT 1 FROM {t} LIMIT 1)" for t in tables)
    if not con.execute(f"SELECT count(*) FROM ({union})").fetchall()[0][0]:
        return  # a file that never imported pays this one cheap query
    con.execute("SET VARIABLE player_xuid = ?", [player_xuid])
    con.execute(sql_file("fold_imported.sql"))
    merge_aliases(con, _ALIAS_SIGHTINGS)


def imported_only_match_ids(
    con: duckdb.DuckDBPyConnection, with_unavailable: bool = False
) -> list[str]:
    """Matches known only from an import: for the gap filling to fetch."""
    union = " UNION ".join(f"SELECT match_id FROM {t}" for t in _MATCH_TABLES)
    unavailable = (
        ""
        if with_unavailable
        else " AND NOT EXISTS (SELECT 1 FROM unavailable_matches u WHERE u.match_id = i.match_id)"
    )
    rows = con.execute(
        f"SELECT match_id FROM ({union}) i"
        " WHERE NOT EXISTS (SELECT 1 FROM raw_match_json r WHERE r.match_id = i.match_id)"
        " AND NOT EXISTS (SELECT 1 FROM archived_matches a WHERE a.match_id = i.match_id)"
        f"{unavailable} ORDER BY match_id"
    ).fetchall()
    return [r[0] for r in rows]
