"""Who a partition is: the gamertag names the folder, the XUID is the stable identity.

The XUID is resolved once (profile API) and kept in `sync_meta`; every later request uses it,
so a renamed gamertag keeps syncing and the new name is recorded as an alias.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.ingest.fetch_core import ends_run, now
from levelup_pipeline.store.gamertag import same_player
from levelup_pipeline.transform._common import normalize_xuid

log = logging.getLogger(__name__)
RENAMED_TO_KEY = "renamed_to"


@dataclass(frozen=True)
class Identity:
    """A player's stable XUID (16 digits) and the gamertag of their partition."""

    xuid: str
    gamertag: str
    just_resolved: bool = False  # from the profile API now: no gamertag check needed


async def resolve_identity(
    api: Any, writer: Any, gamertag: str, resolved: Any | None = None
) -> Identity:
    """The partition's XUID from the store, else `resolved` (the caller's profile lookup),
    else from the profile API (then remembered). A stored XUID is checked against its current
    gamertag by `check_gamertag`, which the caller runs alongside the sync."""
    xuid = writer.get_meta("player_xuid")
    if xuid:
        return Identity(xuid=xuid, gamertag=gamertag)
    resolved = resolved or await api.resolve_player(gamertag)
    writer.set_meta("player_xuid", resolved.xuid)
    writer.set_meta("player_gamertag", resolved.gamertag)
    return Identity(xuid=resolved.xuid, gamertag=gamertag, just_resolved=True)


def rename_hint(old: str, new: str, xuid: str) -> str:
    """The one-sentence hint logged when a player's XUID answers to a new gamertag."""
    return (
        f"{old} (XUID {xuid}) is now called {new}: its data keeps syncing under {old}; run "
        f"`levelup players rename {old} {new}` to rename its folder and partition."
    )


async def lookup_gamertag(api: Any, xuid: str, gamertag: str) -> list | None:
    """The XUID's profile (one request), None when the lookup failed: a failed lookup never
    stops the sync. Runs while the sync fetches (it is off the critical path)."""
    try:
        return await api.users([xuid])
    except HaloApiError as exc:
        if ends_run(exc):
            raise
        _logger(api).info(f"{gamertag}: gamertag check skipped ({exc}).")
        return None


def check_gamertag(
    api: Any, writer: Any, xuid: str, gamertag: str, users: list | None
) -> str | None:
    """The XUID's current gamertag (from `lookup_gamertag`'s answer) when it differs from the
    partition's (alias recorded and a hint logged), else None.

    A known XUID costs one profile lookup per sync: when it now answers to another gamertag,
    the new name is recorded as an alias and a hint says how to rename the player."""
    if users is None:
        return None
    current = next(
        (
            str(u.get("gamertag"))
            for u in users or []
            if isinstance(u, dict) and normalize_xuid(u.get("xuid")) == normalize_xuid(xuid)
        ),
        None,
    )
    renamed = current if current and not same_player(current, gamertag) else None
    if renamed:
        writer.write_profiles(users, now())
        _logger(api).warning(rename_hint(gamertag, renamed, xuid))
    if renamed != writer.get_meta(RENAMED_TO_KEY):
        writer.set_meta(RENAMED_TO_KEY, renamed)
    return renamed


def _logger(api: Any) -> Any:
    return getattr(api, "logger", None) or log
