"""Invariant queries of the asset checks: each returns (number of problems, metadata)."""

from __future__ import annotations

from typing import Any

from levelup_pipeline.transform.plausibility import BOUNDS


def _count(conn: Any, sql: str) -> tuple[int, dict]:
    return int(conn.execute(sql).fetchall()[0][0] or 0), {}


def _duplicates(conn: Any, table: str, key: str) -> tuple[int, dict]:
    return _count(
        conn, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
    )


def duplicate_match_ids(conn: Any) -> tuple[int, dict]:
    return _duplicates(conn, "match_stats", "match_id")


def duplicate_highlight_events(conn: Any) -> tuple[int, dict]:
    """The table has no primary-key index (it cost more than the rows): writes keep it unique."""
    return _duplicates(conn, "highlight_events", "match_id, event_index")


def invalid_outcomes(conn: Any) -> tuple[int, dict]:
    """Outcomes: 1 tie, 2 win, 3 loss, 4 left."""
    return _count(conn, "SELECT count(*) FROM match_stats WHERE outcome NOT IN (1, 2, 3, 4)")


def orphan_matches(conn: Any) -> tuple[int, dict]:
    """Matches without the player's row or a source, and raw bodies that gave no row."""
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM match_stats m WHERE NOT EXISTS (SELECT 1 FROM match_players p
             WHERE p.match_id = m.match_id AND p.xuid = coalesce((SELECT value FROM sync_meta
             WHERE key = 'player_xuid'), ''))),
          (SELECT count(*) FROM match_stats m
             WHERE NOT EXISTS (SELECT 1 FROM raw_match_json r WHERE r.match_id = m.match_id)
             AND NOT EXISTS (SELECT 1 FROM imported_match_stats i WHERE i.match_id = m.match_id)),
          (SELECT count(*) FROM raw_match_json r SEMI JOIN transformed_matches t USING (match_id)
             WHERE NOT EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = r.match_id))
        """
    ).fetchall()[0]
    keys = ("without_player_row", "without_raw", "raw_without_row")
    return sum(row), dict(zip(keys, row, strict=True))


def implausible_values(conn: Any) -> tuple[int, dict]:
    """Values no match can have (older rows need `levelup sync --rebuild-cache`)."""
    outside = " OR ".join(f"{col} NOT BETWEEN {lo} AND {hi}" for col, (lo, hi) in BOUNDS.items())
    return _count(conn, f"SELECT count(*) FROM match_stats WHERE {outside}")


def suspect_matches(conn: Any) -> tuple[int, dict]:
    """Matches whose implausible values the transform set to NULL."""
    n, _ = _count(conn, "SELECT count(*) FROM suspect_matches")
    rows = conn.execute(
        "SELECT match_id, reasons FROM suspect_matches ORDER BY match_id LIMIT 5"
    ).fetchall()
    return n, {"examples": "\n".join(f"{m}: {r}" for m, r in rows)}


def aggregate_mismatches(conn: Any) -> tuple[int, dict]:
    recount = conn.execute(
        "SELECT count(*), coalesce(sum(kills), 0), coalesce(sum(deaths), 0) FROM match_stats"
    ).fetchall()[0]
    global_row = conn.execute(
        "SELECT coalesce(sum(matches), 0), coalesce(sum(kills), 0), coalesce(sum(deaths), 0) "
        "FROM mv_global_stats"
    ).fetchall()[0]
    per_table = ("mv_map_stats", "mv_mode_category_stats", "mv_session_stats")
    detail = {
        "matches_recounted": int(recount[0]),
        "matches_in_mv_global_stats": int(global_row[0]),
    }
    for table in per_table:
        query = f"SELECT coalesce(sum(matches), 0) FROM {table}"
        detail[f"matches_in_{table}"] = _count(conn, query)[0]
    mismatches = int(tuple(global_row) != tuple(recount)) + sum(
        detail[f"matches_in_{t}"] != recount[0] for t in per_table
    )
    return mismatches, detail
