"""Who a partition is: the gamertag names the folder, the XUID is the stable identity.

The XUID is resolved once (profile API) and kept in `sync_meta`; every later request uses it,
so a renamed gamertag keeps syncing and the new name is recorded as an alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Identity:
    """A player's stable XUID (16 digits) and the gamertag of their partition."""

    xuid: str
    gamertag: str


async def resolve_identity(api: Any, writer: Any, gamertag: str) -> Identity:
    """The partition's XUID from the store, else from the profile API (then remembered)."""
    xuid = writer.get_meta("player_xuid")
    if xuid:
        return Identity(xuid=xuid, gamertag=gamertag)
    resolved = await api.resolve_player(gamertag)
    writer.set_meta("player_xuid", resolved.xuid)
    writer.set_meta("player_gamertag", resolved.gamertag)
    return Identity(xuid=resolved.xuid, gamertag=gamertag)
