"""Gamertag aliases from profile lookups (films' aliases: store/sql/film_aliases.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from levelup_pipeline.transform._common import normalize_xuid
from levelup_pipeline.transform.highlights import clean_gamertag


def aliases_from_profiles(
    users: list[Any] | None, seen_at: datetime | None
) -> list[dict[str, Any]]:
    """Pairs from profile lookups (`get_users` bodies: xuid + gamertag), source 'profile'."""
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
