"""How raw API bodies are stored: the JSON text, zstd-compressed, one frame per value.

Why not DuckDB's JSON type: match bodies are ~60 KB of text each, and every checkpoint that
merges raw_match_json's row groups decompressed and recompressed all of it inside DuckDB
(peaks of +500 MB RSS during a 10,000-match sync, growing with the history). Stored as
~6 KB frames compressed once in Python, the same data costs DuckDB a tenth of the bytes to
move, and the file stays the size it was (zstd per value ~ DuckDB's own zstd). The price is
that SQL sees BLOBs: read them with `decode_json` / `decode_text`, or in SQL with the
`raw_json()` function (`register_sql_function`).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa
import zstandard

from levelup_pipeline.store.film_shape import film_plain_flags
from levelup_pipeline.store.views import registered

# Level 3 (zstd's default): ~11x on match JSON at ~0.1 ms per match; higher levels gain <1%.
COMPRESSION_LEVEL = 3
_local = threading.local()  # zstandard (de)compressors are not thread-safe: one per thread


def _compressor() -> zstandard.ZstdCompressor:
    ctx = getattr(_local, "compressor", None)
    if ctx is None:
        ctx = _local.compressor = zstandard.ZstdCompressor(level=COMPRESSION_LEVEL)
    return ctx


def _decompressor() -> zstandard.ZstdDecompressor:
    ctx = getattr(_local, "decompressor", None)
    if ctx is None:
        ctx = _local.decompressor = zstandard.ZstdDecompressor()
    return ctx


def dump_json(value: Any) -> str | None:
    """The JSON text stored for an API body (compact; spnkr named tuples as objects)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = [v._asdict() if hasattr(v, "_asdict") else v for v in value]
    return json.dumps(value, separators=(",", ":"), default=str)


def encode_text(text: str | bytes | None) -> bytes | None:
    """JSON text -> one zstd frame (None stays None)."""
    if text is None:
        return None
    return _compressor().compress(text.encode() if isinstance(text, str) else text)


def encode_json(value: Any) -> bytes | None:
    """An API body -> the stored frame (None stays None)."""
    return encode_text(dump_json(value))


def decode_bytes(frame: bytes | None) -> bytes | None:
    """A stored frame -> the UTF-8 JSON text, as bytes (what JSON decoders read)."""
    if frame is None:
        return None
    return _decompressor().decompress(frame)


def decode_text(frame: bytes | None) -> str | None:
    """A stored frame -> the JSON text."""
    data = decode_bytes(frame)
    return None if data is None else data.decode()


def decode_json(frame: bytes | None) -> Any:
    """A stored frame -> the parsed body (None stays None)."""
    data = decode_bytes(frame)
    return None if data is None else json.loads(data)


def encode_texts(texts: Iterable[str | None]) -> pa.Array:
    """JSON texts -> an Arrow binary column of frames, for a bulk insert."""
    return pa.array([encode_text(t) for t in texts], pa.binary())


def encode_column(values: Iterable[Any]) -> pa.Array:
    """API bodies -> an Arrow binary column of frames, for a bulk insert."""
    return encode_texts(dump_json(v) for v in values)


def film_columns(
    con: duckdb.DuckDBPyConnection, match_ids: list[str], texts: list[str | None]
) -> dict[str, pa.Array]:
    """The stored film columns of raw_match_json for these films' JSON texts: the frames and
    the shape measured once (store/film_shape.py)."""
    return {
        "highlights_json_zst": encode_texts(texts),
        "film_plain": pa.array(film_plain_flags(con, match_ids, texts), pa.bool_()),
    }


def decode_column(frames: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column of frames -> an Arrow string column of the JSON texts (nulls kept)."""
    values = frames.to_pylist()
    if values and None not in values:
        texts = _decode_back_to_back(values)
        if texts is not None:
            return texts
    return pa.array([decode_bytes(f) for f in values], pa.string())


def _decode_back_to_back(frames: list[bytes]) -> pa.Array | None:
    """The frames decompressed by one streaming read across all of them, straight into one
    Arrow buffer sized from their headers; None when a header does not give the size.

    Why: decompressing each frame to bytes and then copying ~25 KB a film into an Arrow array
    took 0.6 s per 10,000 films here, against 0.3 s this way, on the thread that bounds the
    transform's speed (transform/stages.py, read_films).
    """
    sizes = [zstandard.frame_content_size(f) for f in frames]
    total = sum(sizes)
    if min(sizes) < 0 or not 0 < total < 2**31:  # unknown sizes, nothing, or too big
        return None
    data = pa.allocate_buffer(total)
    target = memoryview(data).cast("B")
    done = 0
    with _decompressor().stream_reader(b"".join(frames), read_across_frames=True) as reader:
        while done < total:
            read = reader.readinto(target[done:])
            if not read:
                return None
            done += read
    offsets = pa.array(itertools.accumulate(sizes, initial=0), pa.int32())
    texts = pa.StringArray.from_buffers(len(frames), offsets.buffers()[1], data)
    texts.validate(full=True)  # UTF-8, as building the array from Python bytes checks it
    return texts


SQL_FUNCTION = "raw_json"


def _decode_column_or_null(frames: pa.Array | pa.ChunkedArray) -> pa.Array:
    """decode_column for SQL: a damaged frame reads as NULL instead of failing the whole
    query (one damaged body must not stop a backfill's plan or an archive run; the
    transform and `levelup db check` isolate it, store/raw_damage.py)."""
    try:
        return decode_column(frames)
    except (zstandard.ZstdError, pa.ArrowInvalid):
        out = []
        for frame in frames.to_pylist():
            try:
                out.append(None if frame is None else decode_bytes(frame).decode())
            except (zstandard.ZstdError, UnicodeDecodeError):
                out.append(None)
        return pa.array(out, pa.string())


def register_sql_function(con: duckdb.DuckDBPyConnection) -> None:
    """Make `raw_json(frame)` (stored BLOB -> the JSON text) callable in this connection's SQL,
    e.g. `SELECT raw_json(stats_json_zst) ->> '$.MatchInfo.StartTime' FROM raw_match_json`."""
    known = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [SQL_FUNCTION]
    ).fetchall()[0][0]
    if not known:
        con.create_function(
            SQL_FUNCTION,
            _decode_column_or_null,
            [duckdb.sqltype("BLOB")],
            duckdb.sqltype("VARCHAR"),
            type="arrow",
            side_effects=False,
        )


# Rows per batch of the 004 copy: ~60 MB of JSON text at a time, whatever the history length.
_COPY_BATCH = 1024


def compress_raw_match_json(con: duckdb.DuckDBPyConnection) -> None:
    """004: copy raw_match_json into raw_match_json_v4 with its JSON compressed, in storage
    order and in batches (flat memory), then put the new table in its place."""
    source = con.cursor()  # its own connection: streams the committed rows while `con` writes
    try:
        reader = source.sql(
            "SELECT match_id, stats_json::VARCHAR, skill_json::VARCHAR, highlights_json::VARCHAR,"
            " skill_status, film_status, fetched_at, transformed_at"
            " FROM raw_match_json ORDER BY rowid"
        ).to_arrow_reader(_COPY_BATCH)
        for batch in reader:
            _insert_compressed(con, pa.Table.from_batches([batch]))
    finally:
        source.close()
    con.execute("DROP TABLE raw_match_json")
    con.execute("ALTER TABLE raw_match_json_v4 RENAME TO raw_match_json")


def _insert_compressed(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """One batch of version-3 raw rows (text columns 1-3) -> raw_match_json_v4."""
    out = table.select([0, 4, 5, 6, 7])
    for index, name in ((1, "stats_json_zst"), (2, "skill_json_zst")):
        out = out.append_column(name, encode_texts(table.column(index).to_pylist()))
    films = film_columns(con, table.column(0).to_pylist(), table.column(3).to_pylist())
    for name, column in films.items():
        out = out.append_column(name, column)
    with registered(con, "_raw_v3", out):
        con.execute("INSERT INTO raw_match_json_v4 BY NAME SELECT * FROM _raw_v3")
