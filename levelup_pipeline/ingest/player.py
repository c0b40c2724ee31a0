"""Who a partition is: the gamertag names the folder, the XUID (resolved once, kept in
`sync_meta`) is the stable identity, so a renamed gamertag keeps syncing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from levelup_pipeline.ingest.fetch_core import attempt, now
from levelup_pipeline.store.gamertag import same_player
from levelup_pipeline.transform._common import normalize_xuid

RENAMED_TO_KEY = "renamed_to"


@dataclass(frozen=True)
class Identity:
    """A player's stable XUID and the gamertag of their partition."""

    xuid: str
    gamertag: str
    just_resolved: bool = False  # from the profile API now: no gamertag check needed


async def resolve_identity(
    api: Any, writer: Any, gamertag: str, resolved: Any | None = None
) -> Identity:
    """The partition's XUID from the store, else `resolved`, else from the profile API."""
    xuid = writer.get_meta("player_xuid")
    if xuid:
        return Identity(xuid=xuid, gamertag=gamertag)
    resolved = resolved or await api.resolve_player(gamertag)
    writer.set_meta("player_xuid", resolved.xuid)
    writer.set_meta("player_gamertag", resolved.gamertag)
    return Identity(xuid=resolved.xuid, gamertag=gamertag, just_resolved=True)


async def lookup_gamertag(api: Any, xuid: str, gamertag: str) -> list | None:
    """The XUID's profile (one request, alongside the sync), None when the lookup failed."""
    users, error = await attempt(api.users([xuid]))
    if error is not None:
        api.logger.info(f"{gamertag}: gamertag check skipped ({error}).")
    return users


def check_gamertag(
    api: Any, writer: Any, xuid: str, gamertag: str, users: list | None
) -> str | None:
    """The XUID's new gamertag when it differs from the partition's (stored as an alias)."""
    if users is None:
        return None
    current = next(
        (
            str(u.get("gamertag"))
            for u in users
            if isinstance(u, dict) and normalize_xuid(u.get("xuid")) == normalize_xuid(xuid)
        ),
        None,
    )
    renamed = current if current and not same_player(current, gamertag) else None
    if renamed:
        writer.write_profiles(users, now())
        api.logger.warning(
            f"{gamertag} (XUID {xuid}) is now called {renamed}: its data keeps syncing under "
            f"{gamertag}; run `levelup players rename {gamertag} {renamed}` to rename its folder "
            "and partition."
        )
    if renamed != writer.get_meta(RENAMED_TO_KEY):
        writer.set_meta(RENAMED_TO_KEY, renamed)
    return renamed
