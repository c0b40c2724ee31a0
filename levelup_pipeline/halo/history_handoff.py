"""The history page the CLI's delta pre-check read, handed once to the run it starts (same
player, match type and page size, within MAX_AGE_SECONDS): one request of halostats' budget less."""

from __future__ import annotations

import time
from typing import Any

MAX_AGE_SECONDS = 30.0

_offered: tuple[tuple[str, str, int], float, dict[str, Any]] | None = None


def offer(xuid: str, match_type: str, count: int, page: dict[str, Any]) -> None:
    """Keep the first page (start 0) of `xuid`'s history for the run about to start."""
    global _offered
    _offered = ((xuid, match_type, count), time.monotonic(), page)


def take(xuid: str, start: int, count: int, match_type: str) -> dict[str, Any] | None:
    """The offered page if it is this one and fresh (once), else None."""
    global _offered
    if start != 0 or _offered is None:
        return None
    (key, at, page), _offered = _offered, None
    if key != (xuid, match_type, count) or time.monotonic() - at > MAX_AGE_SECONDS:
        return None
    return page


def drop() -> None:
    """Forget any offered page."""
    global _offered
    _offered = None
