"""UGC discovery assets, medal metadata and profiles -> rows used to put names on ids."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from levelup_pipeline.transform._common import as_int, as_str, dig, normalize_xuid
from levelup_pipeline.transform.highlights import clean_gamertag

UgcRef = tuple[str, str, str]  # (API kind, asset id, version id)
# MatchInfo key of each UGC reference -> its API path segment.
UGC_REF_KEYS = (
    ("MapVariant", "maps"),
    ("UgcGameVariant", "ugcGameVariants"),
    ("Playlist", "playlists"),
    ("PlaylistMapModePair", "mapModePairs"),
)


def human_xuids(stats: dict) -> list[str]:
    """XUIDs of the human players of a match stats body (bots have no profile)."""
    return [
        pid[5:-1]
        for player in stats.get("Players") or []
        if (pid := str(player.get("PlayerId") or "")).startswith("xuid(")
        and player.get("PlayerType", 1) == 1
    ]


def ugc_refs(stats: dict) -> set[UgcRef]:
    """(kind, asset id, version id) of the map, mode, playlist and map-mode pair of a match."""
    info = stats.get("MatchInfo") or {}
    refs = set()
    for key, kind in UGC_REF_KEYS:
        ref = info.get(key) or {}
        if ref.get("AssetId") and ref.get("VersionId"):
            refs.add((kind, str(ref["AssetId"]), str(ref["VersionId"])))
    return refs


# The blob prefix names the kind: .../ugcstorage/<kind>/<asset>/<version>/ (others as named)
_KINDS = {
    "ugcgamevariant": "ugc_game_variant",
    "mapmodepair": "map_mode_pair",
    "enginegamevariant": "engine_game_variant",
}
_KIND_RE = re.compile(r"/ugcstorage/([a-z]+)/", re.IGNORECASE)


def _localized(value: Any) -> str | None:
    """Medal texts are {'value': 'Double Kill', 'translations': {...}}; plain strings also work."""
    return as_str(value.get("value") if isinstance(value, dict) else value)


def infer_asset_kind(asset: dict[str, Any]) -> str | None:
    """'map' / 'playlist' / 'ugc_game_variant' / 'map_mode_pair'... from the files prefix."""
    for path in (dig(asset, "Files", "Prefix"), dig(asset, "Files", "PrefixEndpoint", "Path")):
        if isinstance(path, str):
            match = _KIND_RE.search(path)
            if match:
                return _KINDS.get(match.group(1).lower(), match.group(1).lower())
    return None


def ugc_asset_row(asset: dict[str, Any], asset_kind: str | None = None) -> dict[str, Any] | None:
    """One ugc_assets row; None without an AssetId. The kind is inferred when not given."""
    asset_id = as_str(asset.get("AssetId")) if isinstance(asset, dict) else None
    if asset_id is None:
        return None
    prefix = as_str(dig(asset, "Files", "Prefix"))
    paths = dig(asset, "Files", "FileRelativePaths")
    images = []
    if prefix and isinstance(paths, list):
        images = [
            prefix + p for p in paths if isinstance(p, str) and p.lower().startswith("images/")
        ]

    def _image(name: str) -> str | None:
        return next((u for u in images if u.lower().endswith("/" + name)), None)

    return {
        "asset_kind": asset_kind or infer_asset_kind(asset),
        "asset_id": asset_id,
        "version_id": as_str(asset.get("VersionId")) or "",
        "public_name": as_str(asset.get("PublicName")),
        "description": as_str(asset.get("Description")),
        "hero_image_url": _image("hero.png") or _image("hero.jpg"),
        "thumbnail_image_url": _image("thumbnail.png") or _image("thumbnail.jpg"),
        "image_urls": json.dumps(images) if images else None,
    }


def medal_metadata_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the medal metadata document; type/difficulty are resolved from their index lists."""
    if not isinstance(doc, dict):
        return []
    types = doc.get("types") if isinstance(doc.get("types"), list) else []
    difficulties = doc.get("difficulties") if isinstance(doc.get("difficulties"), list) else []

    def _pick(values: list[Any], index: int | None) -> str | None:
        return as_str(values[index]) if index is not None and 0 <= index < len(values) else None

    rows: dict[int, dict[str, Any]] = {}
    medals = doc.get("medals")
    for medal in medals if isinstance(medals, list) else []:
        if not isinstance(medal, dict):
            continue
        name_id = as_int(medal.get("nameId"))
        if name_id is None:
            continue
        rows[name_id] = {
            "name_id": name_id,
            "name": _localized(medal.get("name")),
            "description": _localized(medal.get("description")),
            "type": _pick(types, as_int(medal.get("typeIndex"))),
            "difficulty": _pick(difficulties, as_int(medal.get("difficultyIndex"))),
            "sprite_index": as_int(medal.get("spriteIndex")),
            "sorting_weight": as_int(medal.get("sortingWeight")),
            "personal_score": as_int(medal.get("personalScore")),
        }
    return list(rows.values())


def aliases_from_profiles(
    users: list[Any] | None, seen_at: datetime | None
) -> list[dict[str, Any]]:
    """Alias rows (source 'profile') of profile lookups (`get_users` bodies: xuid + gamertag)."""
    if not isinstance(users, list):
        return []
    pairs: dict[tuple[str, str], None] = {}
    for user in users:
        if not isinstance(user, dict):
            continue
        xuid = normalize_xuid(user.get("xuid"))
        gamertag = clean_gamertag(user.get("gamertag"))
        if xuid and gamertag:
            pairs[(xuid, gamertag)] = None
    return [
        {"xuid": x, "gamertag": g, "first_seen": seen_at, "last_seen": seen_at, "source": "profile"}
        for x, g in pairs
    ]
