"""Whether DuckDB may parse a stored film (sql/film_shape.sql), measured once, when the film
is stored, and kept in raw_match_json.film_plain: transforms then skip the measure (~30% of
parsing a film in SQL)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from levelup_pipeline.store.sql_files import sql_file
from levelup_pipeline.store.views import registered


def film_plain_flags(
    con: duckdb.DuckDBPyConnection, match_ids: Sequence[str], texts: Sequence[str | None]
) -> list[bool | None]:
    """film_plain of each (match id, film JSON text); None where there is no film."""
    present = [(m, t) for m, t in zip(match_ids, texts, strict=True) if t is not None]
    if not present:
        return [None] * len(texts)
    films = pa.table(
        {
            "match_id": pa.array([m for m, _ in present], pa.string()),
            "highlights_json": pa.array([t for _, t in present], pa.string()),
        }
    )
    with registered(con, "_films", films):
        plain = dict(con.execute(sql_file("film_shape.sql")).fetchall())
    return [None if t is None else plain[m] for m, t in zip(match_ids, texts, strict=True)]
