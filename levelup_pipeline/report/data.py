"""What the report shows, read from a player's database through a read-only connection.

Everything comes from the aggregate tables except the performance series (one point per match,
from match_stats) and the last sync (sync_meta), so the report agrees with the mv_* tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by DuckDB's .df(), only when a report is built
    import pandas as pd

#: One DataFrame per plot, by ReportData field.
QUERIES = {
    "performance": "SELECT start_time, performance_score FROM match_stats"
    " WHERE performance_score IS NOT NULL AND start_time IS NOT NULL ORDER BY start_time, match_id",
    "maps": "SELECT coalesce(map_name, map_id, '?') AS name, matches, kd, win_rate"
    " FROM mv_map_stats ORDER BY matches DESC, 1",
    "modes": "SELECT coalesce(mode_category, 'Other') AS category, matches, wins, win_rate"
    " FROM mv_mode_category_stats ORDER BY matches DESC, 1",
    "sessions": "SELECT session_id, start_time, matches, wins, kd FROM mv_session_stats"
    " WHERE session_id IS NOT NULL ORDER BY session_id",
}


@dataclass
class ReportData:
    """The totals of mv_global_stats and the rows each plot draws."""

    totals: dict[str, Any]
    performance: pd.DataFrame  # start_time, performance_score
    maps: pd.DataFrame  # name, matches, kd, win_rate
    modes: pd.DataFrame  # category, matches, wins, win_rate
    sessions: pd.DataFrame  # session_id, start_time, matches, wins, kd

    @property
    def matches(self) -> int:
        """Matches stored."""
        return int(self.totals.get("matches") or 0)


def load_report_data(conn: Any) -> ReportData:
    """Read the report's inputs from an open (read-only) DuckDB connection."""
    cursor = conn.execute("SELECT * FROM mv_global_stats")
    row = cursor.fetchone()
    totals = dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else {}
    # sync_meta is the authority for the last sync: the engine writes `last_sync_time`.
    meta = conn.execute("SELECT value FROM sync_meta WHERE key = 'last_sync_time'").fetchone()
    if meta and meta[0]:
        totals["last_sync"] = meta[0]
    return ReportData(totals, **{name: conn.execute(sql).df() for name, sql in QUERIES.items()})
