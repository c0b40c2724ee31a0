"""transform_pending (film events parsed by DuckDB, stats rows by the typed transform, in a
pipeline of chunks) against independent expectations: the real captures read by this suite's
own reader, films of every shape with their rows written out by hand, implausible values."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from levelup_pipeline.defs.table_schemas import COLUMNS
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch
from levelup_pipeline.transform import stages
from levelup_pipeline.transform.film_events import read_highlight_events
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, synthetic_match
from levelup_pipeline_tests.transform.test_match_stats import _expected_row

START = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
EVENT_COLUMNS = [name for name, _type, _text in COLUMNS["highlight_events"]]
# gamertag as the film holds it -> as stored (cut at NUL, control characters dropped, stripped)
GAMERTAGS = {
    "Plain Tag": "Plain Tag", " lead": "lead", "trail ": "trail", " padded ": "padded",
    " ": None, "\xa0": None, "a": "a", "": None, "\x00": None, "cut\x00nul": "cut",
    "bell\x07in": "bellin", "\u3000wide\u3000": "wide", "nbsp\xa0": "nbsp",
    "\x85next\x85": "next", "tab\tin": "tabin", "Ünïcödé ✓": "Ünïcödé ✓",
}  # fmt: skip
TAGS = list(GAMERTAGS)
TYPES = ["kill", "death", "medal", "mode", "teleport"]  # teleport: unknown, stored NULL
NAMES = ["Killjoy", "", None]  # an empty medal name is stored NULL


def _event(i: int) -> dict[str, Any]:
    return {
        "xuid": 2533274800000000 + i % 7,
        "gamertag": TAGS[i % len(TAGS)],
        "type_hint": 50,
        "is_medal": i % 3 == 0,
        "event_type": TYPES[i % 5],
        "time_ms": 1000 * i,
        "medal_value": i % 256,
        "medal_name": NAMES[i % 3],
    }


def _row(i: int, **changed: Any) -> tuple[Any, ...]:
    """The stored row of _event(i) at position i, written out by hand, with `changed`."""
    row = {
        "event_index": i,
        "event_type": TYPES[i % 5] if i % 5 < 4 else None,
        "time_ms": 1000 * i,
        "xuid": str(2533274800000000 + i % 7),
        "gamertag": GAMERTAGS[TAGS[i % len(TAGS)]],
        "type_hint": 50,
        "is_medal": i % 3 == 0,
        "medal_value": i % 256,
        "medal_name": "Killjoy" if i % 3 == 0 else None,
        **changed,
    }
    return tuple(row[c] for c in EVENT_COLUMNS[1:])


def _with(field: str, value: Any) -> list[Any]:
    events = [_event(i) for i in range(8)]
    events[5] = {**events[5], field: value}
    return events


def _rows_with(**changed: Any) -> list[tuple[Any, ...]]:
    return [_row(i, **(changed if i == 5 else {})) for i in range(8)]


NULL_ROW = dict.fromkeys(EVENT_COLUMNS[2:])
# film -> (the events stored, the rows expected in event_index order)
FILMS: dict[str, tuple[Any, list[tuple[Any, ...]]]] = {
    "plain": ([_event(i) for i in range(2 * len(TAGS))], [_row(i) for i in range(2 * len(TAGS))]),
    "nulls-keep-their-slot": ([None, _event(1), None, _event(3)], [_row(1), _row(3)]),
    "empty": ([], []),
    "missing-keys": (
        [{"xuid": 2533274800000001}, {"event_type": "kill"}, {}],
        [
            _row(0, **{**NULL_ROW, "xuid": "2533274800000001"}),
            _row(1, **{**NULL_ROW, "event_type": "kill"}),
            _row(2, **NULL_ROW),
        ],
    ),
    "extra-keys": ([{**_event(0), "extra": {"nested": [1, 2]}}], [_row(0)]),
    "string-xuid": (_with("xuid", "xuid(2533274800000009)"), _rows_with(xuid="2533274800000009")),
    "digit-string-xuid": (_with("xuid", "002533274800000009"), _rows_with(xuid="2533274800000009")),
    "negative-xuid": (_with("xuid", -5), _rows_with(xuid=None)),
    "zero-xuid": (_with("xuid", 0), _rows_with(xuid=None)),
    "float-xuid": (_with("xuid", 2.5e15), _rows_with(xuid=None)),
    "float-time": (_with("time_ms", 1500.7), _rows_with(time_ms=1500)),
    "negative-float-time": (_with("time_ms", -2.5), _rows_with(time_ms=-2)),
    "string-time": (_with("time_ms", "1200"), _rows_with(time_ms=1200)),
    "garbage-time": (_with("time_ms", "soon"), _rows_with(time_ms=None)),
    "bool-time": (_with("time_ms", True), _rows_with(time_ms=None)),
    "huge-time": (_with("time_ms", 2**63), _rows_with(time_ms=None)),
    "huger-time": (_with("time_ms", 2**64 + 1), _rows_with(time_ms=None)),
    "int-as-medal-flag": (_with("is_medal", 1), _rows_with(is_medal=None)),
    "bool-type-hint": (_with("type_hint", True), _rows_with(type_hint=None)),
    "huge-medal-value": (_with("medal_value", 2**40), _rows_with(medal_value=None)),
    "huge-type-hint": (_with("type_hint", -(2**33)), _rows_with(type_hint=None)),
    "number-gamertag": (_with("gamertag", 12345), _rows_with(gamertag=None)),
    "object-gamertag": (_with("gamertag", {"a": 1}), _rows_with(gamertag=None)),
    "list-medal-name": (_with("medal_name", ["x"]), _rows_with(medal_name=None)),
    "object-event-type": (_with("event_type", {"kill": 1}), _rows_with(event_type=None)),
    "string-medal-name": (_with("medal_name", "Perfect"), _rows_with(medal_name="Perfect")),
    "non-object-elements": ([_event(0), 7, "kill", [1], _event(4)], [_row(0), _row(4)]),
    "object-film": ({"not": "a list"}, []),
    "string-film": ("film", []),
    "number-film": (5, []),
    "nested-lists": ([[_event(0)]], []),
}


def _transform(raws: list[RawMatch], tmp_path: Path, xuid: str = PLAYER_XUID) -> dict:
    """Store and transform `raws` (then rebuild once more: the same counts); the rows of
    every derived table, keyed by table."""
    with PlayerStore("Stages", data_dir=tmp_path).writer() as writer:
        writer.write_raw_matches(raws)
        counts = writer.transform_pending(xuid)
        assert writer.transform_pending(xuid, rebuild=True) == counts
        con = writer.connection
        tables = (*stages.STATS_TABLES, "highlight_events", "xuid_aliases")
        return {t: con.sql(f"SELECT * FROM {t}").to_arrow_table().to_pylist() for t in tables}


def _film_raws() -> list[RawMatch]:
    return [
        RawMatch(name, synthetic_match(name, START + timedelta(minutes=i)), None, events)
        for i, (name, (events, _)) in enumerate(FILMS.items())
    ]


def _events_by_film(stored: dict) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in FILMS}
    for row in sorted(stored["highlight_events"], key=lambda r: (r["match_id"], r["event_index"])):
        out[row["match_id"]].append(tuple(row[c] for c in EVENT_COLUMNS[1:]))
    return out


def test_films_of_every_shape_give_the_rows_written_out_by_hand(tmp_path: Path) -> None:
    stored = _transform(_film_raws(), tmp_path)
    got = _events_by_film(stored)
    for name, (_, expected) in FILMS.items():
        assert got[name] == expected, name
    film_aliases = {(a["xuid"], a["gamertag"]) for a in stored["xuid_aliases"]}
    assert film_aliases == {
        (str(2533274800000000 + i % 7), GAMERTAGS[TAGS[i % len(TAGS)]])
        for i in range(2 * len(TAGS))
        if GAMERTAGS[TAGS[i % len(TAGS)]] is not None
    }  # the films' other xuids come with event 5's gamertag, which cleans to nothing


@pytest.mark.parametrize(
    "chunk, film_bytes, stats_batch", [(2, 1, 1), (3, 300, 2), (1024, 4 * 2**20, 256)]
)
def test_chunk_sizes_do_not_change_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, film_bytes: int, stats_batch: int
) -> None:
    monkeypatch.setattr(stages, "TRANSFORM_CHUNK", chunk)
    monkeypatch.setattr(stages, "FILM_BATCH_BYTES", film_bytes)  # 1: one film per query
    monkeypatch.setattr(stages, "STATS_BATCH", stats_batch)
    got = _events_by_film(_transform(_film_raws()[:12], tmp_path))
    for name, (_, expected) in list(FILMS.items())[:12]:
        assert got[name] == expected, name


def test_real_captures_and_their_films(halo_fixtures: Path, load_capture, tmp_path: Path) -> None:
    """Every capture's match_stats row as the independent reader reads it, and the captured
    film chunks' events in film order."""
    films = [
        read_highlight_events(path.read_bytes(), int(path.name.split("_")[0]))
        for path in sorted((halo_fixtures / "film").glob("[0-9]*_*.gzip"))
    ]
    films.append(
        read_highlight_events((halo_fixtures / "film" / "highlight_events.gzip").read_bytes(), 41)
    )
    bodies = [load_capture(p.name) for p in sorted(halo_fixtures.glob("get_match_stats*.json"))]
    bodies.append(json.loads((halo_fixtures / "film" / "match_stats.json").read_text("utf-8")))
    raws = [
        RawMatch(body["MatchId"], body, load_capture("get_match_skill.json"), films[i % len(films)])
        for i, body in enumerate(bodies)
    ]
    stored = _transform(raws, tmp_path)
    rows = {r["match_id"]: r for r in stored["match_stats"]}
    assert len(rows) == len(bodies)
    for body in bodies:
        for column, value in _expected_row(body, PLAYER_XUID).items():
            got = rows[body["MatchId"]][column]
            assert got == (pytest.approx(value) if isinstance(value, float) else value), column
    events: dict[str, list[dict]] = {}
    for row in sorted(stored["highlight_events"], key=lambda r: r["event_index"]):
        events.setdefault(row["match_id"], []).append(row)
    for i, body in enumerate(bodies):
        film = films[i % len(films)]
        got = events.get(body["MatchId"], [])
        assert [r["event_index"] for r in got] == list(range(len(film)))
        assert [(r["xuid"], r["time_ms"], r["event_type"]) for r in got] == [
            (str(e["xuid"]), e["time_ms"], e["event_type"]) for e in film
        ]
    assert sum(len(f) for f in films) > 100


def test_matches_without_the_player_get_no_rows_and_no_events(tmp_path: Path) -> None:
    body = synthetic_match("stranger", START)
    body["Players"] = [{**p, "PlayerId": "xuid(1)"} for p in body["Players"]]
    raws = [
        RawMatch("stranger", body, None, [_event(i) for i in range(5)]),
        RawMatch("mine", synthetic_match("mine", START), None, [_event(i) for i in range(5)]),
    ]
    stored = _transform(raws, tmp_path)
    assert {r["match_id"] for r in stored["highlight_events"]} == {"mine"}
    assert [r["match_id"] for r in stored["match_stats"]] == ["mine"]


def test_implausible_values_are_screened_in_the_store(tmp_path: Path) -> None:
    """A count too big for an INTEGER column is explained, not silently nulled; a fraction
    in a body read leniently is flagged; plausible matches are left alone."""
    huge = synthetic_match("huge", START, kills=3_000_000_000, accuracy=None)  # a NULL first
    fraction = synthetic_match("fraction", START + timedelta(hours=1))
    fraction["Players"][0]["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Deaths"] = 4.5
    fine = synthetic_match("fine", START + timedelta(hours=2))
    raws = [
        RawMatch(m, body) for m, body in (("huge", huge), ("fraction", fraction), ("fine", fine))
    ]
    stored = _transform(raws, tmp_path)
    rows = {r["match_id"]: r for r in stored["match_stats"]}
    reasons = {r["match_id"]: r["reasons"] for r in stored["suspect_matches"]}
    assert set(reasons) == {"huge", "fraction"}
    assert "kills 3000000000 is outside 0..1e+06" in reasons["huge"]
    assert "deaths 4.5 is not a whole number" in reasons["fraction"]
    assert (rows["huge"]["kills"], rows["huge"]["kd_ratio"], rows["huge"]["deaths"]) == (
        None,
        None,
        10,
    )
    assert rows["fraction"]["deaths"] is None and rows["fraction"]["kills"] == 10
    assert rows["fine"]["kills"] == 10 and rows["fine"]["kd_ratio"] == 1.0
    mine = {r["match_id"]: r for r in stored["match_players"] if r["xuid"] == PLAYER_XUID}
    assert mine["huge"]["kills"] is None and mine["fraction"]["deaths"] is None


def test_a_transform_out_of_duckdb_memory_finishes_without_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Films too big for the transform's memory budget: the chunks already committed stay,
    the rest is transformed again with DuckDB's default limit, and the rows are complete."""
    from levelup_pipeline.store import model_writes

    monkeypatch.setattr(model_writes, "TRANSFORM_MEMORY_LIMIT", "8MB")
    monkeypatch.setattr(stages, "TRANSFORM_CHUNK", 4)
    passes = []
    run_chunks = stages.transform_chunks

    def counted(con, *args):
        passes.append(con.execute("SELECT current_setting('memory_limit')").fetchall())
        return run_chunks(con, *args)

    monkeypatch.setattr(stages, "transform_chunks", counted)
    raws = [
        RawMatch(f"m{i}", synthetic_match(f"m{i}", START + timedelta(hours=i)), None, film)
        for i, film in enumerate([[_event(j) for j in range(3000)]] * 12)
    ]
    stored = _transform(raws, tmp_path)
    assert len(stored["match_stats"]) == 12 and len(stored["highlight_events"]) == 12 * 3000
    default = passes[-1]
    assert [p != default for p in passes[:2]] == [True, False], passes


def test_rows_to_arrow_nulls_only_the_numbers_too_big_for_their_column() -> None:
    schema = pa.schema(
        [
            ("name", pa.string()),
            ("small", pa.int32()),
            ("big", pa.int64()),
            ("at", pa.timestamp("us", tz="UTC")),
        ]
    )
    at = datetime(2025, 1, 29, 4, 7, 25, 964000, tzinfo=UTC)
    rows = [
        {"name": "a", "small": 2**31, "big": 2**63 - 1, "at": at},
        {"name": "b", "small": -7, "big": 2**63},  # "at" missing: NULL
        {"name": None, "small": None, "big": -(2**63)},
    ]
    table = stages.rows_to_arrow(rows, schema)
    assert table.schema == schema
    assert table.to_pylist() == [
        {"name": "a", "small": None, "big": 2**63 - 1, "at": at},
        {"name": "b", "small": -7, "big": None, "at": None},
        {"name": None, "small": None, "big": -(2**63), "at": None},
    ]
    assert stages.rows_to_arrow([], schema).num_rows == 0


def test_alias_dates_span_first_and_last_match(tmp_path: Path) -> None:
    events = [{"xuid": 2533274800000001, "gamertag": "Seen Twice", "event_type": "kill"}]
    raws = [
        RawMatch(m, synthetic_match(m, START.replace(minute=minute)), None, copy.deepcopy(events))
        for m, minute in (("a", 5), ("b", 50))
    ]
    stored = _transform(raws, tmp_path)
    alias = next(a for a in stored["xuid_aliases"] if a["gamertag"] == "Seen Twice")
    assert (alias["first_seen"], alias["last_seen"]) == (
        START.replace(minute=5),
        START.replace(minute=50),
    )
