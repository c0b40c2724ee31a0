"""What the report shows, read from a player's database through a read-only connection.

Everything comes from the aggregate tables except the performance series (one point per match,
from match_stats) and the sync time (sync_meta), so the report always agrees with the mv_*
tables the player can query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GLOBAL_COLUMNS = (
    "matches",
    "wins",
    "losses",
    "ties",
    "left_early",
    "win_rate",
    "kills",
    "deaths",
    "assists",
    "kd",
    "avg_kda",
    "accuracy",
    "avg_performance_score",
    "hours_played",
    "first_match",
    "last_match",
    "sessions",
    "last_sync",
)


@dataclass(frozen=True)
class MapRow:
    """One map of mv_map_stats."""

    name: str
    matches: int
    kd: float | None
    win_rate: float | None


@dataclass(frozen=True)
class ModeRow:
    """One mode category of mv_mode_category_stats."""

    category: str
    matches: int
    wins: int
    win_rate: float | None


@dataclass(frozen=True)
class SessionRow:
    """One play session of mv_session_stats."""

    session_id: int
    start_time: datetime | None
    matches: int
    wins: int
    kd: float | None
    avg_performance_score: float | None


@dataclass
class ReportData:
    """Everything the summary and the plots need, already aggregated."""

    totals: dict[str, Any]
    performance: list[tuple[datetime, float]] = field(default_factory=list)
    maps: list[MapRow] = field(default_factory=list)
    modes: list[ModeRow] = field(default_factory=list)
    sessions: list[SessionRow] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return int(self.totals.get("matches") or 0)


def _global_totals(conn: Any) -> dict[str, Any]:
    row = conn.execute(f"SELECT {', '.join(GLOBAL_COLUMNS)} FROM mv_global_stats").fetchone()
    totals = dict(zip(GLOBAL_COLUMNS, row, strict=True)) if row else {}
    # sync_meta is the authority for the last sync: the engine writes `last_sync_time`.
    meta = conn.execute("SELECT value FROM sync_meta WHERE key = 'last_sync_time'").fetchone()
    if meta and meta[0]:
        totals["last_sync"] = meta[0]
    return totals


def load_report_data(conn: Any) -> ReportData:
    """Read the report's inputs from an open (read-only) DuckDB connection."""
    performance = conn.execute(
        "SELECT start_time, performance_score FROM match_stats"
        " WHERE performance_score IS NOT NULL AND start_time IS NOT NULL"
        " ORDER BY start_time, match_id"
    ).fetchall()
    maps = conn.execute(
        "SELECT coalesce(map_name, map_id, '?'), matches, kd, win_rate FROM mv_map_stats"
        " ORDER BY matches DESC, 1"
    ).fetchall()
    modes = conn.execute(
        "SELECT coalesce(mode_category, 'Other'), matches, wins, win_rate"
        " FROM mv_mode_category_stats ORDER BY matches DESC, 1"
    ).fetchall()
    sessions = conn.execute(
        "SELECT session_id, start_time, matches, wins, kd, avg_performance_score"
        " FROM mv_session_stats WHERE session_id IS NOT NULL ORDER BY session_id"
    ).fetchall()
    return ReportData(
        totals=_global_totals(conn),
        performance=[(t, float(s)) for t, s in performance],
        maps=[MapRow(*r) for r in maps],
        modes=[ModeRow(*r) for r in modes],
        sessions=[SessionRow(*r) for r in sessions],
    )
