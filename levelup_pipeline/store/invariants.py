"""Read-only invariant queries (used by the Dagster asset checks and the tests).

Each returns (number of problems, metadata detail).
"""

from __future__ import annotations

from typing import Any

from levelup_pipeline.transform.plausibility import BOUNDS


def _scalar(conn: Any, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0] or 0)


def duplicate_match_ids(conn: Any) -> tuple[int, dict]:
    """Match ids present more than once in match_stats."""
    n = _scalar(
        conn,
        "SELECT count(*) FROM (SELECT match_id FROM match_stats GROUP BY 1 HAVING count(*) > 1)",
    )
    return n, {}


def duplicate_highlight_events(conn: Any) -> tuple[int, dict]:
    """(match_id, event_index) pairs present more than once in highlight_events.

    The table has no primary-key index (migration 003: it cost more than the rows); its
    writes keep the pair unique by construction, and this check proves it.
    """
    n = _scalar(
        conn,
        "SELECT count(*) FROM (SELECT match_id, event_index FROM highlight_events"
        " GROUP BY ALL HAVING count(*) > 1)",
    )
    return n, {}


def invalid_outcomes(conn: Any) -> tuple[int, dict]:
    """Rows whose outcome is not one of 1 tie, 2 win, 3 loss, 4 left."""
    n = _scalar(conn, "SELECT count(*) FROM match_stats WHERE outcome NOT IN (1, 2, 3, 4)")
    return n, {}


def orphan_matches(conn: Any) -> tuple[int, dict]:
    """Matches without the player's own match_players row, or without their raw body (nor
    an imported row)."""
    xuid = conn.execute("SELECT value FROM sync_meta WHERE key = 'player_xuid'").fetchone()
    xuid = xuid[0] if xuid else ""
    no_player = int(
        conn.execute(
            "SELECT count(*) FROM match_stats m WHERE NOT EXISTS (SELECT 1 FROM match_players p "
            "WHERE p.match_id = m.match_id AND p.xuid = ?)",
            [xuid],
        ).fetchone()[0]
    )
    # a match imported from the original LevelUp has no raw body until the gap filling
    # refetches it: its imported row is its source (store/imported.py)
    no_raw = _scalar(
        conn,
        "SELECT count(*) FROM match_stats m WHERE NOT EXISTS "
        "(SELECT 1 FROM raw_match_json r WHERE r.match_id = m.match_id) AND NOT EXISTS "
        "(SELECT 1 FROM imported_match_stats i WHERE i.match_id = m.match_id)",
    )
    # A raw body the transform went through without building the player's row: the match
    # would be missing from every table and total unseen.
    raw_without_row = _scalar(
        conn,
        "SELECT count(*) FROM raw_match_json r SEMI JOIN transformed_matches t USING (match_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = r.match_id)",
    )
    return no_player + no_raw + raw_without_row, {
        "without_player_row": no_player,
        "without_raw": no_raw,
        "raw_without_row": raw_without_row,
    }


def implausible_values(conn: Any) -> tuple[int, dict]:
    """match_stats rows holding a value no real match can have (transform/plausibility.py
    NULLs them at transform time: rows modelled before that need `levelup sync
    --rebuild-cache`)."""
    outside = " OR ".join(
        f"{column} NOT BETWEEN {low} AND {high}" for column, (low, high) in BOUNDS.items()
    )
    n = _scalar(conn, f"SELECT count(*) FROM match_stats WHERE {outside}")
    return n, {}


def suspect_matches(conn: Any) -> tuple[int, dict]:
    """Matches whose implausible values the transform set to NULL (recorded with reasons)."""
    n = _scalar(conn, "SELECT count(*) FROM suspect_matches")
    rows = conn.execute(
        "SELECT match_id, reasons FROM suspect_matches ORDER BY match_id LIMIT 5"
    ).fetchall()
    return n, {"examples": "\n".join(f"{m}: {r}" for m, r in rows)}


def aggregate_mismatches(conn: Any) -> tuple[int, dict]:
    """Aggregate totals that differ from a recount of match_stats."""
    recount = conn.execute(
        "SELECT count(*), coalesce(sum(kills), 0), coalesce(sum(deaths), 0) FROM match_stats"
    ).fetchone()
    global_row = conn.execute(
        "SELECT coalesce(sum(matches), 0), coalesce(sum(kills), 0), coalesce(sum(deaths), 0) "
        "FROM mv_global_stats"
    ).fetchone()
    per_map = _scalar(conn, "SELECT coalesce(sum(matches), 0) FROM mv_map_stats")
    per_mode = _scalar(conn, "SELECT coalesce(sum(matches), 0) FROM mv_mode_category_stats")
    per_session = _scalar(conn, "SELECT coalesce(sum(matches), 0) FROM mv_session_stats")
    mismatches = sum(
        [
            tuple(global_row) != tuple(recount),
            per_map != recount[0],
            per_mode != recount[0],
            per_session != recount[0],
        ]
    )
    return mismatches, {
        "matches_recounted": int(recount[0]),
        "matches_in_mv_global_stats": int(global_row[0]),
        "matches_in_mv_map_stats": per_map,
        "matches_in_mv_mode_category_stats": per_mode,
        "matches_in_mv_session_stats": per_session,
    }
