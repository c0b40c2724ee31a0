"""UGC discovery asset bodies and medal metadata shaped like the real captures."""

from __future__ import annotations

from typing import Any

from spnkr.models.refdata import MedalNameId

from levelup_pipeline.simulator.film import sorting_weight

BLOBS = "https://blobs-infiniteugc.svc.halowaypoint.com"
_KIND_PATH = {
    "maps": "map",
    "ugcGameVariants": "ugcgamevariant",
    "playlists": "playlist",
    "mapModePairs": "mapmodepair",
    "engineGameVariants": "enginegamevariant",
}


def _files(kind: str, asset_id: str, version_id: str, paths: list[str]) -> dict[str, Any]:
    """The `Files` block every UGC asset carries (blob prefix + endpoint)."""
    path = f"/ugcstorage/{_KIND_PATH[kind]}/{asset_id}/{version_id}/"
    return {
        "Prefix": f"{BLOBS}{path}",
        "FileRelativePaths": paths,
        "PrefixEndpoint": {
            "AuthorityId": "iUgcFiles",
            "Path": path,
            "QueryString": None,
            "RetryPolicyId": "linearretry",
            "TopicName": "",
            "AcknowledgementTypeId": 0,
            "AuthenticationLifetimeExtensionSupported": False,
            "ClearanceAware": False,
        },
    }


def _stats(plays: int) -> dict[str, Any]:
    """AssetStats block with plausible play counts."""
    return {
        "PlaysRecent": plays // 20,
        "PlaysAllTime": plays,
        "Favorites": plays // 1000,
        "Likes": 0,
        "Bookmarks": 0,
        "ParentAssetCount": 1,
        "AverageRating": 0.0,
        "NumberOfRatings": 0,
    }


def _common(
    kind: str, asset_id: str, version_id: str, name: str, description: str, plays: int = 0
) -> dict[str, Any]:
    """Keys shared by every asset, in the captures' order."""
    paths = ["images/hero.png", "images/thumbnail.jpg"] if kind != "mapModePairs" else []
    return {
        "AssetId": asset_id,
        "VersionId": version_id,
        "PublicName": name,
        "Description": description,
        "Files": _files(kind, asset_id, version_id, paths),
        "Contributors": [],
        "AssetHome": 1,
        "AssetStats": _stats(plays),
        "InspectionResult": 50 if kind in ("maps", "ugcGameVariants") else 0,
        "CloneBehavior": 0,
        "Order": 0,
    }


def link(body: dict[str, Any]) -> dict[str, Any]:
    """An embedded link to another asset (MapLink, UgcGameVariantLink, RotationEntries)."""
    keep = (
        "AssetId",
        "VersionId",
        "PublicName",
        "Description",
        "Files",
        "Contributors",
        "AssetHome",
        "AssetStats",
        "InspectionResult",
        "CloneBehavior",
        "Order",
    )
    return {k: body[k] for k in keep}


def map_body(asset_id: str, version_id: str, name: str, level_id: int) -> dict[str, Any]:
    """A map asset like get_map.json."""
    return {
        "CustomData": {
            "NumOfObjectsOnMap": 500 + level_id % 300,
            "TagLevelId": level_id,
            "IsBaked": True,
            "HasNodeGraph": False,
        },
        "Tags": ["343i"],
        "PrefabLinks": [],
        **_common("maps", asset_id, version_id, name, f"The {name} arena.", 100_000),
    }


def game_variant_body(
    asset_id: str, version_id: str, name: str, engine: tuple[str, str, str]
) -> dict[str, Any]:
    """A UGC game variant like get_ugc_game_variant.json (with its engine variant link)."""
    engine_id, engine_version, engine_name = engine
    return {
        "CustomData": {"KeyValues": {}},
        "Tags": ["343i"],
        "EngineGameVariantLink": _common(
            "engineGameVariants", engine_id, engine_version, engine_name, ""
        ),
        **_common("ugcGameVariants", asset_id, version_id, name, f"{name} rules.", 50_000),
    }


def map_mode_pair_body(
    asset_id: str, version_id: str, map_asset: dict[str, Any], variant: dict[str, Any]
) -> dict[str, Any]:
    """A map-mode pair like get_map_mode_pair.json."""
    name = f"{variant['PublicName']} on {map_asset['PublicName']}"
    return {
        "CustomData": {},
        "Tags": [],
        "MapLink": link(map_asset),
        "UgcGameVariantLink": link(variant),
        **_common("mapModePairs", asset_id, version_id, name, "", 10_000),
    }


def playlist_body(
    asset_id: str,
    version_id: str,
    name: str,
    pairs: list[dict[str, Any]],
    team_size: int,
    teams: int,
) -> dict[str, Any]:
    """A playlist like get_playlist.json, rotating over its map-mode pairs."""
    return {
        "CustomData": {
            "PlaylistEntries": [
                {"MapModePairAssetId": p["AssetId"], "Metadata": {"Weight": 1.0}} for p in pairs
            ],
            "Strategy": 0,
            "MinTeams": teams,
            "MinTeamSize": team_size,
            "MaxTeams": teams,
            "MaxTeamSize": team_size,
            "MaxTeamImbalance": 0,
            "MaxSplitscreenPlayersAllowed": 4,
            "AllowFriendJoinInProgress": False,
            "AllowMatchmakingJoinInProgress": True,
            "AllowBotJoinInProgress": False,
            "ExitExperienceDurationSec": 30,
            "FireteamLeaderKickAllowed": False,
            "DisableMidgameChat": False,
            "AllowedDeviceInputs": [0],
            "BotDifficulty": 0,
            "MinFireteamSize": 1,
            "MaxFireteamSize": team_size,
        },
        "Tags": [],
        "RotationEntries": [{"Metadata": {"Weight": 10.0}, **link(p)} for p in pairs],
        **_common("playlists", asset_id, version_id, name, f"{name} playlist.", 0),
    }


_LOCALES = (
    "pt-BR",
    "zh-CN",
    "zh-TW",
    "de-DE",
    "fr-FR",
    "it-IT",
    "ja-JP",
    "ko-KR",
    "es-MX",
    "nl-NL",
    "pl-PL",
    "ru-RU",
    "es-ES",
)


def medal_metadata() -> dict[str, Any]:
    """Medal metadata like get_medal_metadata.json, covering every known MedalNameId."""
    medals = []
    for index, medal in enumerate(sorted(MedalNameId, key=lambda m: m.display_name)):
        name = medal.display_name
        medals.append(
            {
                "name": {"value": name, "translations": {loc: name for loc in _LOCALES}},
                "description": {
                    "value": f"Earn the {name} medal",
                    "translations": {loc: f"{name}" for loc in _LOCALES},
                },
                "spriteIndex": index,
                "sortingWeight": sorting_weight(int(medal)),
                "difficultyIndex": int(medal) % 4,
                "typeIndex": int(medal) % 6,
                "personalScore": 0,
                "nameId": int(medal),
            }
        )
    return {
        "difficulties": ["normal", "heroic", "legendary", "mythic"],
        "types": ["spree", "mode", "multikill", "proficiency", "skill", "style"],
        "sprites": {
            "small": {"path": "medals/images/medal_sheet_sm.png", "columns": 16, "size": 72},
            "medium": {"path": "medals/images/medal_sheet_med.png", "columns": 16, "size": 128},
            "extra-large": {
                "path": "medals/images/medal_sheet_xl.png",
                "columns": 16,
                "size": 256,
            },
        },
        "medals": medals,
    }
