"""spnkr's service hosts and XUID rules, restated: `import spnkr` runs its __init__, which builds
every pydantic model (~0.25 s before `levelup sync`'s first request could go out). A test holds
them to spnkr's own (`levelup_pipeline_tests/halo/test_spnkr_light.py`)."""

from __future__ import annotations

import re

STATS_HOST = "https://halostats.svc.halowaypoint.com:443"
SKILL_HOST = "https://skill.svc.halowaypoint.com:443"
PROFILE_HOST = "https://profile.svc.halowaypoint.com"
DISCOVERY_HOST = "https://discovery-infiniteugc.svc.halowaypoint.com:443"
GAMECMS_HOST = "https://gamecms-hacs.svc.halowaypoint.com"

_WRAPPED = re.compile(r"^xuid\((\d{16})\)$")


class InvalidXuid(ValueError):
    """Not a 16-digit XUID, bare or as xuid(N) (spnkr's InvalidXuidError)."""


def unwrap_xuid(xuid: str | int) -> int:
    """`xuid(N)`, `N` or the int N (16 digits) -> N, as spnkr.xuid.unwrap_xuid."""
    if isinstance(xuid, int):
        if 10**15 <= xuid < 10**16:
            return xuid
        raise InvalidXuid(xuid)
    text = xuid.strip().lower()
    if text.isdigit() and len(text) == 16:
        return int(text)
    match = _WRAPPED.match(text)
    if match is None:
        raise InvalidXuid(xuid)
    return int(match.group(1))


def wrap_xuid_or_gamertag(player: str | int) -> str:
    """`xuid(N)` for an XUID, else the gamertag, as spnkr.xuid.wrap_xuid_or_gamertag."""
    try:
        return f"xuid({unwrap_xuid(player)})"
    except InvalidXuid:
        if isinstance(player, int) or not player.strip():
            raise
        return player.strip()
