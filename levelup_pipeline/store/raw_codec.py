"""Raw bodies as zstd frames compressed once in Python: DuckDB's JSON type recompressed them at
every checkpoint (+500 MB RSS in a 10,000-match sync). SQL reads them with `raw_json()`."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pyarrow as pa
import zstandard

from levelup_pipeline.store.views import registered, sql_file

# Level 3 (zstd's default): ~11x on match JSON at ~0.1 ms per match; higher levels gain <1%.
COMPRESSION_LEVEL = 3
_local = threading.local()  # zstandard (de)compressors are not thread-safe: one per thread


def _compressor() -> zstandard.ZstdCompressor:
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=COMPRESSION_LEVEL)
    return _local.compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_local, "decompressor"):
        _local.decompressor = zstandard.ZstdDecompressor()
    return _local.decompressor


def dump_json(value: Any) -> str | None:
    """The JSON text stored for an API body (spnkr named tuples as objects)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = [v._asdict() if hasattr(v, "_asdict") else v for v in value]
    return json.dumps(value, separators=(",", ":"), default=str)


def encode_text(text: str | bytes | None) -> bytes | None:
    if text is None:
        return None
    return _compressor().compress(text.encode() if isinstance(text, str) else text)


def decode_bytes(frame: bytes | None) -> bytes | None:
    return None if frame is None else _decompressor().decompress(frame)


def encode_texts(texts: Iterable[str | None]) -> pa.Array:
    return pa.array([encode_text(t) for t in texts], pa.binary())


def encode_column(values: Iterable[Any]) -> pa.Array:
    return encode_texts(dump_json(v) for v in values)


def film_columns(
    con: duckdb.DuckDBPyConnection, match_ids: Sequence[str], texts: Sequence[str | None]
) -> dict[str, pa.Array]:
    """The film frames, and whether DuckDB may cast them straight (measured once, here)."""
    present = [(m, t) for m, t in zip(match_ids, texts, strict=True) if t is not None]
    plain = {}
    if present:
        films = pa.table(
            {
                "match_id": pa.array([m for m, _ in present], pa.string()),
                "highlights_json": pa.array([t for _, t in present], pa.string()),
            }
        )
        with registered(con, "_films", films):
            plain = dict(con.execute(sql_file("film_shape.sql")).fetchall())
    flags = [None if t is None else plain[m] for m, t in zip(match_ids, texts, strict=True)]
    return {"highlights_json_zst": encode_texts(texts), "film_plain": pa.array(flags, pa.bool_())}


def decode_column(frames: pa.Array | pa.ChunkedArray) -> pa.Array:
    values = frames.to_pylist()
    if values and None not in values:
        texts = _decode_back_to_back(values)
        if texts is not None:
            return texts
    return pa.array([decode_bytes(f) for f in values], pa.string())


def _decode_back_to_back(frames: list[bytes]) -> pa.Array | None:
    """One streaming read into one buffer (None: a size unknown): twice as fast."""
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
    texts.validate(full=True)  # UTF-8, as building it from Python bytes checks
    return texts


def _decode_column_or_null(frames: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A damaged frame reads as NULL instead of failing the query (raw_damage isolates it)."""
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
    """Make `raw_json(frame)` (stored BLOB -> JSON text) callable in this connection's SQL."""
    known = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'raw_json'"
    ).fetchall()[0][0]
    if not known:
        blob, text = duckdb.sqltype("BLOB"), duckdb.sqltype("VARCHAR")
        con.create_function(
            "raw_json", _decode_column_or_null, [blob], text, type="arrow", side_effects=False
        )


_COPY_BATCH = 1024


def compress_raw_match_json(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 004: raw_match_json copied compressed, in batches of ~60 MB (flat memory)."""
    with con.cursor() as source:  # its own connection: reads while `con` writes
        reader = source.sql(
            "SELECT match_id, stats_json::VARCHAR, skill_json::VARCHAR, highlights_json::VARCHAR,"
            " skill_status, film_status, fetched_at, transformed_at"
            " FROM raw_match_json ORDER BY rowid"
        ).to_arrow_reader(_COPY_BATCH)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            out = table.select([0, 4, 5, 6, 7])
            for index, name in ((1, "stats_json_zst"), (2, "skill_json_zst")):
                out = out.append_column(name, encode_texts(table.column(index).to_pylist()))
            ids, films = table.column(0).to_pylist(), table.column(3).to_pylist()
            for name, column in film_columns(con, ids, films).items():
                out = out.append_column(name, column)
            with registered(con, "_raw_v3", out):
                con.execute("INSERT INTO raw_match_json_v4 BY NAME SELECT * FROM _raw_v3")
    con.execute("DROP TABLE raw_match_json")
    con.execute("ALTER TABLE raw_match_json_v4 RENAME TO raw_match_json")
