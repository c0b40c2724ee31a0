"""The gap filling's plan: what the database lacks; what the API lacks is never asked twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from levelup_pipeline.store.imported import imported_only_match_ids
from levelup_pipeline.store.raw_codec import register_sql_function
from levelup_pipeline.store.views import meta_json
from levelup_pipeline.store.writer import StoreWriter
from levelup_pipeline.transform.modes import MATCHMADE  # skill exists for matchmade games only

ABSENT = "absent"  # skill/film status once the API confirmed it has nothing
UNRESOLVED_XUIDS_KEY = "backfill_unresolved_xuids"  # sync_meta JSON lists
UNRESOLVED_UGC_KEY = "backfill_unresolved_ugc"
UNKNOWN_MEDALS_KEY = "backfill_unknown_medal_ids"
# API kind of a UGC asset -> its id, version and name columns in match_stats.
UGC_COLUMNS: dict[str, tuple[str, str, str]] = {
    "maps": ("map_id", "map_version_id", "map_name"),
    "ugcGameVariants": ("game_variant_id", "game_variant_version_id", "game_variant_name"),
    "playlists": ("playlist_id", "playlist_version_id", "playlist_name"),
    "mapModePairs": ("map_mode_pair_id", "map_mode_pair_version_id", "map_mode_pair_name"),
}
MIN_EARLIER_MATCHES = 10  # fewer earlier matches and performance.sql leaves the score NULL

UgcRef = tuple[str, str, str]


def _rows(writer: StoreWriter, sql: str, params: list[Any] | None = None) -> list[tuple]:
    return writer.connection.execute(sql, params or []).fetchall()


def _scalar(writer: StoreWriter, sql: str) -> int:
    return int(_rows(writer, sql)[0][0] or 0)


def remembered(writer: StoreWriter, key: str) -> set[str]:
    """Values remembered under a sync_meta key (a JSON list)."""
    values = meta_json(writer.connection, key)
    return {str(v) for v in values} if isinstance(values, list) else set()


def remember(writer: StoreWriter, key: str, values: Iterable[str]) -> None:
    """Add values to a remembered list (no write when nothing is new)."""
    known = remembered(writer, key)
    merged = known | {str(v) for v in values}
    if merged != known:
        writer.set_meta(key, json.dumps(sorted(merged)))


def ugc_ref_key(ref: UgcRef) -> str:
    return "/".join(ref)


def skill_candidates(writer: StoreWriter) -> list[str]:
    """Matchmade matches without skill, or whose stored skill gave the player no row."""
    register_sql_function(writer.connection)
    rows = _rows(
        writer,
        """
        SELECT match_id FROM raw_match_json r
        WHERE (skill_json_zst IS NULL
               OR (EXISTS (SELECT 1 FROM match_stats m WHERE m.match_id = r.match_id)
                   AND NOT EXISTS (SELECT 1 FROM player_match_stats p
                                   WHERE p.match_id = r.match_id)))
          AND skill_status IS DISTINCT FROM ?
          AND coalesce(try_cast(json_extract_string(raw_json(stats_json_zst),
                                                    '$.MatchInfo.LifecycleMode') AS INTEGER),
                       ?) = ?
        ORDER BY match_id
        """,
        [ABSENT, MATCHMADE, MATCHMADE],
    )
    return [r[0] for r in rows]


def film_candidates(writer: StoreWriter) -> list[str]:
    rows = _rows(
        writer,
        "SELECT match_id FROM raw_match_json"
        " WHERE highlights_json_zst IS NULL AND film_status IS DISTINCT FROM ? ORDER BY match_id",
        [ABSENT],
    )
    return [r[0] for r in rows]


_WITHOUT_ALIAS = (
    "FROM match_players mp WHERE mp.is_human"
    " AND NOT EXISTS (SELECT 1 FROM xuid_aliases a WHERE a.xuid = mp.xuid)"
)


def xuids_without_alias(writer: StoreWriter) -> list[str]:
    """Human players met with no known gamertag (nor known unresolvable)."""
    rows = _rows(writer, f"SELECT DISTINCT mp.xuid {_WITHOUT_ALIAS} ORDER BY 1")
    unresolved = remembered(writer, UNRESOLVED_XUIDS_KEY)
    return [r[0] for r in rows if r[0] not in unresolved]


def missing_ugc_refs(writer: StoreWriter) -> list[UgcRef]:
    """(kind, asset, version) of stored matches that ugc_assets lacks (and the API had)."""
    selects = " UNION ".join(
        f"SELECT '{kind}' AS kind, {aid} AS asset_id, {vid} AS version_id FROM match_stats"
        f" WHERE {aid} IS NOT NULL AND {vid} IS NOT NULL"
        for kind, (aid, vid, _) in UGC_COLUMNS.items()
    )
    rows = _rows(
        writer,
        f"SELECT kind, asset_id, version_id FROM ({selects}) r"
        " ANTI JOIN ugc_assets u USING (asset_id, version_id) ORDER BY 1, 2, 3",
    )
    unresolved = remembered(writer, UNRESOLVED_UGC_KEY)
    refs = [(str(k), str(a), str(v)) for k, a, v in rows]
    return [r for r in refs if ugc_ref_key(r) not in unresolved]


def unknown_medal_ids(writer: StoreWriter) -> set[str]:
    """Medals earned without a name that medal_metadata does not describe."""
    rows = _rows(
        writer,
        "SELECT DISTINCT name_id FROM medals WHERE name IS NULL"
        " AND name_id NOT IN (SELECT name_id FROM medal_metadata)",
    )
    return {str(r[0]) for r in rows}


def medal_metadata_needed(writer: StoreWriter) -> bool:
    """True once per new set of unknown medal ids: the metadata document may name them."""
    return bool(unknown_medal_ids(writer) - remembered(writer, UNKNOWN_MEDALS_KEY))


def performance_scores_missing(writer: StoreWriter) -> int:
    """Matches without a performance score although enough earlier matches exist."""
    return _scalar(
        writer,
        f"""
        SELECT count(*) FROM (
            SELECT performance_score,
                   count(*) OVER (ORDER BY start_time, match_id
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier
            FROM match_stats WHERE start_time IS NOT NULL
        ) WHERE performance_score IS NULL AND earlier >= {MIN_EARLIER_MATCHES}
        """,
    )


def gap_counts(writer: StoreWriter) -> dict[str, int]:
    """Counters whose change measures what a gap filling filled."""
    names = " + ".join(
        f"count(*) FILTER (WHERE {aid} IS NOT NULL AND {name} IS NULL)"
        for aid, _, name in UGC_COLUMNS.values()
    )
    return {
        "matches": len(imported_only_match_ids(writer.connection, with_unavailable=True)),
        "skill": _scalar(writer, "SELECT count(*) FROM player_match_stats"),
        "highlights": _scalar(writer, "SELECT count(*) FROM highlight_events"),
        "aliases": _scalar(writer, f"SELECT count(DISTINCT mp.xuid) {_WITHOUT_ALIAS}"),
        "names": _scalar(writer, f"SELECT {names} FROM match_stats"),
        "medals": _scalar(writer, "SELECT count(*) FROM medals WHERE name IS NULL"),
        "performance_scores": performance_scores_missing(writer),
    }


def image_urls(writer: StoreWriter) -> list[str]:
    """Every image URL of the stored maps, modes and playlists."""
    urls: set[str] = set()
    for hero, thumb, listed in _rows(
        writer, "SELECT hero_image_url, thumbnail_image_url, image_urls FROM ugc_assets"
    ):
        urls.update(u for u in (hero, thumb) if u)
        try:
            extra = json.loads(listed) if listed else []
        except ValueError:
            extra = []
        urls.update(u for u in extra if isinstance(u, str) and u)
    return sorted(urls)
