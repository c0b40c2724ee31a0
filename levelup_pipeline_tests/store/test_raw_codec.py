"""Raw API bodies stored as zstd frames (store/raw_codec.py) and migration 004 that converts
the JSON columns of older files."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from levelup_pipeline.store import raw_codec
from levelup_pipeline.store.migrate import apply_migrations, current_version
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_writes import RawMatch, RawParts
from levelup_pipeline_tests.store.conftest import PLAYER_XUID, T0, decode_json, synthetic_match
from levelup_pipeline_tests.store.test_highlight_events_heap import _migrate_to

BODIES = [
    {"MatchId": "m1", "Big": 2**70, "Text": "é \u2028 \x00 😀", "Nested": [{"a": None}]},
    [],
    "just a string",
    None,
]


@pytest.mark.parametrize("body", BODIES)
def test_frames_round_trip_the_json(body) -> None:
    frame = raw_codec.encode_text(raw_codec.dump_json(body))
    assert (frame is None) == (body is None)
    assert decode_json(frame) == body
    if body is not None:
        assert raw_codec.decode_bytes(frame).decode() == raw_codec.dump_json(body)
        assert len(frame) < len(raw_codec.dump_json(body).encode()) * 2 + 16


def _frames(texts: list[str | None]) -> pa.Array:
    return raw_codec.encode_texts(texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["[1]", "", '{"é": "😀 \\u0000"}', "[]" * 40_000, "x"],  # one read across all frames
        ["[1]", None, "[2]"],  # nulls: one frame at a time
        [""],  # nothing to read
    ],
)
def test_decode_column_gives_every_text_in_order(texts: list[str | None]) -> None:
    got = raw_codec.decode_column(_frames(texts))
    assert got.type == pa.string() and got.to_pylist() == texts


def test_decode_column_refuses_text_that_is_not_utf8() -> None:
    frames = pa.array([raw_codec.encode_text("[1]"), raw_codec.encode_text(b"\xff")], pa.binary())
    with pytest.raises(pa.ArrowInvalid):
        raw_codec.decode_column(frames)


def test_decode_column_reads_many_films_like_one_at_a_time() -> None:
    texts = [json.dumps([{"xuid": i, "gamertag": f"Player é{i}"}] * (i % 50)) for i in range(3000)]
    frames = _frames(texts)
    assert raw_codec.decode_column(frames.slice(1000, 1500)).to_pylist() == texts[1000:2500]
    assert raw_codec.decode_column(pa.chunked_array([frames[:10], frames[10:]])).to_pylist() == (
        texts
    )


def test_match_bodies_are_stored_compressed(store: PlayerStore) -> None:
    stats = synthetic_match("m1", T0)
    stats["Players"] = stats["Players"] * 20  # the size of a real body: repetitive JSON
    with store.writer() as w:
        w.write_raw_matches([RawMatch("m1", stats, {"Value": [1]}, [{"xuid": 1}], "ok", "ok")])
        con = w.connection
        frame, size = con.execute(
            "SELECT stats_json_zst, octet_length(stats_json_zst) FROM raw_match_json"
        ).fetchall()[0]
    assert decode_json(frame) == json.loads(json.dumps(stats))
    assert size < len(raw_codec.dump_json(stats)) / 3  # compressed, not text in a BLOB


def test_sql_function_reads_the_frames(store: PlayerStore) -> None:
    with store.writer() as w:
        w.write_raw_matches([RawMatch("m1", synthetic_match("m1", T0))])
        con = w.connection
        raw_codec.register_sql_function(con)
        raw_codec.register_sql_function(con)  # twice is harmless
        got = con.execute(
            "SELECT raw_json(stats_json_zst) ->> '$.MatchId', raw_json(skill_json_zst)"
            " FROM raw_match_json"
        ).fetchall()
    assert got == [("m1", None)]


def _v3_database(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    _migrate_to(con, 3)
    con.executemany(
        "INSERT INTO raw_match_json VALUES (?, ?::JSON, ?::JSON, ?::JSON, ?, ?, ?, ?)", rows
    )
    return con


def test_migration_004_compresses_every_row_in_storage_order(monkeypatch) -> None:
    monkeypatch.setattr("levelup_pipeline.store.raw_codec._COPY_BATCH", 2)  # several batches
    rows = [
        (
            f"m{i}",
            json.dumps(synthetic_match(f"m{i}", T0)),
            None if i % 2 else json.dumps({"Value": [i]}),
            [None, json.dumps([{"xuid": i, "time_ms": 5}]), json.dumps([{"xuid": "x"}])][i % 3],
            "ok" if i % 2 == 0 else None,
            "failed" if i % 3 else "ok",
            T0,
            None if i == 4 else T0,
        )
        for i in (5, 3, 4, 1, 2)  # storage order differs from key order
    ]
    con = _v3_database(rows)

    assert 4 in apply_migrations(con)

    assert current_version(con) >= 4
    got = con.execute(
        "SELECT match_id, stats_json_zst, skill_json_zst, highlights_json_zst, skill_status,"
        " film_status, fetched_at, t.transformed_at"  # 005 moved the mark to its own table
        " FROM raw_match_json r LEFT JOIN transformed_matches t USING (match_id) ORDER BY r.rowid"
    ).fetchall()
    assert [g[0] for g in got] == [r[0] for r in rows]
    for before, after in zip(rows, got, strict=True):
        for text, frame in zip(before[1:4], after[1:4], strict=True):
            assert decode_json(frame) == (None if text is None else json.loads(text))
        assert after[4:6] == before[4:6]
        plain = None if before[3] is None else '"x"' not in before[3]
        assert con.execute(
            "SELECT film_plain FROM raw_match_json WHERE match_id = ?", [before[0]]
        ).fetchall() == [(plain,)]
        assert (after[7] is None) == (before[7] is None)
    kinds = con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'raw_match_json'"
    ).fetchall()
    assert ("PRIMARY KEY",) in kinds
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO raw_match_json (match_id, stats_json_zst, fetched_at)"
            " VALUES ('m1', 'x'::BLOB, now())"
        )


def test_a_migrated_file_transforms_like_a_new_one(tmp_path) -> None:
    match = synthetic_match("m1", T0)
    fresh = PlayerStore("Fresh", data_dir=tmp_path)
    with fresh.writer() as w:
        w.write_raw_matches([RawMatch("m1", match)])
        w.transform_pending(PLAYER_XUID)
        expected = w.connection.execute("SELECT * FROM match_stats").fetchall()

    old = PlayerStore("Old", data_dir=tmp_path)
    old.path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(old.path))
    _migrate_to(con, 3)
    con.execute(
        "INSERT INTO raw_match_json (match_id, stats_json, fetched_at) VALUES (?, ?::JSON, ?)",
        ["m1", json.dumps(match), T0],
    )
    con.close()
    with old.writer() as w:  # opening the writer migrates the file
        w.transform_pending(PLAYER_XUID)
        got = w.connection.execute("SELECT * FROM match_stats").fetchall()
    assert got == expected and len(got) == 1


def test_film_shape_is_measured_when_a_film_is_stored(store: PlayerStore) -> None:
    stats = synthetic_match("m1", T0)
    plain_film = [{"xuid": 1, "gamertag": "A", "time_ms": 5, "is_medal": False}, None]
    odd_film = [{"xuid": "1", "time_ms": 5.5}]

    def flag(w) -> list[tuple]:
        return w.connection.execute("SELECT film_plain FROM raw_match_json").fetchall()

    with store.writer() as w:
        w.write_raw_matches([RawMatch("m1", stats)])
        assert flag(w) == [(None,)]  # no film yet
        w.write_raw_matches([RawMatch("m1", stats, highlights=plain_film)])
        assert flag(w) == [(True,)]
        w.write_raw_matches([RawMatch("m1", stats)])  # a re-fetch without film keeps it
        assert flag(w) == [(True,)]
        w.update_raw_parts([RawParts("m1", highlights=odd_film)])
        assert flag(w) == [(False,)]
        w.update_raw_parts([RawParts("m1", skill={"Value": []})])
        assert flag(w) == [(False,)]
