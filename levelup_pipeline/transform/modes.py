"""Mode categories: one coarse label per match, from GameVariantCategory and names.

The API's GameVariantCategory is precise for classic modes but many events reuse a generic
category (or a prototype one), so names are consulted for Firefight, VIP and as a fallback.
"""

from __future__ import annotations

import re

SLAYER = "Slayer"
CTF = "CTF"
ODDBALL = "Oddball"
STRONGHOLDS = "Strongholds"  # includes Zones and Land Grab
KOTH = "KOTH"
TOTAL_CONTROL = "Total Control"
EXTRACTION = "Extraction"
ELIMINATION = "Elimination"  # includes Attrition
STOCKPILE = "Stockpile"
VIP = "VIP"
INFECTION = "Infection"
FFA = "FFA"
FIREFIGHT = "Firefight"
CUSTOM = "Custom"
OTHER = "Other"

MODE_CATEGORIES: tuple[str, ...] = (
    SLAYER,
    CTF,
    ODDBALL,
    STRONGHOLDS,
    KOTH,
    TOTAL_CONTROL,
    EXTRACTION,
    ELIMINATION,
    STOCKPILE,
    VIP,
    INFECTION,
    FFA,
    FIREFIGHT,
    CUSTOM,
    OTHER,
)

LIFECYCLE_CUSTOM = 1
LIFECYCLE_MATCHMADE = 3
LIFECYCLE_LOCAL = 7
LIFECYCLES: dict[int, str] = {
    LIFECYCLE_CUSTOM: "custom",
    LIFECYCLE_MATCHMADE: "matchmaking",
    LIFECYCLE_LOCAL: "local",
}

# GameVariantCategory (spnkr.models.refdata) -> category; slayer family may become FFA.
_SLAYER_FAMILY = {6, 9, 10, 24}  # Slayer, Fiesta, SWAT, Gun Game
_BY_CATEGORY: dict[int, str] = {
    7: ELIMINATION,  # Attrition
    8: ELIMINATION,
    11: STRONGHOLDS,
    13: KOTH,
    14: TOTAL_CONTROL,
    15: CTF,
    17: EXTRACTION,
    18: ODDBALL,
    19: STOCKPILE,
    22: INFECTION,
    39: STRONGHOLDS,  # Land Grab
    42: FIREFIGHT,
}
# Name keywords, checked in order, when the category says nothing useful.
_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), label)
    for pattern, label in (
        (r"firefight", FIREFIGHT),
        (r"\bvip\b", VIP),
        (r"infection", INFECTION),
        (r"capture the flag|\bctf\b", CTF),
        (r"oddball", ODDBALL),
        (r"strongholds?|\bzones?\b|land grab", STRONGHOLDS),
        (r"king of the hill|\bkoth\b", KOTH),
        (r"total control", TOTAL_CONTROL),
        (r"extraction", EXTRACTION),
        (r"elimination|attrition", ELIMINATION),
        (r"stockpile", STOCKPILE),
        (r"\bffa\b|free[- ]for[- ]all", FFA),
        (r"slayer|fiesta|swat|snipers?", SLAYER),
    )
)


def lifecycle_label(lifecycle_mode: int | None) -> str | None:
    """LifecycleMode int -> 'matchmaking' / 'custom' / 'local'; unknown -> None."""
    return LIFECYCLES.get(lifecycle_mode) if lifecycle_mode is not None else None


def mode_category(
    game_variant_category: int | None,
    lifecycle_mode: int | None = None,
    teams_enabled: bool | None = None,
    variant_name: str | None = None,
    playlist_name: str | None = None,
    gameplay_interaction: int | None = None,
) -> str:
    """Coarse mode label (one of MODE_CATEGORIES).

    Order of precedence: custom/local games are 'Custom' (their stats are not comparable with
    matchmaking); Firefight (PvE interaction, category 42 or name) and VIP (name only, the API has
    no category) come next; then the category; then keywords in the variant/playlist names;
    else 'Other'. Slayer-family variants without teams are 'FFA'.
    """
    names = " ".join(n for n in (variant_name, playlist_name) if isinstance(n, str))
    if lifecycle_mode in (LIFECYCLE_CUSTOM, LIFECYCLE_LOCAL):
        return CUSTOM
    if game_variant_category == 42 or gameplay_interaction == 2:
        return FIREFIGHT
    for pattern, label in _BY_NAME[:2]:  # Firefight, VIP
        if pattern.search(names):
            return label
    if game_variant_category in _SLAYER_FAMILY:
        return FFA if teams_enabled is False else SLAYER
    label = _BY_CATEGORY.get(game_variant_category) if game_variant_category is not None else None
    if label is not None:
        return label
    for pattern, label in _BY_NAME:
        if pattern.search(names):
            if label == SLAYER and teams_enabled is False:
                return FFA
            return label
    return OTHER
