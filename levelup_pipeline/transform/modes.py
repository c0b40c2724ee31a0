"""One coarse mode label per match: events reuse generic categories, so names decide too."""

from __future__ import annotations

import re

LIFECYCLES: dict[int, str] = {1: "custom", 3: "matchmaking", 7: "local"}
MATCHMADE = 3


def is_matchmade(stats: dict) -> bool:
    """Skill (MMR, CSR, expectations) exists for matchmade games only."""
    lifecycle = (stats.get("MatchInfo") or {}).get("LifecycleMode")
    return lifecycle is None or lifecycle == MATCHMADE


# GameVariantCategory (spnkr.models.refdata) -> category; slayer family may become FFA.
_SLAYER_FAMILY = {6, 9, 10, 24}  # Slayer, Fiesta, SWAT, Gun Game
_BY_CATEGORY: dict[int, str] = {
    7: "Elimination",  # Attrition
    8: "Elimination",
    11: "Strongholds",
    13: "KOTH",
    14: "Total Control",
    15: "CTF",
    17: "Extraction",
    18: "Oddball",
    19: "Stockpile",
    22: "Infection",
    39: "Strongholds",  # Land Grab
    42: "Firefight",
}
# Name keywords, checked in order, when the category says nothing useful.
_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), label)
    for pattern, label in (
        (r"firefight", "Firefight"),
        (r"\bvip\b", "VIP"),
        (r"infection", "Infection"),
        (r"capture the flag|\bctf\b", "CTF"),
        (r"oddball", "Oddball"),
        (r"strongholds?|\bzones?\b|land grab", "Strongholds"),
        (r"king of the hill|\bkoth\b", "KOTH"),
        (r"total control", "Total Control"),
        (r"extraction", "Extraction"),
        (r"elimination|attrition", "Elimination"),
        (r"stockpile", "Stockpile"),
        (r"\bffa\b|free[- ]for[- ]all", "FFA"),
        (r"slayer|fiesta|swat|snipers?", "Slayer"),
    )
)


def lifecycle_label(lifecycle_mode: int | None) -> str | None:
    """LifecycleMode int -> 'matchmaking' / 'custom' / 'local'; unknown -> None."""
    return LIFECYCLES.get(lifecycle_mode)  # type: ignore[arg-type]


def mode_category(
    game_variant_category: int | None,
    lifecycle_mode: int | None = None,
    teams_enabled: bool | None = None,
    variant_name: str | None = None,
    playlist_name: str | None = None,
    gameplay_interaction: int | None = None,
) -> str:
    """Custom, then Firefight/VIP, the category, name keywords (_BY_NAME's labels), else Other."""
    names = " ".join(n for n in (variant_name, playlist_name) if isinstance(n, str))
    if lifecycle_mode in (1, 7):
        return "Custom"
    if game_variant_category == 42 or gameplay_interaction == 2:
        return "Firefight"
    for pattern, label in _BY_NAME[:2]:  # Firefight, VIP
        if pattern.search(names):
            return label
    if game_variant_category in _SLAYER_FAMILY:
        return "FFA" if teams_enabled is False else "Slayer"
    if (label := _BY_CATEGORY.get(game_variant_category)) is not None:  # type: ignore[arg-type]
        return label
    for pattern, label in _BY_NAME:
        if pattern.search(names):
            return "FFA" if label == "Slayer" and teams_enabled is False else label
    return "Other"
