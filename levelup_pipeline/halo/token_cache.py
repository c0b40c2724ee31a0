"""Spartan/clearance tokens reused (memory, then the 0600 token file) instead of a sign-in
chain per process (docs/api-layer.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from levelup_pipeline.halo.auth import Tokens

_MEMORY: dict[tuple[str, str, str], Tokens] = {}


def _valid(tokens: Tokens | None) -> bool:
    return tokens is not None and (
        tokens.refresh_at is None or dt.datetime.now(dt.UTC) < tokens.refresh_at
    )


def recall(key: tuple[str, str, str], load: Callable[[], dict | None]) -> Tokens | None:
    """Valid tokens of this account: from memory, else from the token file `load` reads."""
    from levelup_pipeline.halo.auth import Tokens

    tokens = _MEMORY.get(key)
    if _valid(tokens):
        return tokens
    cached = (load() or {}).get("spartan")
    if not isinstance(cached, dict) or cached.get("endpoint") != key[2]:
        return None
    try:
        tokens = Tokens(
            cached["spartan_token"],
            cached["clearance_token"],
            dt.datetime.fromisoformat(cached["expires_utc"]),
            dt.datetime.fromisoformat(cached["refresh_utc"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if not (tokens.spartan and tokens.clearance and _valid(tokens)):
        return None
    _MEMORY[key] = tokens
    return tokens


def remember(key: tuple[str, str, str], tokens: Tokens) -> None:
    _MEMORY[key] = tokens


def file_entry(tokens: Tokens | None, endpoint: str) -> dict | None:
    """What the token file keeps of `tokens` (nothing when their lifetime is unknown)."""
    if tokens is None or tokens.expires_at is None or tokens.refresh_at is None:
        return None
    return {
        "endpoint": endpoint,
        "spartan_token": tokens.spartan,
        "clearance_token": tokens.clearance,
        "expires_utc": tokens.expires_at.isoformat(),
        "refresh_utc": tokens.refresh_at.isoformat(),
    }


def forget_all() -> None:
    """Drop the in-memory tokens (tests; a new sign-in)."""
    _MEMORY.clear()
