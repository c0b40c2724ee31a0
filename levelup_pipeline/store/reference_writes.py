"""Reference data: what the API says about the things matches name (maps, modes, playlists,
medals, players).

The raw step (`raw_match_json`) stores it as fetched - the profile and UGC bodies verbatim
(`raw_profile_json`, `raw_ugc_json`) and the catalogue rows they give (`ugc_assets`,
`medal_metadata`: names, image URLs) - and writes nothing else: the model step puts the names
on `match_stats` and `medals` (store/sql/fill_names.sql) and derives `xuid_aliases` from the
stored profiles (`merge_profile_aliases`), so every model table is written by a
materialization of its own asset.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from levelup_pipeline.store.raw_codec import dump_json as _dump
from levelup_pipeline.store.sql_files import sql_file as _sql
from levelup_pipeline.store.views import registered
from levelup_pipeline.store.writer_core import WriterCore, now
from levelup_pipeline.transform import aliases as t_aliases
from levelup_pipeline.transform import metadata as t_meta
from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.stages import rows_to_arrow

# Profiles whose sighting (xuid, gamertag, fetch time) xuid_aliases does not cover yet.
_UNMERGED_PROFILES = """
    SELECT p.body_json, p.fetched_at FROM raw_profile_json p
    WHERE NOT EXISTS (
        SELECT 1 FROM xuid_aliases a
        WHERE a.xuid = p.xuid AND a.gamertag = json_extract_string(p.body_json, '$.gamertag')
          AND a.first_seen <= p.fetched_at AND a.last_seen >= p.fetched_at)
"""


def merge_aliases(con: duckdb.DuckDBPyConnection, sightings: str) -> None:
    """Merge alias sightings (a SELECT of xuid, gamertag, first_seen, last_seen, source)."""
    con.execute(_sql("merge_aliases.sql").format(sightings=sightings))


def merge_profile_aliases(con: duckdb.DuckDBPyConnection, schema: pa.Schema) -> None:
    """The model's half of a profile lookup: the gamertags of stored profiles become aliases
    (source 'profile'). Idempotent: a sighting already covered is not merged again."""
    rows: list[dict[str, Any]] = []
    for body, fetched_at in con.execute(_UNMERGED_PROFILES).fetchall():
        rows.extend(t_aliases.aliases_from_profiles([_json(body)], fetched_at))
    if rows:
        with registered(con, "_alias_in", rows_to_arrow(rows, schema)):
            merge_aliases(con, "SELECT * FROM _alias_in")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


class ReferenceWrites(WriterCore):
    """The reference data of a writer, stored as the API gave it (see the module doc)."""

    def known_ugc_refs(self) -> set[tuple[str, str]]:
        """(asset id, version id) of every UGC asset already stored: names are fetched once."""
        rows = self._con.execute("SELECT asset_id, version_id FROM ugc_assets").fetchall()
        return {(str(a), str(v)) for a, v in rows}

    def has_medal_metadata(self) -> bool:
        """True once the medal metadata document has been stored."""
        return bool(self._con.execute("SELECT count(*) FROM medal_metadata").fetchone()[0])

    def write_ugc_assets(
        self,
        assets: Sequence[dict[str, Any]],
        asset_kind: str | None = None,
        fetched_at: datetime | None = None,
    ) -> int:
        """Upsert UGC assets (raw API bodies with 'AssetId', or ugc_asset_row() dicts); the
        model step puts their names on the matches. Returns assets written."""
        fetched_at = fetched_at or now()
        rows, raws = [], []
        for asset in assets:
            if not isinstance(asset, dict):
                continue
            if "AssetId" in asset:
                row = t_meta.ugc_asset_row(asset, asset_kind)
                if row is None:
                    continue
                raws.append(
                    {
                        "asset_id": row["asset_id"],
                        "version_id": row["version_id"],
                        "asset_kind": row["asset_kind"],
                        "body_json": _dump(asset),
                        "fetched_at": fetched_at,
                    }
                )
            elif asset.get("asset_id"):
                row = {c: asset.get(c) for c in t_meta.UGC_ASSET_COLUMNS}
                row["version_id"] = row["version_id"] or ""
            else:
                continue
            rows.append({**row, "fetched_at": fetched_at})
        if not rows:
            return 0
        with self._transaction() as con:
            if raws:
                self._insert(
                    con,
                    "raw_ugc_json",
                    raws,
                    ("asset_id", "version_id", "asset_kind", "body_json", "fetched_at"),
                    "OR REPLACE",
                )
            return self._insert(
                con, "ugc_assets", rows, (*t_meta.UGC_ASSET_COLUMNS, "fetched_at"), "OR REPLACE"
            )

    def write_medal_metadata(self, metadata: dict[str, Any] | Sequence[dict[str, Any]]) -> int:
        """Upsert medal metadata (the API document or medal_metadata_rows() output)."""
        if isinstance(metadata, dict):
            rows = t_meta.medal_metadata_rows(metadata)
        else:
            rows = [r for r in metadata if isinstance(r, dict) and r.get("name_id") is not None]
        if not rows:
            return 0
        with self._transaction() as con:
            return self._insert(
                con, "medal_metadata", rows, t_meta.MEDAL_METADATA_COLUMNS, "OR REPLACE"
            )

    def write_profiles(self, users: list[dict[str, Any]], seen_at: datetime | None = None) -> int:
        """Store profile lookups verbatim (the model step makes their gamertags aliases);
        returns profiles written."""
        seen_at = seen_at or now()
        raws = []
        for user in users or []:
            xuid = normalize_xuid(user.get("xuid")) if isinstance(user, dict) else None
            if xuid:
                raws.append({"xuid": xuid, "body_json": _dump(user), "fetched_at": seen_at})
        with self._transaction() as con:
            self._insert(
                con, "raw_profile_json", raws, ("xuid", "body_json", "fetched_at"), "OR REPLACE"
            )
        return len(raws)
