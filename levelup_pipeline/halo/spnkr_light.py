"""spnkr's hosts, XUID rules and reference data without `import spnkr` (its models cost ~0.25 s
at start); levelup_pipeline_tests/halo/test_spnkr_light.py holds them equal to spnkr's."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from types import ModuleType

STATS_HOST = "https://halostats.svc.halowaypoint.com:443"
SKILL_HOST = "https://skill.svc.halowaypoint.com:443"
PROFILE_HOST = "https://profile.svc.halowaypoint.com"
DISCOVERY_HOST = "https://discovery-infiniteugc.svc.halowaypoint.com:443"
GAMECMS_HOST = "https://gamecms-hacs.svc.halowaypoint.com"
#: The match history's `type` values (spnkr's `get_match_history(match_type=...)`).
MATCH_TYPES = ("all", "matchmaking", "custom", "local")

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


def spnkr_file(*parts: str) -> Path:
    """A file of the installed spnkr package, found without importing it."""
    spec = importlib.util.find_spec("spnkr")  # a top-level find imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("spnkr is not installed")
    return Path(spec.submodule_search_locations[0], *parts)


@cache
def refdata() -> ModuleType:
    """spnkr/models/refdata.py (its enums: medal names...) alone: it imports only the stdlib."""
    spec = importlib.util.spec_from_file_location(
        "levelup_spnkr_refdata", spnkr_file("models", "refdata.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
