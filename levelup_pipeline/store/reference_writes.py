"""Reference data stored as the API gave it; the model step alone derives names and aliases."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from levelup_pipeline.store.raw_codec import dump_json as _dump
from levelup_pipeline.store.views import merge_aliases, registered
from levelup_pipeline.store.writer_core import WriterCore, now
from levelup_pipeline.transform import metadata as t_meta
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.stages import rows_to_arrow

# Profiles whose sighting xuid_aliases does not cover yet.
_UNMERGED_PROFILES = """
    SELECT p.body_json, p.fetched_at FROM raw_profile_json p
    WHERE NOT EXISTS (
        SELECT 1 FROM xuid_aliases a
        WHERE a.xuid = p.xuid AND a.gamertag = json_extract_string(p.body_json, '$.gamertag')
          AND a.first_seen <= p.fetched_at AND a.last_seen >= p.fetched_at)
"""
_UGC_RAW_COLUMNS = ("asset_id", "version_id", "asset_kind", "body_json", "fetched_at")


def merge_profile_aliases(con: duckdb.DuckDBPyConnection, schema: pa.Schema) -> None:
    """The model's half of a profile lookup: stored profiles' gamertags become aliases."""
    rows: list[dict[str, Any]] = []
    for body, fetched_at in con.execute(_UNMERGED_PROFILES).fetchall():
        try:
            profile = json.loads(body)
        except ValueError:
            profile = None
        rows.extend(t_meta.aliases_from_profiles([profile], fetched_at))
    if rows:
        with registered(con, "_alias_in", rows_to_arrow(rows, schema)):
            merge_aliases(con, "SELECT * FROM _alias_in")


class ReferenceWrites(WriterCore):
    def known_ugc_refs(self) -> set[tuple[str, str]]:
        """(asset id, version id) of every UGC asset stored: names are fetched once."""
        rows = self._con.execute("SELECT asset_id, version_id FROM ugc_assets").fetchall()
        return {(str(a), str(v)) for a, v in rows}

    def has_medal_metadata(self) -> bool:
        return bool(self._con.execute("SELECT count(*) FROM medal_metadata").fetchall()[0][0])

    def write_ugc_assets(
        self,
        assets: Sequence[dict[str, Any]],
        asset_kind: str | None = None,
        fetched_at: datetime | None = None,
    ) -> int:
        """Upsert UGC assets and their catalogue rows; returns assets written."""
        fetched_at = fetched_at or now()
        rows, raws = [], []
        for asset in assets:
            row = t_meta.ugc_asset_row(asset, asset_kind)
            if row is not None:
                rows.append({**row, "fetched_at": fetched_at})
                raws.append({**row, "body_json": _dump(asset), "fetched_at": fetched_at})
        if not rows:  # the columns come from a row
            return 0
        with self._transaction() as con:
            self._insert(con, "raw_ugc_json", raws, _UGC_RAW_COLUMNS, "OR REPLACE")
            return self._insert(con, "ugc_assets", rows, tuple(rows[0]), "OR REPLACE")

    def write_medal_metadata(self, metadata: dict[str, Any]) -> int:
        rows = t_meta.medal_metadata_rows(metadata)
        if not rows:
            return 0
        with self._transaction() as con:
            return self._insert(con, "medal_metadata", rows, tuple(rows[0]), "OR REPLACE")

    def write_profiles(self, users: list[dict[str, Any]], seen_at: datetime | None = None) -> int:
        """Store profile lookups verbatim; returns profiles written."""
        seen_at = seen_at or now()
        raws = []
        for user in users or []:
            xuid = normalize_xuid(user.get("xuid")) if isinstance(user, dict) else None
            if xuid:
                raws.append({"xuid": xuid, "body_json": _dump(user), "fetched_at": seen_at})
        columns = ("xuid", "body_json", "fetched_at")
        with self._transaction() as con:
            self._insert(con, "raw_profile_json", raws, columns, "OR REPLACE")
        return len(raws)
