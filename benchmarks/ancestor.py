"""The ancestor's load, kept as the baseline of figures 2 and 3: the same Python
transformers, rows inserted one statement per row (`executemany`), no bulk path.

One definition for both baselines: the sequential sync writes each match this way as it
arrives (figure 2), the ingestion baseline a whole chunk at a time (figure 3).
"""

from __future__ import annotations

from typing import Any

import duckdb

from levelup_pipeline.transform.stages import STATS_TABLES, add_stats_rows

TABLES = (*STATS_TABLES, "highlight_events")


def empty_rows() -> dict[str, list[dict[str, Any]]]:
    """Rows per derived table, plus the film aliases under 'xuid_aliases'."""
    return {table: [] for table in (*TABLES, "xuid_aliases")}


def add_match_rows(
    out: dict[str, list[dict[str, Any]]],
    match_id: str,
    stats: Any,
    skill: Any,
    events: Any,
    xuid: str,
) -> bool:
    """Append one match's derived rows to `out` (the store's stats rows, then the film's
    events and aliases in Python); False when the body lacks the player."""
    if not add_stats_rows(out, match_id, stats, skill, xuid, {}, {}):
        return False
    start_time = out["match_stats"][-1]["start_time"]
    pairs = {}
    for index, event in enumerate(events or ()):  # the ancestor's events: the client's dicts
        xuid = str(event["xuid"])
        out["highlight_events"].append(
            {**event, "match_id": match_id, "event_index": index, "xuid": xuid}
        )
        pairs[(xuid, event["gamertag"])] = None
    out["xuid_aliases"] += [
        {"xuid": x, "gamertag": g, "first_seen": start_time, "last_seen": start_time}
        for x, g in pairs
    ]
    return True


def insert_row_by_row(con: duckdb.DuckDBPyConnection, out: dict[str, list[dict[str, Any]]]) -> None:
    """Insert every row with one statement per row (the caller owns the transaction)."""
    for table in TABLES:
        if out[table]:
            cols = list(out[table][0])  # the events: the 8 fields of spnkr's HighlightEvent
            marks = ", ".join("?" for _ in cols)
            con.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                [[r.get(c) for c in cols] for r in out[table]],
            )
    if out["xuid_aliases"]:
        con.executemany(
            "INSERT OR IGNORE INTO xuid_aliases (xuid, gamertag, first_seen, last_seen, source)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                [a["xuid"], a["gamertag"], a["first_seen"], a["last_seen"], "film"]
                for a in out["xuid_aliases"]
            ],
        )
