"""Rows imported from the original LevelUp (migration 008's imported_* tables) in the model.

Imported rows have no raw API body, so they cannot be rebuilt from raw_match_json like every
other model row: they stay in their own tables and `fold_imported` puts them into the model
tables after each transform, only where the model has nothing derived from raw JSON (see
sql/fold_imported.sql). `imported_only_match_ids` lists the matches the gap filling should
fetch from the API so that they are modelled from raw JSON too.
"""

from __future__ import annotations

import duckdb

from levelup_pipeline.store.sql_files import sql_file

IMPORTED_TABLES = (
    "imported_match_stats",
    "imported_player_match_stats",
    "imported_medals",
    "imported_personal_scores",
    "imported_highlight_events",
    "imported_aliases",
)
_MATCH_TABLES = [t for t in IMPORTED_TABLES if t != "imported_aliases"]
IMPORT_ALIAS_SOURCE = "import"
_ALIAS_SIGHTINGS = (
    "SELECT xuid, gamertag, last_seen AS first_seen, last_seen,"
    f" '{IMPORT_ALIAS_SOURCE}' AS source FROM imported_aliases"
)


def has_imported(con: duckdb.DuckDBPyConnection) -> bool:
    """True when any imported row exists (a file that never imported pays one cheap query)."""
    union = " UNION ALL ".join(f"(SELECT 1 FROM {t} LIMIT 1)" for t in IMPORTED_TABLES)
    return bool(con.execute(f"SELECT count(*) FROM ({union})").fetchall()[0][0])


def fold_imported(con: duckdb.DuckDBPyConnection, player_xuid: str) -> None:
    """Put imported rows into the model tables where raw-derived rows are missing; then merge
    the imported gamertags into xuid_aliases (again after a rebuild dropped film aliases)."""
    if not has_imported(con):
        return
    for statement in sql_file("fold_imported.sql").split(";\n"):
        code = _code(statement)
        if code.strip():
            con.execute(code, [player_xuid] if "$1" in code else [])
    con.execute(sql_file("merge_aliases.sql").format(sightings=_ALIAS_SIGHTINGS))


def _code(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))


def imported_only_match_ids(
    con: duckdb.DuckDBPyConnection, with_unavailable: bool = False
) -> list[str]:
    """Matches known only from an import: no raw body, not archived, and (unless
    `with_unavailable`) not known unavailable from the API."""
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
