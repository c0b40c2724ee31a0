"""Highlight events transformed by DuckDB (the bulk path) equal the Python transformer's rows,
and bodies of any other shape still take the Python path."""

from __future__ import annotations

from datetime import UTC, datetime

from levelup_pipeline.store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform.aliases import aliases_from_highlights
from levelup_pipeline.transform.highlights import HIGHLIGHT_EVENTS_COLUMNS, highlight_event_rows
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, synthetic_match

START = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
GAMERTAGS = [
    "Plain Tag",
    "  padded  ",
    "cut\x00after nul",
    "\x00",
    "",
    "bell\x07inside",
    "\u3000ideographic\u3000",
    "nbsp\xa0",
    "\x85next line\x85",
    "tab\tinside",
    "Ünïcödé ✓",
]


def _event(i: int, gamertag: str | None) -> dict | None:
    if i % 7 == 6:
        return None  # a null element keeps its slot
    event = {
        "xuid": [2533274800000000 + i, 0, 2533274899999999][i % 3],
        "type_hint": [50, 20, 10, 100][i % 4],
        "is_medal": i % 4 == 3,
        "event_type": ["kill", "death", "mode", "medal", "teleport"][i % 5],
        "time_ms": 1000 * i,
        "medal_value": i % 256,
        "medal_name": ["Killjoy", "", None][i % 3],
    }
    if gamertag is not None:
        event["gamertag"] = gamertag
    if i % 5 == 4:
        del event["time_ms"]  # a missing key reads as NULL
    return event


def _raw(match_id: str, minute: int, highlights) -> RawMatch:
    body = synthetic_match(match_id, START.replace(minute=minute))
    return RawMatch(match_id, body, None, highlights, "missing", "ok")


def test_sql_and_python_paths_write_the_same_rows(tmp_path) -> None:
    plain = [_event(i, GAMERTAGS[i % len(GAMERTAGS)]) for i in range(40)]
    plain.append(_event(41, None))
    odd = [dict(_event(i, "Odd One") or {}, xuid=f"xuid({2533274800000000 + i})") for i in range(5)]
    matches = {
        "m-sql": plain,  # plain JSON types: parsed by DuckDB
        "m-python": odd,  # string xuids: the Python transformer
        "m-object": {"not": "a list"},
        "m-empty": [],
    }
    store = PlayerStore("Film Path", data_dir=tmp_path)
    with store.writer() as writer:
        writer.write_raw_matches(
            [_raw(mid, i, events) for i, (mid, events) in enumerate(matches.items())]
        )
        counts = writer.transform_pending(PLAYER_XUID)
        con = writer.connection
        cols = ", ".join(HIGHLIGHT_EVENTS_COLUMNS)
        for match_id, events in matches.items():
            stored = con.execute(
                f"SELECT {cols} FROM highlight_events WHERE match_id = ? ORDER BY event_index",
                [match_id],
            ).fetchall()
            expected = [
                tuple(row[c] for c in HIGHLIGHT_EVENTS_COLUMNS)
                for row in highlight_event_rows(match_id, events)
            ]
            assert stored == expected, match_id
        start_of = dict(con.execute("SELECT match_id, start_time FROM match_stats").fetchall())
        expected_aliases = set()
        for match_id, events in matches.items():
            for alias in aliases_from_highlights(events, start_of[match_id]):
                expected_aliases.add((alias["xuid"], alias["gamertag"]))
        film_aliases = set(
            con.execute("SELECT xuid, gamertag FROM xuid_aliases WHERE source = 'film'").fetchall()
        )
    assert film_aliases == expected_aliases
    assert counts["highlight_events"] == sum(
        len(highlight_event_rows(m, e)) for m, e in matches.items()
    )
    assert len(film_aliases) >= 8  # cleaned gamertags, xuid 0 left out


def test_alias_dates_span_first_and_last_match(tmp_path) -> None:
    events = [{"xuid": 2533274800000001, "gamertag": "Seen Twice", "event_type": "kill"}]
    store = PlayerStore("Film Path", data_dir=tmp_path)
    with store.writer() as writer:
        writer.write_raw_matches([_raw("a", 5, events), _raw("b", 50, events)])
        writer.transform_pending(PLAYER_XUID)
        row = writer.connection.execute(
            "SELECT first_seen, last_seen FROM xuid_aliases WHERE gamertag = 'Seen Twice'"
        ).fetchall()
    assert row == [(START.replace(minute=5), START.replace(minute=50))]
